"""The review meeting in Debian's Chromium (zh-CN, 1440 × 900), on the demo district: the bureau
administrator publishes last month (the seeds published it already, so again, with a reason),
writes the review and a penalty for the last street, opens the meeting pack and prints it (print
media emulated, a screenshot and a PDF); then that street's leader logs in and reads his review
on the console. Screenshots go to artifacts/screenshots/review-*.png."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from gridmgmt import clock
from gridmgmt.models import Duty, Role
from tasks_app.evaluation import previous_month
from tasks_app.models import Decision, EvaluationPublication, UnitReview
from tests.mobile.phone import SHOTS, browser, expect, needs_chromium, shot, until

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

DESKTOP = {"width": 1440, "height": 900}



@pytest.fixture
def seeded(transactional_db, settings):
    settings.MAP_TILE_URL = ""
    call_command("load_seeds", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def console(browser, seeded, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert errors == []


def log_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_the_bureau_publishes_reviews_the_last_street_prints_the_pack_and_its_leader_reads_it(
        console):
    page = console
    month = previous_month(f"{timezone.localdate(clock.now()):%Y-%m}")
    log_in(page, "bureau_admin")
    page.goto(f"/admin/evaluation/?month={month}&level=street")
    banner = page.locator(".publication-banner")
    expect(banner).to_contain_text("1")  # the seeds' version 1
    page.fill(".publish-form input[name=reason]", "会前复核：按最新数据重新发布")
    page.locator(".publish-form button[type=submit]").click()
    expect(page.locator(".publication-banner.published")).to_contain_text("2")
    expect(page.locator(".publication-versions summary")).to_have_count(1)
    assert EvaluationPublication.objects.filter(month=month).count() == 2
    shot(page, "review-1-published")

    # The last street's review: a comment and a penalty.
    last = page.locator("#evaluation-table tbody tr").last
    name = last.locator("a.review-link").inner_text()
    last.locator("a.review-link").click()
    expect(page).to_have_url(re.compile(rf"/admin/evaluation/{month}/street/\d+/$"))
    page.fill("textarea[name=comment]", "超期问题集中，重复点位反复发生，要求限期整改。")
    page.locator("input[name=form][value=comment] ~ button").click()
    expect(page.locator(".review-text")).to_contain_text("限期整改")
    page.select_option("select[name=kind]", "penalty")
    page.fill("input[name=amount]", "1500")
    page.fill("textarea[name=reason]", "月度考评末位，按办法扣罚。")
    page.locator("input[name=form][value=decision] ~ button").click()
    expect(page.locator(".decision-table tr.decision-penalty").last).to_contain_text("1500")
    shot(page, "review-2-last-street")
    review = UnitReview.objects.get(month=month, unit_name=name)
    assert review.decisions.filter(kind=Decision.Kind.PENALTY, amount=1500).exists()

    # The meeting pack, printed.
    page.goto(f"/admin/evaluation/?month={month}")
    page.locator("#meeting-pack").click()
    expect(page).to_have_url(re.compile(rf"/admin/evaluation/{month}/pack/$"))
    until(page, "window.packChart && window.packChart.data.labels.length > 0")
    expect(page.locator(".pack-review", has_text=name).first).to_contain_text("限期整改")
    photos = page.locator(".pack-photos img")
    assert photos.count() > 0
    for img in photos.all():  # loaded through the scoped photo view, none broken
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    page.emulate_media(media="print")
    assert page.locator(".pack-tools").is_hidden()  # the print stylesheet hides the tools
    shot(page, "review-3-pack-print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SHOTS / "review-pack.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.emulate_media(media="screen")

    # The street's leader reads his review on the console.
    leader = Duty.objects.filter(role=Role.STREET_LEADER, region_id=review.unit_id,
                                 valid_to__isnull=True).select_related("officer__user").first()
    log_in(page, leader.officer.user.username)
    page.goto(f"/admin/evaluation/?month={month}")
    mine = page.locator(".my-reviews")
    expect(mine).to_contain_text(name)
    mine.locator("a", has_text=month).first.click()
    expect(page.locator(".review-text")).to_contain_text("限期整改")
    expect(page.locator(".decision-table")).to_contain_text("1500")
    assert page.locator("textarea[name=comment]").count() == 0  # read only
    shot(page, "review-4-street-leader")
