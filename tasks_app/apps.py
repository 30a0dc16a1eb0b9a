from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    verbose_name = _("Rectification tasks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from . import language  # noqa: F401  (connects the login and logout receivers)
        from .lockout import AdminLoginForm

        # The console's login says when the lock-out refused it (tasks_app/lockout.py).
        admin.site.login_form = AdminLoginForm
