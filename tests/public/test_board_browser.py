"""The public board in Debian's Chromium at a phone's 390 × 844 and a desktop's 1440 × 900: from
/public/ to the district's month, its figures by category, one dot on the map per published
problem (the patrol find still open is not one), and a result with its after photo, with no
horizontal scrolling, no script error and nothing the Content-Security-Policy blocked.
Screenshots: artifacts/screenshots/board-*.png."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tasks_app import services
from tasks_app.models import Source
from tests.evaluation.conftest import photo
from tests.mobile.phone import browser, expect, needs_chromium, shot, until

__all__ = ["browser"]  # fixture
pytestmark = needs_chromium

SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                   "is_mobile": True, "has_touch": True},
         "desktop": {"viewport": {"width": 1440, "height": 900}}}


@pytest.fixture
def month(transactional_db, world, settings):
    """This month: a citizen's report closed with an after photo, a hotline call still open,
    a patrol find still open (internal)."""
    settings.MAP_TILE_URL = ""
    w = world
    lng, lat = w.point_g1
    done = services.task_report(reporter=w.inspector.user, category=w.category, lng=lng,
                                lat=lat, source=Source.CITIZEN)
    done = services.task_start(task=done, actor=done.assignee.user, plan="内部方案")
    done = services.task_submit(task=done, actor=done.assignee.user, photos=[photo()])
    done = services.task_verify(task=done, actor=w.inspector.user, approved=True)
    services.task_report(reporter=w.inspector.user, category=w.category, lng=w.point_g2[0],
                         lat=w.point_g2[1], source=Source.HOTLINE)
    services.task_report(reporter=w.inspector.user, category=w.category, lng=lng - 0.003,
                         lat=lat - 0.003, source=Source.PATROL)
    cache.clear()
    yield done
    cache.clear()


@pytest.mark.parametrize("size", SIZES)
def test_the_board_reads_on_a_phone_and_a_desktop(browser, live_server, world, month, size):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server.url, **SIZES[size])
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    try:
        page.goto("/public/")
        page.get_by_role("link", name=world.district.name).click()
        table = page.locator("table.figures")
        expect(table.locator(f'tr[data-category="{world.category.code}"] td').first) \
            .to_have_text("2")  # reported this month: the citizen's and the hotline's
        # One dot per published problem: the closed result and the open hotline call.
        expect(page.locator("#public-map path.leaflet-interactive")).to_have_count(2)
        assert page.evaluate("document.documentElement.scrollWidth") <= \
            SIZES[size]["viewport"]["width"]
        shot(page, f"board-district-{size}")
        page.locator("ul.results a").first.click()
        image = page.locator(".photos img").first
        expect(image).to_be_visible()
        until(page, "img => img.complete && img.naturalWidth > 0", image.element_handle())
        assert "内部方案" not in page.content()
        shot(page, f"board-result-{size}")
    finally:
        context.close()
    assert problems == []
