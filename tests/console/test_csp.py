"""Content-Security-Policy and Permissions-Policy: every page carries them, no template holds an
inline script, and in Chromium the console's charts and map, the evaluation page and the API
docs work under the policy without a single blocked resource."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tasks_app.models import Task
from tasks_app.workflow import Status
from tests.console.test_browser import DESKTOP, log_in, seeded  # noqa: F401
from tests.mobile.phone import browser, expect, needs_chromium, until  # noqa: F401

TEMPLATES = Path(__file__).resolve().parents[2] / "tasks_app" / "templates"
# An executable <script> without src: a bare tag or a JavaScript type, not JSON data.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=[\"']application/(ld\+)?json[\"'])[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']|javascript:", re.I)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", ["/m/login/", "/admin/login/", "/api/docs/", "/m/offline/"])
def test_every_page_carries_a_csp_without_inline_script_and_a_permissions_policy(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy
    assert "geolocation=(self)" in policy  # the phone places reports by GPS


def test_no_template_holds_an_inline_script_or_handler():
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        found += [f"{template.relative_to(TEMPLATES)}: {m.group(0)}"
                  for m in (*INLINE_SCRIPT.finditer(text), *INLINE_HANDLER.finditer(text))]
    assert found == []


def test_the_api_docs_set_up_script_is_a_file_not_inline(db):
    html = Client().get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(html)
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.fixture
def desktop(browser, seeded, live_server):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: blocked.append(str(exc)))
    page.blocked = blocked
    yield page
    context.close()


@needs_chromium
def test_charts_map_evaluation_desk_workbench_and_api_docs_work_under_the_policy(desktop):
    assert "script-src" in str(django_settings.CONTENT_SECURITY_POLICY)
    page = desktop
    log_in(page, "supervisor")
    until(page, "window.consoleCharts && window.consoleCharts.length >= 3")

    page.goto("/admin/map/")
    expect(page.locator("#console-map[data-ready='1']")).to_have_count(1)
    assert page.locator("#console-map .leaflet-overlay-pane path").count() > 0

    page.goto("/admin/evaluation/")
    until(page, "typeof Chart !== 'undefined' && Chart.getChart('evaluation-chart')")

    # The registration desk (its map) and a task's workbench load without anything blocked.
    page.goto("/admin/desk/")
    page.wait_for_load_state("networkidle")
    task = Task.objects.filter(status=Status.SUBMITTED).order_by("pk").first()
    page.goto(f"/admin/tasks_app/task/{task.pk}/change/")
    page.wait_for_load_state("networkidle")

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 20

    assert page.blocked == []
