"""Every page a user can reach, as production serves it (the manifest static storage after
collectstatic, DEBUG off), answers without a server error.

Each role starts from its home pages and follows every same-site link and asset the pages name
(phone pages under /m/, the console and admin under /admin/, the browsable API and its docs),
so a page added later is walked without being listed here. Paths that differ only in their ids
are sampled a few times, not all; a page that needs an object gets one from the demo district.
"""

from __future__ import annotations

import importlib.util
import re
from collections import deque
from html import unescape
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from gridmgmt.models import Duty, Role
from tasks_app.models import Task

from .conftest import PRODUCTION_STATIC

pytestmark = pytest.mark.django_db

LINK = re.compile(r"""(?:href|src|action|hx-get|data-url|data-src)\s*=\s*["']([^"'#][^"']*)["']""")
PREFIXES = ("/m/", "/admin/", "/api/", "/static/")
# Following these would end the session or send a form; everything else is a plain GET.
SKIP = re.compile(r"/logout/|/m/t/\d+/(start|submit|extend|verify)/|/admin/r/")
SAMPLES_PER_SHAPE = 2
MAX_PAGES = 400
HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def crawl(client: Client, starts: list[str]) -> dict[str, int]:
    """GET every page reachable from ``starts``; returns path → status."""
    seen: dict[str, int] = {}
    shapes: dict[str, int] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        shape = _shape(urlsplit(url).path) + ("?" if urlsplit(url).query else "")
        if shapes.get(shape, 0) >= SAMPLES_PER_SHAPE and url not in starts:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        try:
            response = client.get(url, **HTML)
        except Exception as exc:  # noqa: BLE001 - the test client re-raises a view's 500
            seen[url] = 500
            pytest.fail(f"GET {url} raised {type(exc).__name__}: {exc}")
        seen[url] = response.status_code
        if url.startswith("/static/") or response.streaming:
            continue
        content_type = response.get("Content-Type", "")
        if "html" not in content_type:
            continue
        for raw in LINK.findall(response.content.decode(errors="replace")):
            link = urldefrag(urljoin(url, unescape(raw)))[0]
            parts = urlsplit(link)
            if parts.netloc and parts.netloc != "testserver":
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local.startswith(PREFIXES) and not SKIP.search(local) and local not in seen:
                queue.append(local)
    return seen


def _client(username: str | None) -> Client:
    client = Client(raise_request_exception=True)
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def _server_errors(seen: dict[str, int]) -> dict[str, int]:
    return {url: code for url, code in seen.items() if code >= 500}


@pytest.fixture(autouse=True)
def _seed_media(settings, seeded):
    settings.MEDIA_ROOT = seeded.media


def test_the_settings_choose_the_manifest_storage_in_production():
    # This folder's storage stands for production's only while config/settings.py agrees.
    source = Path(importlib.util.find_spec("config.settings").origin).read_text(encoding="utf-8")
    assert f'"{PRODUCTION_STATIC}"\n        if not DEBUG' in source
    assert settings.STORAGES["staticfiles"]["BACKEND"] == PRODUCTION_STATIC


def test_the_service_worker_is_served_with_the_manifest_storage():
    response = _client(None).get(reverse("mobile:sw"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"const STATIC_PREFIX = '{settings.STATIC_URL}';" in body
    # The shell lists hashed names, each served by WhiteNoise.
    shell = re.search(r"const SHELL = (\[.*?\]);", body).group(1)
    for path in re.findall(r'"([^"]+)"', shell):
        if path.startswith("/static/"):
            assert re.search(r"\.[0-9a-f]{12}\.", path), path
            assert _client(None).get(path).status_code == 200, path


def test_anonymous_pages_answer_without_a_server_error():
    seen = crawl(_client(None), ["/m/login/", "/m/offline/", "/m/sw.js", "/admin/login/",
                                 "/api/docs/", "/api/schema/", "/m/", "/admin/"])
    assert _server_errors(seen) == {}
    assert seen["/api/docs/"] == 200 and seen["/m/login/"] == 200
    assert seen["/admin/login/"] == 200


@pytest.mark.parametrize("username", [
    "admin",          # superuser: every admin page
    "supervisor",     # district supervisor: the console
    "leader_west",    # street leader: the console within a street
])
def test_console_pages_answer_without_a_server_error(username):
    task = Task.objects.order_by("pk").first()
    starts = ["/admin/", "/admin/map/", "/admin/evaluation/", "/api/docs/", "/api/v1/tasks/",
              f"/admin/tasks_app/task/{task.pk}/change/", "/m/"]
    seen = crawl(_client(username), starts)
    assert _server_errors(seen) == {}
    assert seen["/admin/"] == 200
    assert sum(1 for url, code in seen.items() if code == 200
               and url.startswith("/admin/")) > 5, seen


def _officer_usernames() -> list[str]:
    picks = []
    for role in (Role.GRID_OFFICER, Role.ROAD_CHIEF, Role.HANDLER, Role.INSPECTOR,
                 Role.COMMUNITY_HEAD):
        duty = Duty.objects.filter(role=role).select_related("officer__user") \
            .order_by("officer__user__username").first()
        picks.append(duty.officer.user.username)
    return picks


def test_phone_pages_answer_without_a_server_error_for_every_field_role():
    for username in _officer_usernames():
        client = _client(username)
        visible = Task.objects.filter(assignee__user__username=username).order_by("-pk")
        starts = ["/m/", "/m/?f=verify", "/m/report/", "/m/offline/", "/m/sw.js"]
        starts += [f"/m/t/{pk}/" for pk in visible.values_list("pk", flat=True)[:3]]
        seen = crawl(client, starts)
        assert _server_errors(seen) == {}, username
        assert seen["/m/"] == 200 and seen["/m/report/"] == 200, (username, seen)
        assert any(url.startswith("/static/") and code == 200 for url, code in seen.items())
