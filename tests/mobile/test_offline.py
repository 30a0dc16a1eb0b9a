"""Weak signal in a real browser: a report made offline is kept by the service worker and sent
once when the connection returns; the task list still opens offline."""

from __future__ import annotations

import re

from tasks_app.models import Submission, Task

from .phone import browser, camera_photo, controlled, expect, log_in, needs_chromium, page, shot

__all__ = ["browser", "page"]  # fixtures
pytestmark = needs_chromium


def test_a_report_made_offline_is_sent_once_when_the_signal_returns(page, world, tmp_path):
    log_in(page, "grid1")
    controlled(page)
    page.reload()  # the list, now cached by the worker
    page.get_by_role("link", name="上报").click()
    controlled(page)
    page.select_option("select[name=category]", label=world.category.name)
    page.set_input_files("input[name=photos]", camera_photo(tmp_path))
    page.get_by_role("button", name=re.compile("使用我的位置")).click()
    expect(page.locator("#located")).to_contain_text("一号网格")

    page.context.set_offline(True)
    page.get_by_role("button", name="提交上报").click()
    expect(page).to_have_url(re.compile(r"/m/$"))
    expect(page.locator("#outbox")).to_contain_text("已保存在手机上")
    assert not Task.objects.exists()
    shot(page, "offline-1-queued")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#outbox")).to_contain_text("已从队列发送：1")
    task = Task.objects.get()
    assert task.grid == world.grid1 and task.photos.count() == 1
    assert Submission.objects.filter(task=task, action="report").count() == 1
    # Another replay finds nothing left to send.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.reload()
    expect(page.locator(f"a[href='/m/t/{task.pk}/']")).to_have_count(1)
    assert Task.objects.count() == 1
    shot(page, "offline-2-sent")
