"""Acceptance in Debian's Chromium, in the demo district, with the citizen's page at a phone's
390 × 844 and at a desktop's 1440 × 900: a citizen reports a problem on the map with a photo and
an e-mail, follows it; the district supervisor sees the citizen's contact and dispatches it on
the console's workbench; the grid officer fixes it on the phone; the supervisor verifies it; the
closure e-mail brings the citizen back to the result, which they rate. Nothing of the citizen's
contact appears on a public page. Screenshots: artifacts/screenshots/citizen-*.png."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command

from gridmgmt.geometry import polygon_from_geojson
from gridmgmt.models import Grid
from tasks_app.models import Category, Task
from tasks_app.public import services as public
from tasks_app.public.models import CitizenReport, Rating
from tasks_app.workflow import Status
from tests.mobile.phone import browser, camera_photo, expect, needs_chromium, shot

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
EMAIL = "citizen.li@example.com"


@pytest.fixture
def seeded(transactional_db, settings):
    settings.MAP_TILE_URL = ""  # no background tiles: nothing leaves the machine
    cache.clear()  # the map's frame is cached: draw this database's grids
    call_command("load_seeds", stdout=open("/dev/null", "w"))  # noqa: SIM115
    yield
    cache.clear()


@pytest.fixture
def contexts(browser, seeded, live_server):
    opened, errors = [], []

    def new(size: dict):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=live_server.url, **size)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text)
                if "Content Security Policy" in msg.text else None)
        opened.append(context)
        return page

    yield new
    for context in opened:
        context.close()
    assert errors == []


def _pick(page, lng: float, lat: float) -> None:
    """Tap the map where (lng, lat) is drawn."""
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map").bounding_box()
    point = page.evaluate("([lat, lng]) => window.reportMap.latLngToContainerPoint([lat, lng])",
                          [lat, lng])
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def _console_login(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def _phone_login(page, username: str) -> None:
    page.goto("/m/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/m/(\?.*)?$"))


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_citizen_reports_follows_and_rates_the_fix(contexts, size, tmp_path):
    category = Category.objects.create(code="CITIZ", name="共享单车乱停放", kind="event",
                                       time_limit=4, auto_dispatch=False)
    grid = Grid.objects.order_by("code").first()
    centre = polygon_from_geojson(grid.boundary).representative_point()

    # The citizen reports it on the map, with a photo and an e-mail for the result.
    citizen = contexts(PHONE if size == "phone" else DESKTOP)
    citizen.goto("/public/")
    citizen.locator("header a[href='/public/report/']").click()
    expect(citizen).to_have_url(re.compile(r"/public/report/$"))
    expect(citizen.locator("#report-map[data-ready='1']")).to_have_count(1)
    assert citizen.locator("#report-map .leaflet-overlay-pane path").count() >= 1  # the grids
    citizen.select_option("select[name=category]", str(category.pk))
    _pick(citizen, centre.x, centre.y)
    expect(citizen.locator("#report-nearby[data-checked='1'] .citizen-none")).to_have_count(1)
    citizen.fill("textarea[name=description]", "人行道上十几辆共享单车堆在一起，轮椅过不去")
    citizen.fill("input[name=address]", "幸福路公交站旁")
    citizen.set_input_files("input[name=photos]", camera_photo(tmp_path, 1200, 900))
    citizen.fill("input[name=email]", EMAIL)
    _fits(citizen)
    shot(citizen, f"citizen-{size}-1-report")
    citizen.locator("#report-send").click()

    expect(citizen).to_have_url(re.compile(r"/public/follow/[^/]+/\?new=1$"))
    expect(citizen.locator(".citizen-received")).to_be_visible()
    follow_link = citizen.locator("#follow-link").input_value()
    expect(citizen.locator(".citizen-status")).to_have_attribute("data-status", "reported")
    expect(citizen.locator("body")).to_contain_text("4 工作小时")
    _fits(citizen)
    shot(citizen, f"citizen-{size}-2-received")
    task = Task.objects.get(category=category)
    report = CitizenReport.objects.get(task=task)
    assert report.filed.email == EMAIL and task.grid_id == grid.pk
    assert task.photos.count() == 1

    # A second report of the same problem: the first is shown, to follow instead.
    citizen.goto("/public/report/")
    expect(citizen.locator("#report-map[data-ready='1']")).to_have_count(1)
    citizen.select_option("select[name=category]", str(category.pk))
    _pick(citizen, centre.x, centre.y)
    dupe = citizen.locator("#report-nearby .citizen-follow-link")
    expect(dupe).to_have_text(re.compile(task.code))
    shot(citizen, f"citizen-{size}-3-already-reported")
    dupe.click()
    expect(citizen).to_have_url(re.compile(rf"/public/problem/{task.code}/$"))
    expect(citizen.locator("body")).not_to_contain_text(EMAIL)
    assert Task.objects.filter(category=category).count() == 1

    # The supervisor sees the citizen's contact and dispatches the problem.
    console = contexts(DESKTOP)
    _console_login(console, "supervisor")
    console.goto(f"/admin/tasks_app/task/{task.pk}/change/")
    expect(console.locator(".wb-citizen-contact")).to_contain_text(EMAIL)
    console.locator('[data-group="suggested"] .wb-candidate').first.click()
    shot(console, f"citizen-{size}-4-console-dispatch")
    console.locator('[data-action="dispatch"] button').click()
    expect(console.locator(".messagelist .success")).to_have_count(1)
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED

    # The officer fixes it on the phone, with an after photo.
    officer = contexts(PHONE)
    _phone_login(officer, task.assignee.user.username)
    officer.goto(f"/m/t/{task.pk}/")
    officer.get_by_role("button", name="开始处置").click()
    expect(officer.locator(".messages")).to_contain_text("已开始处置")
    officer.set_input_files("input[name=photos]", camera_photo(tmp_path))
    officer.fill("textarea[name=note]", "已联系单车企业清运，现场恢复通行")
    officer.get_by_role("button", name="提交核查").click()
    expect(officer).to_have_url(re.compile(r"/m/$"))

    # The supervisor verifies the fix: the task closes and the citizen's e-mail is queued.
    console.goto(f"/admin/tasks_app/task/{task.pk}/change/")
    console.locator('[data-action="approve"] button').click()
    expect(console.locator(".messagelist .success")).to_have_count(1)
    task.refresh_from_db()
    assert task.status == Status.CLOSED

    # The sender (a worker's job) sends it, with the result and a link back.
    mail.outbox.clear()
    assert public.send_closure_mails()["sent"] == 1
    [msg] = mail.outbox
    assert msg.to == [EMAIL] and len(msg.attachments) == 1
    link = re.search(r"(/public/follow/\S+/)", msg.body).group(1)

    # The citizen follows the link, sees the result and rates it, once.
    citizen.goto(link)
    expect(citizen.locator(".citizen-status")).to_have_attribute("data-status", "closed")
    result = citizen.locator(".citizen-result img").first
    expect(result).to_be_visible()
    assert result.evaluate("img => img.complete && img.naturalWidth > 0")
    citizen.locator(f"input[name=level][value='{Rating.Level.SATISFIED}']").check()
    citizen.fill("textarea[name=comment]", "处理很快，谢谢")
    _fits(citizen)
    shot(citizen, f"citizen-{size}-5-result")
    citizen.locator(".citizen-rating button[type=submit]").click()
    expect(citizen.locator(".citizen-rated")).to_be_visible()
    expect(citizen.locator("form textarea[name=comment]")).to_have_count(0)
    shot(citizen, f"citizen-{size}-6-rated")
    rating = Rating.objects.get(task=task)
    assert (rating.level, rating.comment) == (Rating.Level.SATISFIED, "处理很快，谢谢")

    # The kept follow link opens the same page; the public page shows no contact.
    citizen.goto(follow_link)
    expect(citizen.locator(".citizen-rated")).to_be_visible()
    for url in (f"/public/problem/{task.code}/", "/public/report/"):
        citizen.goto(url)
        expect(citizen.locator("body")).not_to_contain_text(EMAIL)
