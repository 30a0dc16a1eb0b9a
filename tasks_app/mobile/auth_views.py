"""Login and logout for officers: Django's auth views with phone templates. A login refused by
the lock-out says so on the form (tasks_app/lockout.py); the officer's language is kept by
tasks_app/language.py for every login, here as in the console."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from ..lockout import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "mobile/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    # resolve_url takes the lazy URL Django's docs use here; the stubs allow only str.
    next_page = reverse_lazy("mobile:tasks")  # type: ignore[assignment]


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("mobile:login")  # type: ignore[assignment]  # as above
