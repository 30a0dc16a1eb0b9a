"""The service worker and the offline page. The worker is served from /m/sw.js, not /static/,
because a worker only controls pages under its own path."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

# Precached at install under the names static() gives them: hashed by ManifestStaticFilesStorage
# in production, so a new deploy is a new worker version and a fresh cache.
SHELL_FILES = ("mobile/m.css", "mobile/app.js", "mobile/htmx.min.js", "mobile/icon.svg",
               "mobile/icon-192.png", "mobile/manifest.webmanifest",
               "patrols/patrol.css", "patrols/patrol.js")


def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(name) for name in SHELL_FILES] + [reverse("mobile:offline")]
    context = {
        # Hashed static names change with their content, and so does this worker's version.
        "version": hashlib.sha256("|".join(shell).encode()).hexdigest()[:12],
        "scope": reverse("mobile:tasks"),
        "patrol": reverse("patrols:home"),
        # Not static(""): the manifest storage of production has no entry for "" (a 500).
        "static_prefix": urlsplit(settings.STATIC_URL).path,
        "shell": json.dumps(shell),
        "offline": reverse("mobile:offline"),
        "login": reverse("mobile:login"),
        "not_queued": json.dumps([reverse("mobile:login"), reverse("mobile:logout")]),
    }
    response = render(request, "mobile/sw.js", context, content_type="application/javascript")
    # Browsers check for a new worker on navigation; never let a cache hide a new version.
    response["Cache-Control"] = "no-cache"
    return response


def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "mobile/offline.html")
