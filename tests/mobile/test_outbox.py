"""A phone that never loses a step, in Debian's Chromium at 390 × 844 (zh-CN): the network goes
away and comes back ten times around and during the officer's actions, and every action lands
exactly once with the page up to date; a conflict (the task changed while the phone was offline)
is shown with what to do and kept until dismissed; a 5xx keeps the item queued and the timer
sends it without a page load; the report form, the list and my open tasks open offline.

The service worker (templates/mobile/sw.js) keeps the outbox; app.js asks it to send on the
``online`` event and every MOBILE_OUTBOX_RETRY_SECONDS while anything waits (1 s here)."""

from __future__ import annotations

import re

import pytest

from tasks_app import services
from tasks_app.models import Photo, Submission, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import g1_point, report_at
from .phone import browser, camera_photo, controlled, expect, log_in, needs_chromium, shot, until

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
Kind = TaskEvent.Kind


@pytest.fixture
def phone(browser, transactional_db, live_server, settings):
    settings.MOBILE_OUTBOX_RETRY_SECONDS = 1
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


def _cached(page, *paths: str) -> None:
    """Wait until the worker holds these pages (fetched ahead: the phone may go offline next)."""
    until(
        page, """paths => caches.open('gt-pages').then(c => c.keys()).then(keys => {
             const have = keys.map(r => new URL(r.url).pathname + new URL(r.url).search);
             return paths.every(p => have.includes(p));
           })""", list(paths))


def _offline(page, on: bool) -> None:
    page.context.set_offline(on)


def _queued(page, text: str) -> None:
    expect(page.locator("#outbox")).to_contain_text(text)


def _all_sent(page) -> None:
    """Nothing waits in the outbox (the banner says so) and nothing was refused."""
    until(
        page, """() => new Promise(resolve => {
             const db = indexedDB.open('gt-outbox', 1);
             db.onsuccess = () => {
               const r = db.result.transaction('requests').objectStore('requests').count();
               r.onsuccess = () => resolve(r.result === 0);
             };
             db.onerror = () => resolve(false);
           })""")
    expect(page.locator("#outbox")).not_to_contain_text("待发送")
    expect(page.locator("#outbox-items")).to_be_hidden()


def _count(task: Task, kind: str) -> int:
    return TaskEvent.objects.filter(task=task, kind=kind).count()


def _open_task(page, task: Task) -> None:
    page.goto(f"/m/t/{task.pk}/")
    expect(page.locator("article")).to_contain_text(task.code)


def _start(page, tmp_path, plan: str) -> None:
    page.fill("textarea[name=plan]", plan)
    page.set_input_files("form[action$='/start/'] input[name=photos]", camera_photo(tmp_path))


def _extend(page, reason: str) -> None:
    page.locator("details summary", has_text="申请延期").click()
    page.fill("textarea[name=reason]", reason)


def _submit(page, tmp_path, note: str) -> None:
    page.set_input_files("form[action$='/submit/'] input[name=photos]", camera_photo(tmp_path))
    page.fill("form[action$='/submit/'] textarea[name=note]", note)


def _report(page, tmp_path, world, x: float, address: str) -> None:
    page.select_option("select[name=category]", label=world.category.name)
    page.set_input_files("#report input[name=photos]", camera_photo(tmp_path))
    box = page.locator("#map").bounding_box()
    page.locator("#map").click(position={"x": box["width"] * x, "y": box["height"] * 0.3})
    page.fill("input[name=address]", address)


