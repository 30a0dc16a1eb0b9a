"""Acceptance in a real browser at a phone's size (see phone.py): an officer works a red task
to submission, reports a problem located before sending, and an inspector verifies a fix."""

from __future__ import annotations

import re
from datetime import timedelta

from gridmgmt import clock
from tasks_app import services
from tasks_app.models import Photo, Task
from tasks_app.workflow import Status

from .conftest import g1_point, make_red, photo, report_at
from .phone import browser, camera_photo, expect, fits_the_phone, log_in, needs_chromium, page, shot

__all__ = ["browser", "page"]  # fixtures
pytestmark = needs_chromium


def test_an_officer_starts_and_submits_a_red_task_which_leaves_the_list(page, world, tmp_path):
    red = make_red(report_at(world, world.point_g1, description="垃圾桶满溢", photos=[photo()]))
    green = report_at(world, g1_point(0))
    log_in(page, "grid1", screenshot="officer-0-login")

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
    # An inspector's list opens on the fixes waiting for verification.
    expect(page.locator("nav.tabs a[aria-current]")).to_have_text("待核查")
    link = page.locator(f"a[href='/m/t/{task.pk}/']")
    expect(link).to_have_count(1)
    link.click()
    # The report's photo and the fix side by side: 处置前 | 处置后.
    before, after = page.locator(".beforeafter figure").all()
    expect(before.locator("figcaption")).to_have_text("处置前")
    expect(before.locator("img")).to_have_count(1)
    expect(after.locator("figcaption")).to_have_text("处置后")
    expect(after.locator("img")).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("已拆除")
    # Back goes to the list the inspector came from: his landing list, the fixes to verify.
    expect(page.locator(".bar a.back")).to_have_attribute("href", "/m/")
    fits_the_phone(page)
    shot(page, "inspector-1-task")
    page.get_by_role("button", name="通过").click()
    expect(page).to_have_url(re.compile(r"/m/\?f=verify$"))
    expect(page.locator(".messages")).to_contain_text("核查通过，任务已结案")
    expect(link).to_have_count(0)
    shot(page, "inspector-2-verified")
    task.refresh_from_db()
    assert task.status == Status.CLOSED
