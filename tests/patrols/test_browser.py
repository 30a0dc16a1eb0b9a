"""Acceptance in Debian's Chromium at 390 × 844 (zh-CN): a road chief walks a patrol along his
road (the phone's geolocation moved step by step), reports a problem on the way, ends it; the
console's coverage shows the road patrolled; another road past its frequency alerts its chief
(an outbox row and a mail, once)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from gridmgmt import clock
from gridmgmt.models import Role
from tasks_app import notify
from tasks_app.models import Notification, Task
from tasks_app.patrols import alerts
from tasks_app.patrols.models import CheckIn, Patrol, PatrolFinding
from tests import factories as f
from tests.console.conftest import staff
from tests.mobile.phone import CHROMIUM, browser, camera_photo, expect, log_in, needs_chromium, shot

__all__ = ["browser"]
pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
STEPS = [(120.0030 + 0.0008 * i, 30.00504) for i in range(8)]  # east along R1, in G1


@pytest.fixture
def phone(browser, transactional_db, live_server, settings):
    settings.PATROL_CHECK_IN_SECONDS = 1  # the walk below takes seconds, not minutes
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
        timezone_id="Asia/Shanghai", geolocation={"longitude": STEPS[0][0],
                                                  "latitude": STEPS[0][1]},
        permissions=["geolocation"], base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    yield context, page
    context.close()
    assert blocked == []


def fits(page) -> None:
    """No sideways scrolling at 390 px; every button and link button at least 44 px tall."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heights = page.locator("main .btn:visible").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44


def test_a_road_chief_walks_his_road_reports_a_problem_and_the_console_sees_it(
        phone, world, browser, live_server, tmp_path):
    context, page = phone
    other_road = f.RoadFactory(code="R2", name="解放路", centre_line={
        "type": "LineString", "coordinates": [[120.0, 30.002], [120.02, 30.002]]})
    other_chief = f.OfficerFactory(user=f.UserFactory(username="roadchief2"), name="李路长")
    f.DutyFactory(officer=other_chief, role=Role.ROAD_CHIEF, road=other_road)

    log_in(page, "roadchief")
    page.locator("header a", has_text="巡查").click()
    expect(page).to_have_url(re.compile(r"/m/patrol/$"))
    fits(page)
    shot(page, "patrol-1-home")
    page.get_by_role("button", name=re.compile("开始巡查")).click()
    patrol = Patrol.objects.get()
    expect(page).to_have_url(re.compile(rf"/m/patrol/{patrol.pk}/$"))
    expect(page.locator("#check-ins")).to_have_text("1")
    for n, (lng, lat) in enumerate(STEPS[1:], start=2):
        page.wait_for_timeout(1100)
        context.set_geolocation({"longitude": lng, "latitude": lat, "accuracy": 8})
        expect(page.locator("#check-ins")).to_have_text(str(n))
    expect(page.locator("#places")).to_contain_text("中山路")
    expect(page.locator("#gps-state")).to_have_class(re.compile(r"\bok\b"))
    fits(page)
    shot(page, "patrol-2-running")

    # A problem on the way: reported from the patrol, linked to it.
    page.get_by_role("link", name=re.compile("在此上报问题")).click()
    expect(page).to_have_url(re.compile(r"/m/report/$"))
    page.select_option("select[name=category]", label=world.category.name)
    page.set_input_files("input[name=photos]", camera_photo(tmp_path))
    page.get_by_role("button", name=re.compile("使用我的位置")).click()
    expect(page.locator("#located")).to_contain_text("中山路")
    page.get_by_role("button", name="提交上报").click()
    expect(page).to_have_url(re.compile(r"/m/t/\d+/$"))
    task = Task.objects.get()
    assert PatrolFinding.objects.get().task == task

    page.goto("/m/patrol/")
    page.get_by_role("link", name=re.compile("返回当前巡查")).click()
    expect(page).to_have_url(re.compile(rf"/m/patrol/{patrol.pk}/$"))
    page.get_by_role("button", name=re.compile("结束巡查")).click()
    expect(page.locator(".messages")).to_contain_text("巡查已结束")
    expect(page.locator(".findings")).to_contain_text(task.code)
    expect(page.locator("svg.route .walk")).to_have_count(1)
    expect(page.locator("svg.route .problem")).to_have_count(1)
    fits(page)
    shot(page, "patrol-3-ended")
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.ENDED
    assert patrol.distance_m == pytest.approx(7 * 77, rel=0.05)
    assert CheckIn.objects.filter(kind=CheckIn.Kind.PROBLEM).count() == 1
    page.goto("/m/patrol/")
    expect(page.locator("ol.patrols a.patrol")).to_have_count(1)
    expect(page.locator(".cov.today")).to_contain_text("中山路")
    fits(page)
    shot(page, "patrol-4-my-patrols")

    # The console: the road is patrolled today, the other road is overdue.
    staff(world.supervisor)
    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                               timezone_id="Asia/Shanghai", base_url=live_server.url)
    console = desk.new_page()
    console.goto("/admin/")
    console.fill("input[name=username]", "supervisor")
    console.fill("input[name=password]", "pass-12345")
    console.locator("input[type=submit]").click()
    console.locator("nav.console-nav a", has_text="巡查覆盖情况").click()
    expect(console).to_have_url(re.compile(r"/admin/coverage/$"))
    expect(console.locator(f"tr[data-place='road:{world.road.pk}']")).to_have_class("today")
    expect(console.locator(f"tr[data-place='road:{other_road.pk}']")).to_have_class("overdue")
    shot(console, "patrol-5-console-coverage")
    console.goto("/admin/map/?layer=coverage")
    expect(console.locator("#console-map[data-ready]")).to_have_count(1)
    shot(console, "patrol-6-console-map")
    desk.close()

    # The unpatrolled road alerts its chief: one outbox row, one mail, however often it runs.
    now = clock.now()
    alerts.alert_overdue(now=now)
    alerts.alert_overdue(now=now)
    notify.send_pending(now=now)
    told = Notification.objects.filter(kind=Notification.Kind.PATROL_OVERDUE)
    assert told.filter(recipient=other_chief).count() == 1
    assert not told.filter(recipient=world.road_chief).exists()
    to_chief = [m for m in mail.outbox if m.to == [other_chief.email]]
    assert len(to_chief) == 1 and "解放路" in to_chief[0].subject
    assert CHROMIUM
