"""The pages' language follows the signed-in user, not the browser's last user.

At a login (console, phone or any other) the user's language, ``Officer.language`` or the
site's default for a user who is no officer, is written to Django's language cookie, which
LocaleMiddleware prefers to the browser's Accept-Language, and noted in the session. The cookie
counts only while it matches the session that wrote it: logging out deletes it, and a cookie left
behind by an expired session or an earlier version (which kept it for a year) is ignored and
deleted, so the next person on a shared browser gets the default (zh-hans) login page, not the
last officer's English.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import translation

from gridmgmt.models import Officer

SESSION_KEY = "_language"


def supported_or_default(language: str | None) -> str:
    """``language`` if the site speaks it, else the site's own (zh-hans)."""
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def _language_of(user) -> str:
    return supported_or_default(
        Officer.objects.filter(user=user).values_list("language", flat=True).first())


@receiver(user_logged_in, dispatch_uid="tasks_app.language.logged_in")
def _keep_users_language(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    language = _language_of(user)
    request.session[SESSION_KEY] = language
    request._user_language = language
    translation.activate(language)
    request.LANGUAGE_CODE = language


@receiver(user_logged_out, dispatch_uid="tasks_app.language.logged_out")
def _forget_users_language(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    # logout() flushes the session (and SESSION_KEY with it) right after this signal.
    request._user_language = None
    translation.activate(settings.LANGUAGE_CODE)
    request.LANGUAGE_CODE = settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """Between SessionMiddleware and LocaleMiddleware: drops a language cookie that is not the
    current session's, and writes or deletes the cookie at login and logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = settings.LANGUAGE_COOKIE_NAME
        had_cookie = name in request.COOKIES
        if had_cookie and not self._belongs_to_session(request, request.COOKIES[name]):
            del request.COOKIES[name]  # LocaleMiddleware falls back to the browser or default
        response = self.get_response(request)
        language = getattr(request, "_user_language", False)
        if language:
            response.set_cookie(
                name, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE or settings.SESSION_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax")
        elif had_cookie and (language is None or name not in request.COOKIES):
            response.delete_cookie(name, path=settings.LANGUAGE_COOKIE_PATH,
                                   domain=settings.LANGUAGE_COOKIE_DOMAIN)
        return response

    @staticmethod
    def _belongs_to_session(request, value: str) -> bool:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        return request.session.get(SESSION_KEY) == value


def switch(request, language: str) -> None:
    """The signed-in user chose another language: it holds for this session from now on (the
    officer's record is changed by gridmgmt.services.officer_set_language)."""
    request.session[SESSION_KEY] = language
    request._user_language = language
    translation.activate(language)
    request.LANGUAGE_CODE = language
