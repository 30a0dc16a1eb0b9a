"""The phone pages in a real browser: Debian's Chromium driven by Playwright at 360 × 740.

The test set-up installs Chromium from Debian (``apt-get install -y chromium``); nothing is
downloaded by Playwright. Without /usr/bin/chromium these tests are skipped, saying so.
Each test leaves screenshots in artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from gridmgmt import clock
from tasks_app import services
from tasks_app.models import Photo, Task
from tasks_app.workflow import Status

from .conftest import g1_point, make_red, photo, report_at

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium)",
)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # around it are still plain synchronous code.
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            yield b
            b.close()
    finally:
        if old is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


@pytest.fixture
def page(browser, transactional_db, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
        geolocation={"longitude": 120.005, "latitude": 30.00509}, permissions=["geolocation"],
        base_url=live_server.url,
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> None:
    """No horizontal scrolling, and the main buttons are big enough for a thumb."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for box in page.locator(".btn:visible").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"):
        assert box >= 40


def log_in(page, username: str) -> None:
    page.goto("/m/")
    expect(page).to_have_url(re.compile(r"/m/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-12345")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/m/(\?.*)?$"))


def camera_photo(tmp_path, width=3000, height=2000) -> str:
    """A big 'camera' JPEG the page must shrink to about 1600 px before sending."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    path = tmp_path / "camera.jpg"
    img.save(path, "JPEG", quality=95)
    return str(path)


def test_an_officer_starts_and_submits_a_red_task_which_leaves_the_list(page, world, tmp_path):
    red = make_red(report_at(world, world.point_g1, description="垃圾桶满溢", photos=[photo()]))
    green = report_at(world, g1_point(0))
    log_in(page, "grid1")

    tasks = page.locator("ol.tasks a.task")
    expect(tasks).to_have_count(2)
    expect(tasks.first).to_have_class(re.compile(r"\bred\b"))
    expect(tasks.first).to_contain_text("已超时")
    expect(page.locator(".count.red b")).to_have_text("1")
    fits_the_phone(page)
    shot(page, "officer-1-my-tasks")

    tasks.first.click()
    expect(page).to_have_url(re.compile(rf"/m/t/{red.pk}/$"))
    expect(page.locator("article")).to_contain_text("垃圾桶满溢")
    page.get_by_role("button", name="开始处置").click()
    expect(page.locator(".messages")).to_contain_text("已开始处置")
    fits_the_phone(page)

    page.set_input_files("input[name=photos]", camera_photo(tmp_path))
    page.fill("textarea[name=note]", "已清运完毕")
    shot(page, "officer-2-task-submit")
    page.get_by_role("button", name="提交核查").click()

    expect(page).to_have_url(re.compile(r"/m/$"))
    expect(page.locator(".messages")).to_contain_text("已提交，等待核查")
    expect(page.locator(f"a[href='/m/t/{red.pk}/']")).to_have_count(0)
    expect(page.locator(f"a[href='/m/t/{green.pk}/']")).to_have_count(1)
    shot(page, "officer-3-after-submit")

    red.refresh_from_db()
    assert red.status == Status.SUBMITTED
    after = red.photos.get(kind=Photo.Kind.AFTER)
    assert max(after.width, after.height) == 1600  # shrunk in the browser


def test_an_officer_reports_a_problem_located_before_sending_and_sees_the_repeat(
        page, world, tmp_path):
    old = report_at(world, world.point_g1)
    Task.objects.filter(pk=old.pk).update(reported_at=clock.now() - timedelta(days=12))
    log_in(page, "grid1")
    page.get_by_role("link", name="上报").click()
    expect(page).to_have_url(re.compile(r"/m/report/$"))

    page.select_option("select[name=category]", label=world.category.name)
    page.set_input_files("input[name=photos]", camera_photo(tmp_path))
    # A tap on the drawn map sets a position and locates it...
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.2})
    expect(page.locator("#located")).to_contain_text("一号网格")
    assert page.input_value("input[name=lng]") != ""
    # ...and the phone's GPS does too, with the road it is on and the earlier problem there.
    page.get_by_role("button", name=re.compile("使用我的位置")).click()
    expect(page.locator("#located")).to_contain_text("道路：中山路")
    expect(page.locator("#located")).to_contain_text("12 天前")
    assert page.input_value("input[name=lng]") == "120.005000"
    page.fill("input[name=address]", "中山路12号门前")
    page.fill("textarea[name=description]", "垃圾桶满溢，周边有散落垃圾")
    fits_the_phone(page)
    shot(page, "report-1-located")

    page.get_by_role("button", name="提交上报").click()
    expect(page).to_have_url(re.compile(r"/m/t/\d+/$"))
    task = Task.objects.exclude(pk=old.pk).get()
    messages = page.locator(".messages")
    expect(messages).to_contain_text(f"已上报，编号 {task.code}（一号网格 · 中山路）")
    expect(page.locator(".repeat")).to_contain_text("此处 12 天前出现过同样的问题")
    fits_the_phone(page)
    shot(page, "report-2-sent")
    assert task.repeat_of == old and task.grid == world.grid1 and task.road == world.road
    assert task.address == "中山路12号门前"
    before = task.photos.get()
    assert max(before.width, before.height) == 1600


def test_an_inspector_verifies_a_submitted_fix(page, world):
    task = report_at(world, world.point_g1, description="违规横幅", photos=[photo()])
    services.task_start(task=task, actor=world.grid_officer.user)
    services.task_submit(task=task, actor=world.grid_officer.user, note="已拆除",
                         photos=[photo(color="#40a040")])
    log_in(page, "inspector")
    page.get_by_role("link", name="待核查").click()
    link = page.locator(f"a[href='/m/t/{task.pk}/']")
    expect(link).to_have_count(1)
    link.click()
    expect(page.locator(".photos img")).to_have_count(2)
    expect(page.locator(".timeline")).to_contain_text("已拆除")
    fits_the_phone(page)
    shot(page, "inspector-1-task")
    page.get_by_role("button", name="通过").click()
    expect(page).to_have_url(re.compile(r"/m/\?f=verify$"))
    expect(page.locator(".messages")).to_contain_text("核查通过，任务已结案")
    expect(link).to_have_count(0)
    shot(page, "inspector-2-verified")
    task.refresh_from_db()
    assert task.status == Status.CLOSED
