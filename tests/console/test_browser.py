"""Acceptance in Debian's Chromium at a desktop size (1366 × 900): a supervisor logs in, sees the
dashboard with its charts drawn, follows a figure to its tasks, opens the map with the grids
drawn, and downloads the month's evaluation as XLSX; a street leader sees only their street.
Screenshots go to artifacts/screenshots/console-*.png (see tests/mobile/phone.py)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from gridmgmt.models import Grid, Road
from tests.mobile.phone import browser, expect, needs_chromium, shot, until

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

DESKTOP = {"width": 1366, "height": 900}



@pytest.fixture
def seeded(transactional_db, settings):
    settings.MAP_TILE_URL = ""  # no background tiles: nothing leaves the machine
    call_command("load_seeds", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def desk(browser, seeded, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Chromium reports what the Content-Security-Policy blocked on the console.
    page.on("console", lambda msg: errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert errors == []


def log_in(page, username: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def charts_drawn(page) -> list[dict]:
    """Each Chart.js instance, with its data points and how many canvas pixels it painted."""
    return page.evaluate("""() => window.consoleCharts.map(c => {
        const px = c.ctx.getImageData(0, 0, c.canvas.width, c.canvas.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) painted++; }
        return {id: c.canvas.id, points: c.data.datasets.reduce((n, d) => n + d.data.length, 0),
                painted: painted, registered: Chart.getChart(c.canvas.id) === c};
    })""")


def test_a_supervisor_reads_the_dashboard_opens_the_map_and_downloads_the_xlsx(desk, tmp_path):
    page = desk
    log_in(page, "supervisor")

    # The dashboard: figures, and the three charts drawn on their canvases.
    expect(page.locator("#dashboard h1")).to_have_text("总览")
    expect(page.locator(".scope-chip")).to_have_text("示范区")
    until(page, "window.consoleCharts && window.consoleCharts.length === 3")
    charts = charts_drawn(page)
    assert [c["id"] for c in charts] == ["chart-streets", "chart-departments", "chart-trend"]
    for chart in charts:
        assert chart["registered"] and chart["points"] > 0 and chart["painted"] > 1000, chart
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "console-1-dashboard")

    # A figure opens the list behind it, with the same count. The queue strip (待办事项: its
    # tiles are .qtile, the 督办 one q-red) now comes first and the week has a red tile too:
    # the overdue figure is the first of today's lights.
    expect(page.locator(".queue-strip .qtile").first).to_be_visible()
    red = page.locator("section[aria-labelledby=h-today] .tile.red").first
    expect(red.locator("span")).to_have_text("超期（红灯）")
    count = red.locator("b").inner_text()
    red.click()
    expect(page).to_have_url(re.compile(r"progress=overdue"))
    expect(page.locator("#changelist-search .small.quiet, #changelist-search span.small")
           .first).to_contain_text(count)
    shot(page, "console-2-overdue-tasks")

    # The map: every grid drawn as a Leaflet path, tasks and hotspots as markers.
    page.get_by_role("link", name="地图", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/admin/map/$"))
    expect(page.locator("#console-map[data-ready='1']")).to_have_count(1)
    grids = Grid.objects.count()
    paths = page.locator("#console-map .leaflet-overlay-pane path")
    assert paths.count() >= grids
    assert page.locator("#console-map path.task-marker").count() > 0
    assert page.locator("#console-map .hotspot-icon").count() > 0
    assert page.locator("#console-map .leaflet-tile").count() == 0  # no tiles configured
    shot(page, "console-3-map")
    page.locator(".map-legend input[value=overdue]").check()
    shot(page, "console-4-map-overdue")

    # The month's evaluation as XLSX, from the dashboard.
    page.get_by_role("link", name="总览", exact=True).click()
    with page.expect_download() as info:
        page.locator("#eval-download").click()
    download = info.value
    assert re.fullmatch(r"evaluation-\d{4}-\d{2}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = load_workbook(path)
    # One sheet per level, the roads (道路) the rewritten evaluation added among them.
    assert book.sheetnames == ["镇街", "社区", "网格", "道路", "部门"]
    assert book["镇街"].max_row == 2 + 3  # title, headers, the three demo streets
    # Without a district every road is listed, ranked or 无数据.
    assert book["道路"].max_row == 2 + Road.objects.count()


def test_a_street_leader_sees_their_streets_dashboard_and_map(desk):
    page = desk
    log_in(page, "leader_west")
    expect(page.locator(".scope-chip")).to_contain_text("西山街道")
    until(page, "window.consoleCharts && window.consoleCharts.length === 3")
    labels = page.evaluate("Chart.getChart('chart-streets').data.labels")
    assert labels == ["西山街道"]
    shot(page, "console-5-street-leader")
    page.goto("/admin/map/")
    expect(page.locator("#console-map[data-ready='1']")).to_have_count(1)
    west = Grid.objects.filter(community__parent__name="西山街道").count()
    assert page.locator("#console-map .leaflet-overlay-pane path:not(.task-marker)") \
        .count() >= west
