"""``/``: each user to their home. Supervisors and bureau administrators to the console, every
other officer to the phone pages, anybody not logged in to the phone's login (the console has
its own login at /admin/login/). The admin's 「查看站点」 link points here too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from . import authority


def home(request: HttpRequest) -> HttpResponseRedirect:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("mobile:login"))
    if authority.of(request.user).uses_console:
        return HttpResponseRedirect(reverse("admin:index"))
    return HttpResponseRedirect(reverse("mobile:tasks"))
