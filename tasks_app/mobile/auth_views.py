"""Login and logout for officers: Django's auth views with phone templates and throttling."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from gridmgmt.models import Officer

from . import throttle
from .forms import ThrottledLoginForm


class LoginView(auth_views.LoginView):
    template_name = "mobile/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("mobile:tasks")

    def form_valid(self, form):
        throttle.reset(form.cleaned_data.get("username") or "", self.request)
        response = super().form_valid(form)
        # Pages follow the officer's preferred language from now on (LocaleMiddleware reads it).
        language = Officer.objects.filter(user=form.get_user()).values_list(
            "language", flat=True).first()
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                                max_age=365 * 24 * 3600, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "throttled", False):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("mobile:login")
