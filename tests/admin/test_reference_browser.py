"""In Debian's Chromium (zh-CN, 1440 × 900) on the seeded demo: the west street's leader sees only
his street's tasks, and his street's grids read-only: no add button, no edit form. Screenshots
go to artifacts/screenshots/reference-*.png."""

from __future__ import annotations

import re

import pytest

from gridmgmt.models import Grid
from tasks_app.models import Task
from tests.console.test_browser import log_in, seeded  # noqa: F401  (a fixture)
from tests.mobile.phone import browser, expect, needs_chromium, shot

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

WEST = "SFQ-XS"


@pytest.fixture
def desk(browser, seeded, live_server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def test_a_street_leader_sees_his_street_and_reads_its_grids(desk):
    page = desk
    log_in(page, "leader_west")

    page.goto("/admin/tasks_app/task/")
    codes = page.locator("#result_list tbody tr th a").all_inner_texts()
    assert codes, "no tasks listed"
    streets = set(Task.objects.filter(code__in=codes)
                  .values_list("grid__community__parent__code", flat=True))
    assert streets == {WEST}
    east = Task.objects.exclude(grid__community__parent__code=WEST).first()
    shot(page, "reference-1-street-leader-tasks")
    page.goto(f"/admin/tasks_app/task/?q={east.code}")
    expect(page.locator("#result_list")).to_have_count(0)

    page.goto("/admin/gridmgmt/grid/")
    listed = page.locator("#result_list tbody tr th a").all_inner_texts()
    mine = set(Grid.objects.filter(community__parent__code=WEST).values_list("code", flat=True))
    assert listed and {code.split()[0] for code in listed} <= mine
    assert len(listed) == len(mine)
    expect(page.locator(".object-tools .addlink")).to_have_count(0)

    page.locator("#result_list tbody tr th a").first.click()
    expect(page).to_have_url(re.compile(r"/admin/gridmgmt/grid/\d+/change/"))
    expect(page.locator("div.readonly").first).to_be_visible()
    expect(page.locator("form input[name=code], form input[name=_save]")).to_have_count(0)
    expect(page.locator("form textarea, form select")).to_have_count(0)
    shot(page, "reference-2-street-leader-grid")
