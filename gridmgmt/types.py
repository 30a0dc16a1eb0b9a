"""Type aliases for annotations, so every module names the acting user the same way.

``User`` is the settings' user model (``AUTH_USER_MODEL`` is Django's own ``auth.User``: it has
``is_superuser``, ``groups`` and the reverse ``officer``); ``AnyUser`` adds the anonymous user, as
``request.user`` may be before login. ``AuthedRequest`` is a request behind a login check."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

__all__ = ["AnyUser", "AuthedRequest", "User"]

AnyUser = User | AnonymousUser


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user has signed in (a view behind ``login_required``, the admin's
    ``admin_view`` or an explicit check). For annotations only: no request is of this class."""

    user: User
