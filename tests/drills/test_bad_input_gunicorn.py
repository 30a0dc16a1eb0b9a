"""The outside review's list of bad input, re-run against production as it runs: gunicorn with
DEBUG off, PostgreSQL, Redis, the manifest static storage after collectstatic. Every answer is a
4xx (never a 5xx) and nothing is written."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from PIL import Image
from rest_framework.authtoken.models import Token

from tasks_app import services
from tasks_app.models import Campaign, Photo, Task, TaskEvent
from tests import factories as f

from .procs import WebServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def web(own_redis, queue, tmp_path, monkeypatch):
    static = tmp_path / "static"
    with override_settings(STATIC_ROOT=static, STORAGES={**settings.STORAGES,
                                                         "staticfiles": {"BACKEND": MANIFEST}}):
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
    monkeypatch.setenv("STATIC_ROOT", str(static))
    (Path(settings.VAR_DIR) / "log").mkdir(parents=True, exist_ok=True)
    server = WebServer(own_redis, queue, tmp_path / "media")
    yield server
    server.stop()


def _call(web: WebServer, method: str, path: str, body: bytes | None = None,
          headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{web.base}{path}", data=body, method=method,
                                     headers={"Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _json(payload) -> tuple[bytes, dict]:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return body.encode(), {"Content-Type": "application/json"}


def _multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for name, filename, content in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((128, 128), 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _written() -> tuple[int, int, int]:
    return Task.objects.count(), TaskEvent.objects.count(), Photo.objects.count()


def test_the_reviews_bad_input_is_a_4xx_and_writes_nothing_on_gunicorn(world, web):
    lng, lat = world.point_g1
    manual = f.CategoryFactory(code="MANUAL", auto_dispatch=False)
    reported = services.task_report(reporter=world.inspector.user, category=manual, lng=lng,
                                    lat=lat)
    assigned = services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng + 0.002, lat=lat)
    ended = Campaign.objects.create(name="已结束", lead_department=world.department,
                                    starts_on="2020-01-01", deadline="2020-02-01")
    officer = {"Authorization": f"Token {Token.objects.create(user=world.grid_officer.user)}"}
    supervisor = {"Authorization": f"Token {Token.objects.create(user=world.supervisor.user)}"}
    deep = "[" * 50_000 + "]" * 50_000
    report = {"category": world.category.pk, "lng": lng, "lat": lat}
    whole = _jpeg()
    before = _written()

    cases = {
        "deep JSON, anonymous token": ("POST", "/api/v1/auth/token/", _json(deep), {}),
        "deep JSON, anonymous report": ("POST", "/api/v1/tasks/", _json(deep), {}),
        "deep JSON, signed-in report": ("POST", "/api/v1/tasks/", _json(deep), officer),
        "NUL in a description": ("POST", "/api/v1/tasks/",
                                 _json({**report, "description": "a\x00b"}), officer),
        "category 1.5": ("POST", "/api/v1/tasks/", _json({**report, "category": 1.5}), officer),
        "an ended campaign": ("POST", "/api/v1/tasks/",
                              _json({**report, "campaign": ended.pk}), officer),
        "assignee 1.7": ("POST", f"/api/v1/tasks/{reported.pk}/assign/",
                         _json({"assignee": world.grid_officer.pk + 0.7}),
                         {**supervisor, "If-Match": f'"{reported.version}"'}),
        "extension to 9999": ("POST", f"/api/v1/tasks/{assigned.pk}/extend/",
                              _json({"until": "9999-12-31T23:59:00+08:00", "reason": "x"}),
                              {**officer, "If-Match": f'"{assigned.version}"'}),
        "a date with a trailing NUL": (
            "POST", f"/api/v1/tasks/{assigned.pk}/extend/",
            _json({"until": "2026-12-30T10:00:00+08:00\x00", "reason": "x"}),
            {**officer, "If-Match": f'"{assigned.version}"'}),
        "a write without If-Match": ("POST", f"/api/v1/tasks/{assigned.pk}/start/", _json({}),
                                     officer),
        "a truncated JPEG": ("POST", "/api/v1/tasks/", _multipart(
            {k: str(v) for k, v in report.items()},
            [("photos", "cut.jpg", whole[: len(whole) // 2])]), officer),
        "ten photos": ("POST", "/api/v1/tasks/", _multipart(
            {k: str(v) for k, v in report.items()},
            [("photos", f"p{i}.jpg", whole) for i in range(10)]), officer),
    }
    answers = {}
    for name, (method, path, (body, content_type), headers) in cases.items():
        status, content = _call(web, method, path, body, {**content_type, **headers})
        answers[name] = status
        assert 400 <= status < 500, (name, status, content[:300])
    assert answers["a write without If-Match"] == 428
    assert answers["deep JSON, signed-in report"] == 400
    assert _written() == before

    # And the service worker installs: it and the static files it lists are served.
    status, body = _call(web, "GET", "/m/sw.js")
    assert status == 200, body[:300]
    for path in json.loads(body.decode().split("const SHELL = ", 1)[1].split(";", 1)[0]):
        assert _call(web, "GET", path)[0] == 200, path
