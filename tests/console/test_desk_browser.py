"""The registration desk in Debian's Chromium (zh-CN, 1440 × 900): a district supervisor takes a
hotline call by picking the place on the map and registers it; a second call about the same
problem shows the first as an open task nearby before saving, and is recorded on it instead of
registered again. Screenshots: artifacts/screenshots/desk-*.png."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from shapely.geometry import shape

from gridmgmt.models import Grid
from tasks_app.models import Category, Source, Task, TaskEvent
from tests.mobile.phone import browser, expect, needs_chromium, shot

from .test_browser import log_in

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def seeded(transactional_db, settings):
    settings.MAP_TILE_URL = ""  # no background tiles: nothing leaves the machine
    call_command("load_seeds", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def page(browser, seeded, live_server):
    context = browser.new_context(viewport=WIDE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def _pick(page, lng: float, lat: float) -> None:
    """Click the map where (lng, lat) is drawn."""
    box = page.locator("#desk-map").bounding_box()
    point = page.evaluate("([lat, lng]) => window.deskMap.latLngToContainerPoint([lat, lng])",
                          [lat, lng])
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_a_supervisor_registers_a_hotline_call_and_links_the_second_call(page):
    # A category nobody has reported yet, so the first call has no duplicate nearby.
    category = Category.objects.create(code="DESKT", name="井盖缺失", kind="component",
                                       time_limit=4, auto_dispatch=True)
    grid = Grid.objects.order_by("code").first()
    centre = shape(grid.boundary).representative_point()

    log_in(page, "supervisor")
    nav_desk = page.locator(".console-nav a[href='/admin/desk/']")
    expect(nav_desk).to_have_count(1)
    # The queues in the navigation and on the dashboard.
    expect(page.locator(".console-nav .queue-link")).to_have_count(6)
    expect(page.locator(".queue-strip .tile")).to_have_count(6)
    shot(page, "desk-0-dashboard-queues")
    nav_desk.click()
    expect(page).to_have_url(re.compile(r"/admin/desk/$"))
    expect(page.locator("#desk-map[data-ready='1']")).to_have_count(1)
    assert page.locator("#desk-map .leaflet-overlay-pane path").count() >= 1

    # The first call: hotline (the default channel), the category, a pick on the map.
    expect(page.locator(f"input[name=source][value={Source.HOTLINE}]")).to_be_checked()
    page.select_option("select[name=category]", str(category.pk))
    _pick(page, centre.x, centre.y)
    expect(page.locator("#desk-nearby[data-checked='1']")).to_have_count(1)
    expect(page.locator("#desk-nearby .desk-place")).to_contain_text(grid.name)
    expect(page.locator("#desk-nearby .desk-none")).to_have_count(1)
    page.fill("textarea[name=description]", "市民来电：人行道井盖缺失，有安全隐患")
    page.fill("input[name=contact]", "王先生 13800000000")
    shot(page, "desk-1-first-call")
    page.locator("#desk-register").click()
    expect(page).to_have_url(re.compile(r"/admin/desk/\?registered=\d+$"))
    first = Task.objects.get(category=category)
    assert (first.source, first.grid) == (Source.HOTLINE, grid)
    expect(page.locator("#desk-done")).to_contain_text(first.code)
    shot(page, "desk-2-registered")

    # The second call about the same problem: the first shows as an open task nearby.
    page.select_option("select[name=category]", str(category.pk))
    _pick(page, centre.x + 0.0001, centre.y)
    candidates = page.locator("#desk-nearby .desk-candidates li")
    expect(candidates).to_have_count(1)
    expect(candidates.first).to_contain_text(first.code)
    page.fill("textarea[name=description]", "又一位市民反映同一井盖")
    page.fill("input[name=contact]", "李女士 13900000000")
    shot(page, "desk-3-duplicate-suggested")
    candidates.first.locator("button.desk-link").click()
    expect(page).to_have_url(re.compile(rf"/admin/desk/\?linked={first.pk}$"))
    expect(page.locator("#desk-done")).to_contain_text(first.code)
    shot(page, "desk-4-call-linked")

    assert Task.objects.filter(category=category).count() == 1
    calls = first.events.filter(kind=TaskEvent.Kind.CALL_LINKED).order_by("pk")
    assert [e.extra["contact"] for e in calls] == ["王先生 13800000000", "李女士 13900000000"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
