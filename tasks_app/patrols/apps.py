from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "tasks_app.patrols"
    label = "patrols"
    verbose_name = _("Patrols")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tasks_app import emails
        from tasks_app.models import Notification

        from . import alerts

        emails.EXTRA_CONTEXT[Notification.Kind.PATROL_OVERDUE] = alerts.email_context
