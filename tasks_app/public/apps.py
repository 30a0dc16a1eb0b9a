from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "tasks_app.public"
    label = "public"
    verbose_name = _("Public board and citizen reports")
    default_auto_field = "django.db.models.BigAutoField"
