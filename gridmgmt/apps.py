from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridmgmtConfig(AppConfig):
    name = "gridmgmt"
    verbose_name = _("Grids and responsibility")
    default_auto_field = "django.db.models.BigAutoField"
