"""Screenshots of every phone page for every field role, in Debian's Chromium at 390 × 844
(zh-CN): the list each lands on, a task from it, the report form and the patrol page, to
artifacts/screenshots/role-<role>-<n>-<page>.png. Each page also fits the phone (no sideways
scrolling, buttons big enough for a thumb) and speaks zh-hans."""

from __future__ import annotations

import re

import pytest

from tasks_app import services

from .conftest import g1_point, make_red, photo, report_at
from .phone import browser, expect, log_in, needs_chromium, shot

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
OFF_ROAD_G1 = (120.002, 30.0085)
ROLES = ["grid1", "roadchief", "commhead", "handler", "inspector"]
ENGLISH = re.compile(r"\b(Tasks?|Report|Patrol|Log out|Start|Submit|Back|Refresh)\b")


@pytest.fixture
def phone(browser, transactional_db, live_server):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
        timezone_id="Asia/Shanghai", geolocation={"longitude": 120.005, "latitude": 30.00509},
        permissions=["geolocation"], base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert blocked == []


def _work(world) -> None:
    """Something on every role's list: a red task on the road, one off it, one for the
    department, one fix waiting for verification."""
    make_red(report_at(world, world.point_g1, description="垃圾桶满溢，周边有散落垃圾",
                       address="中山路12号门前", photos=[photo()]))
    report_at(world, OFF_ROAD_G1, description="绿化带内堆放建筑垃圾", address="幸福小区东门")
    dept = report_at(world, g1_point(8), description="路灯不亮", address="中山路30号")
    services.task_assign(task=dept, actor=world.supervisor.user, assignee=world.handler,
                         department=world.department)
    fixed = report_at(world, g1_point(3), description="违规横幅", photos=[photo()])
    officer = world.grid_officer.user
    services.task_start(task=fixed, actor=officer, plan="当天拆除")
    services.task_submit(task=fixed, actor=officer, note="已拆除",
                         photos=[photo(color="#40a040")])


def _looks_right(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heights = page.locator("main .btn:visible, header .btn:visible").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert not heights or min(heights) >= 44
    text = page.locator("body").inner_text()
    assert not ENGLISH.search(text), ENGLISH.search(text)


@pytest.mark.parametrize("username", ROLES)
def test_every_phone_page_of_every_role(phone, world, username):
    page = phone
    _work(world)
    log_in(page, username)

    expect(page.locator("ol.tasks a.task").first).to_be_visible()
    _looks_right(page)
    shot(page, f"role-{username}-1-list")

    page.locator("ol.tasks a.task").first.click()
    expect(page).to_have_url(re.compile(r"/m/t/\d+/$"))
    expect(page.locator(".bar a.back")).to_be_visible()
    _looks_right(page)
    shot(page, f"role-{username}-2-task")

    page.goto("/m/report/")
    expect(page.get_by_role("heading", name="上报问题")).to_be_visible()
    _looks_right(page)
    shot(page, f"role-{username}-3-report")

    response = page.goto("/m/patrol/")
    assert response is not None
    if username in ("grid1", "roadchief"):
        assert response.status == 200
        expect(page.get_by_role("button", name=re.compile("开始巡查"))).to_be_visible()
    else:
        assert response.status == 403  # says why, in the officer's language
        expect(page.locator("main .errors")).to_be_visible()
    _looks_right(page)
    shot(page, f"role-{username}-4-patrol")
