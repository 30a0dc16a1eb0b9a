"""Acceptance in Debian's Chromium (zh-CN, 1440 × 900): in the demo district a district
supervisor dispatches a reported problem from the suggestions, verifies one fix, sends another
back with a reason, refuses an extension with a reason, and voids a duplicate registration, all
on the task workbench. Screenshots go to artifacts/screenshots/workbench-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gridmgmt.geometry import polygon_from_geojson
from gridmgmt.models import Grid
from tasks_app import services
from tasks_app.models import Category, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.mobile.phone import browser, expect, needs_chromium, shot

from .conftest import photo
from .test_browser import seeded  # noqa: F401  (a fixture)

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

WIDE = {"width": 1440, "height": 900}
Kind = TaskEvent.Kind


@pytest.fixture
def bench(browser, seeded, live_server):  # noqa: F811
    context = browser.new_context(viewport=WIDE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def _inside(grid: Grid, shift: float = 0.0) -> tuple[float, float]:
    point = polygon_from_geojson(grid.boundary).representative_point()
    return point.x + shift, point.y


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def tasks(seeded):  # noqa: F811
    """The supervisor's morning: a new report, its duplicate, two fixes to verify and a request
    for more time, each in another grid of the demo district."""
    inspector = _user("inspector01")
    grids = list(Grid.objects.order_by("code")[:5])
    manual = f.CategoryFactory(code="WB-AD", name="乱贴小广告", time_limit=4,
                               auto_dispatch=False)
    dispatched = Category.objects.filter(auto_dispatch=True, is_active=True,
                                         default_department__isnull=True).first()

    def report(category, grid, shift=0.0, **kw):
        lng, lat = _inside(grid, shift)
        return services.task_report(reporter=inspector, category=category, lng=lng, lat=lat,
                                    photos=[photo("before.jpg")], **kw)

    def fixed(grid):
        task = report(dispatched, grid)
        officer = task.assignee.user
        task = services.task_start(task=task, actor=officer)
        return services.task_submit(task=task, actor=officer, photos=[photo("after.jpg")],
                                    note="已清理")

    new = report(manual, grids[0], address="西山路 8 号", description="电线杆上小广告一片")
    duplicate = report(manual, grids[0], 0.00002, address="西山路 8 号",
                       description="同一处小广告，热线再次来电")
    waiting = report(dispatched, grids[3])
    waiting = services.task_request_extension(
        task=waiting, actor=waiting.assignee.user, until=waiting.deadline + timedelta(days=2),
        reason="需要环卫车辆配合，预计后天到位")
    return {"new": new, "duplicate": duplicate, "good": fixed(grids[1]),
            "poor": fixed(grids[2]), "waiting": waiting}


def _open(page, task: Task) -> None:
    page.goto(f"/admin/tasks_app/task/{task.pk}/change/")
    expect(page.locator(".wb-head .code")).to_have_text(task.code)


def _done(page, task: Task) -> None:
    expect(page).to_have_url(re.compile(rf"/admin/tasks_app/task/{task.pk}/change/$"))
    expect(page.locator(".messagelist .success")).to_have_count(1)


def test_a_supervisor_works_through_the_mornings_tasks_on_the_workbench(bench, tasks):
    page = bench
    page.goto("/admin/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "demo12345")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # Dispatch from the suggestions: the grid's officer heads the list, with their load.
    new = tasks["new"]
    _open(page, new)
    suggested = page.locator('[data-group="suggested"] .wb-candidate')
    expect(suggested.first).to_be_visible()
    assert page.locator('[data-group="others"] .wb-candidate').count() > 0
    shot(page, "workbench-1-dispatch")
    chosen = suggested.first.locator("input").get_attribute("value")
    suggested.first.click()
    page.locator('[data-action="dispatch"] button').click()
    _done(page, new)
    new.refresh_from_db()
    assert (new.status, new.assignee_id) == (Status.ASSIGNED, int(chosen))
    expect(page.locator('[data-action="dispatch"] h3')).to_be_visible()  # now a reassignment

    # Verify one fix: before and after side by side.
    good = tasks["good"]
    _open(page, good)
    expect(page.locator(".wb-pair img")).to_have_count(2)
    page.locator(".wb-pair img").last.evaluate("img => img.decode()")
    shot(page, "workbench-2-verify")
    page.locator('[data-action="approve"] button').click()
    _done(page, good)
    assert Task.objects.get(pk=good.pk).status == Status.CLOSED
    expect(page.locator('.wb-panel [data-action="approve"]')).to_have_count(0)

    # Send one back: the browser asks for the reason first, then the service takes it.
    poor = tasks["poor"]
    _open(page, poor)
    page.locator('[data-action="send-back"] button').click()
    assert Task.objects.get(pk=poor.pk).status == Status.SUBMITTED  # nothing sent yet
    page.locator('[data-action="send-back"] textarea').fill("照片看不出已清理，请补拍全景")
    page.locator('[data-action="send-back"] button').click()
    _done(page, poor)
    poor.refresh_from_db()
    assert (poor.status, poor.rework_count) == (Status.IN_PROGRESS, 1)
    expect(page.locator(".wb-timeline")).to_contain_text("照片看不出已清理，请补拍全景")
    shot(page, "workbench-3-sent-back")

    # Refuse an extension: the requested date and the assignee's reason are on the panel.
    waiting = tasks["waiting"]
    _open(page, waiting)
    expect(page.locator(".wb-ext")).to_contain_text("需要环卫车辆配合，预计后天到位")
    shot(page, "workbench-4-extension")
    page.locator('[data-action="extension-refuse"] textarea').fill("现有时限足够，今日完成")
    page.locator('[data-action="extension-refuse"] button').click()
    _done(page, waiting)
    waiting.refresh_from_db()
    assert waiting.extension_requested_until is None and waiting.extension_count == 0
    assert waiting.events.latest("pk").kind == Kind.EXTENSION_REFUSED

    # Void the duplicate registration.
    duplicate = tasks["duplicate"]
    _open(page, duplicate)
    page.locator('[data-action="void"] textarea').fill(f"重复登记，同 {new.code}")
    page.locator('[data-action="void"] button').click()
    _done(page, duplicate)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.VOID
    expect(page.locator(".wb-panel [data-action]")).to_have_count(0)  # a void report is done
    shot(page, "workbench-5-voided")