def _drop_mid_flight(page, button: str) -> None:
    """Tap, and lose the network right after, while the photo is prepared or the post is on its
    way. Either way the page moves on: sent (the task page or the list) or queued (the list)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
        _offline(page, True)
    expect(page).to_have_url(re.compile(r"/m/(t/\d+/)?$"))


def test_ten_network_toggles_mid_action_every_action_applied_once_and_the_page_up_to_date(
        phone, world, tmp_path):
    page = phone
    a = report_at(world, g1_point(0), description="垃圾桶满溢")
    b = report_at(world, g1_point(4), description="路面垃圾")
    log_in(page, "grid1")
    controlled(page)
    page.reload()
    # Opened once online, the list fetches ahead my tasks and the report form.
    _cached(page, "/m/", "/m/report/", f"/m/t/{a.pk}/", f"/m/t/{b.pk}/")

    # 1. Start A with its before photo, the network gone before the tap: queued, then sent.
    _open_task(page, a)
    _start(page, tmp_path, "今天下午清运")
    _offline(page, True)
    page.get_by_role("button", name="开始处置").click()
    expect(page).to_have_url(re.compile(r"/m/$"))
    _queued(page, "1 项待发送：开始处置")
    assert _count(a, Kind.STARTED) == 0
    shot(page, "outbox-1-queued-start")
    _offline(page, False)
    _all_sent(page)
    assert _count(a, Kind.STARTED) == 1
    # The list re-read itself after sending: A is now in progress, without a reload.
    expect(page.locator(f"a[href='/m/t/{a.pk}/'] .tag")).to_have_text("处置中")
    _queued(page, "已从队列发送：1")
    shot(page, "outbox-2-sent-list-refreshed")

    # 2. Ask for more time on A; the network drops right after the tap (mid-flight).
    _open_task(page, a)
    _extend(page, "等待环卫车辆")
    _drop_mid_flight(page, "提交延期申请")
    _offline(page, False)
    _all_sent(page)
    assert _count(a, Kind.EXTENSION_REQUESTED) == 1

    # 3–4. Submit A's fix with a photo offline; the signal flaps while the queue is being sent.
    _open_task(page, a)
    _submit(page, tmp_path, "已清运完毕")
    _offline(page, True)
    page.get_by_role("button", name="提交核查").click()
    _queued(page, "1 项待发送：提交处置结果")
    _offline(page, False)
    page.wait_for_timeout(150)
    _offline(page, True)
    page.wait_for_timeout(600)
    _offline(page, False)
    _all_sent(page)
    assert _count(a, Kind.SUBMITTED) == 1

    # 5. The report form opens offline (fetched ahead, never opened), a report is queued there.
    _offline(page, True)
    page.goto("/m/report/")
    expect(page.get_by_role("heading", name="上报问题")).to_be_visible()
    _report(page, tmp_path, world, 0.15, "中山路3号")
    shot(page, "outbox-3-report-offline")
    page.get_by_role("button", name="提交上报").click()
    expect(page).to_have_url(re.compile(r"/m/$"))
    _queued(page, "1 项待发送：上报问题")
    assert Task.objects.count() == 2
    _offline(page, False)
    _all_sent(page)
    assert Task.objects.filter(address="中山路3号").count() == 1

    # 6. Start B with a photo; the network drops while the photo is being prepared.
    _open_task(page, b)
    _start(page, tmp_path, "明早处理")
    _drop_mid_flight(page, "开始处置")
    _offline(page, False)
    _all_sent(page)
    assert _count(b, Kind.STARTED) == 1

    # 7. B's extension, offline before the tap, then a second action queued behind it (8).
    _open_task(page, b)
    _extend(page, "需要协调城管")
    _offline(page, True)
    page.get_by_role("button", name="提交延期申请").click()
    _queued(page, "1 项待发送：延期申请")
    _offline(page, False)
    _all_sent(page)
    assert _count(b, Kind.EXTENSION_REQUESTED) == 1
    _open_task(page, b)
    _submit(page, tmp_path, "已处理")
    _offline(page, True)
    page.get_by_role("button", name="提交核查").click()
    _queued(page, "1 项待发送：提交处置结果")
    _offline(page, False)
    _all_sent(page)
    assert _count(b, Kind.SUBMITTED) == 1

    # 9. A second report, online when tapped, offline mid-upload.
    page.goto("/m/report/")
    _report(page, tmp_path, world, 0.3, "中山路9号")
    _drop_mid_flight(page, "提交上报")
    _offline(page, False)
    _all_sent(page)

    # 10. Offline again: the list and A's page open from the phone, as they are after sending.
    page.goto("/m/")
    _all_sent(page)
    _offline(page, True)
    page.goto(f"/m/t/{a.pk}/")
    expect(page.locator("article .tag").first).to_have_text("已提交")
    page.goto("/m/")
    expect(page.locator(f"a[href='/m/t/{a.pk}/']")).to_have_count(0)
    _offline(page, False)
    _all_sent(page)

    # Every action exactly once.
    for task in (a, b):
        task.refresh_from_db()
        assert task.status == Status.SUBMITTED
        assert _count(task, Kind.STARTED) == 1
        assert _count(task, Kind.EXTENSION_REQUESTED) == 1
        assert _count(task, Kind.SUBMITTED) == 1
        assert task.photos.filter(kind=Photo.Kind.BEFORE).count() == 1
        assert task.photos.filter(kind=Photo.Kind.AFTER).count() == 1
    reports = Task.objects.exclude(pk__in=[a.pk, b.pk])
    assert sorted(reports.values_list("address", flat=True)) == ["中山路3号", "中山路9号"]
    assert all(TaskEvent.objects.filter(task=t, kind=Kind.REPORTED).count() == 1
               for t in reports)
    assert sorted(Submission.objects.values_list("action", flat=True)) == sorted(
        ["start", "extend", "submit"] * 2 + ["report"] * 2)
    # The page is up to date (the list opened offline in step 10, not reloaded since): it holds
    # the two reports, not the fixes sent for verification.
    links = page.locator("ol.tasks a.task")
    expect(links).to_have_count(2)
    hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert {int(h.split("/")[-2]) for h in hrefs} == set(reports.values_list("pk", flat=True))
    expect(page.locator(".count b").last).to_have_text("2")
    shot(page, "outbox-4-all-sent")


def test_a_conflict_is_shown_with_what_to_do_and_kept_until_dismissed(phone, world, tmp_path):
    page = phone
    task = report_at(world, g1_point(0))
    log_in(page, "grid1")
    controlled(page)
    _open_task(page, task)
    _start(page, tmp_path, "下午处理")
    _offline(page, True)
    page.get_by_role("button", name="开始处置").click()
    _queued(page, "1 项待发送：开始处置")
    # Meanwhile, on the server, a supervisor urges the task: its version moves on.
    services.task_urge(task=task, actor=world.supervisor.user, note="尽快处理")
    _offline(page, False)

    conflict = page.locator("#outbox-items li.conflict")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("任务已被他人修改，请刷新后重试")
    expect(conflict).to_contain_text("打开本页面后该任务已被他人修改")  # the server's message
    expect(conflict).to_contain_text("开始处置")
    expect(page.locator("#outbox")).not_to_contain_text("待发送")
    shot(page, "outbox-5-conflict")
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED and _count(task, Kind.STARTED) == 0
    assert not Submission.objects.exists()

    # Not dropped: it stays on every page until the officer says so.
    page.reload()
    expect(conflict).to_have_count(1)
    conflict.get_by_role("link", name="打开任务").click()
    expect(page).to_have_url(re.compile(rf"/m/t/{task.pk}/$"))
    expect(page.locator(".timeline")).to_contain_text("尽快处理")
    expect(conflict).to_have_count(1)
    shot(page, "outbox-6-conflict-on-task")
    conflict.get_by_role("button", name="知道了").click()
    expect(conflict).to_have_count(0)
    page.reload()
    expect(page.locator("#outbox-items")).to_be_hidden()
    # The officer starts again on the page as it is now: accepted.
    _start(page, tmp_path, "下午处理")
    page.get_by_role("button", name="开始处置").click()
    expect(page.locator(".messages")).to_contain_text("已开始处置")
    assert _count(task, Kind.STARTED) == 1


def test_a_server_error_keeps_the_item_and_the_timer_sends_it_without_a_page_load(
        phone, world, monkeypatch):
    page = phone
    task = report_at(world, g1_point(0))
    services.task_start(task=task, actor=world.grid_officer.user)
    real = services.task_request_extension
    calls: list[int] = []

    def failing_once(**kw):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")  # a 500
        return real(**kw)

    log_in(page, "grid1")
    controlled(page)
    _open_task(page, task)
    _extend(page, "等待材料")
    _offline(page, True)
    page.get_by_role("button", name="提交延期申请").click()
    _queued(page, "1 项待发送：延期申请")
    page.evaluate("window.notReloaded = true")
    monkeypatch.setattr(services, "task_request_extension", failing_once)
    _offline(page, False)
    _all_sent(page)
    assert len(calls) == 2  # refused once with a 500, kept, sent again by the timer
    assert _count(task, Kind.EXTENSION_REQUESTED) == 1
    assert page.evaluate("window.notReloaded === true")
    expect(page.locator("#outbox-items")).to_be_hidden()
