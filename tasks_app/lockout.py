"""The login lock-out's glue to django-axes: where a client's address comes from, what a locked-out
login is answered, and the login forms that say so.

Every login (the console's /admin/login/, the phone's /m/login/ and the API's token endpoint)
calls ``django.contrib.auth.authenticate(request, ...)``; axes' backend refuses a locked-out
username and address there, and its signal handlers count the failures (config/settings.py).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:
    # The mixin's super() is the login form it is mixed into.
    _FormBase = AuthenticationForm
else:
    _FormBase = object

LOCKED_OUT_STATUS = 429
LOCKED_OUT_CODE = "locked_out"
LOCKED_OUT_MESSAGE = _(
    "Too many failed login attempts for this account from your address. "
    "Wait 15 minutes and try again, or ask the bureau administrator to unlock it.")


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the API throttles see it (REST_FRAMEWORK["NUM_PROXIES"]): only
    REMOTE_ADDR with no proxy, else the address the N-th proxy from us wrote into
    X-Forwarded-For, so hops a client writes itself further left are never trusted."""
    # get_ident reads only request.META, which a Django request has too (the stubs ask for DRF's).
    address = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:  # a forged non-address where only a client could have written it
        return request.META.get("REMOTE_ADDR") or None


def is_locked_out(request) -> bool:
    """Whether axes refused (or has just locked) the login attempted in this request."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a login that the lock-out refused.

    The login pages already show the refusal as the form's error (the forms below); they keep
    that page with the status 429. The API answers in its own error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": LOCKED_OUT_CODE, "message": str(LOCKED_OUT_MESSAGE)},
                            status=LOCKED_OUT_STATUS)
    if original_response is not None and original_response.status_code == 200:
        original_response.status_code = LOCKED_OUT_STATUS
        return original_response
    return render(request, "lockout.html", {"message": LOCKED_OUT_MESSAGE},
                  status=LOCKED_OUT_STATUS)


class _SaysLockedOut(_FormBase):
    """A login form whose error says the account is locked, not that the password is wrong
    (axes refuses a locked-out login without checking the password)."""

    error_messages = {**AuthenticationForm.error_messages, LOCKED_OUT_CODE: LOCKED_OUT_MESSAGE}

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if is_locked_out(self.request):
                raise ValidationError(self.error_messages[LOCKED_OUT_CODE],
                                      code=LOCKED_OUT_CODE) from None
            raise


class LoginForm(_SaysLockedOut, AuthenticationForm):
    """The phone's login form."""


class AdminLoginForm(_SaysLockedOut, AdminAuthenticationForm):
    """The console's login form (``admin.site.login_form``)."""

    error_messages = {**AdminAuthenticationForm.error_messages,
                      LOCKED_OUT_CODE: LOCKED_OUT_MESSAGE}
