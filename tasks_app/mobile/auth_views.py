"""Login and logout for officers: Django's auth views with phone templates. A login refused by
the lock-out says so on the form (tasks_app/lockout.py); the officer's language is kept by
tasks_app/language.py for every login, here as in the console."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from gridmgmt.errors import DomainError
from gridmgmt.services import officer_set_language
from gridmgmt.types import AuthedRequest

from .. import language as user_language
from ..lockout import LoginForm
from ..selectors import officer_of
from .common import officer_login_required


class LoginView(auth_views.LoginView):
    template_name = "mobile/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    # resolve_url takes the lazy URL Django's docs use here; the stubs allow only str.
    next_page = reverse_lazy("mobile:tasks")  # type: ignore[assignment]


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("mobile:login")  # type: ignore[assignment]  # as above


@require_POST
@officer_login_required
def set_language(request: AuthedRequest) -> HttpResponse:
    """The officer's own language switch: kept on their record (for pages and mail) and for this
    session only, so the next person on a shared phone still gets the default after logout."""
    officer = officer_of(request.user)
    chosen = request.POST.get("language", "")
    back = request.POST.get("next") or reverse("mobile:tasks")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("mobile:tasks")
    if officer is None or chosen not in {code for code, _name in settings.LANGUAGES}:
        return HttpResponse(status=400)
    try:
        officer_set_language(officer=officer, language=chosen)
    except DomainError:
        return HttpResponse(status=400)
    user_language.switch(request, chosen)
    return HttpResponseRedirect(back)
