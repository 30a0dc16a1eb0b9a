"""Driving the phone pages in Debian's Chromium through Playwright, at 360 × 740.

The test set-up installs Chromium from Debian (``apt-get install -y chromium``); Playwright never
downloads a browser here. Without /usr/bin/chromium the browser tests are skipped, saying so.
Each browser test leaves screenshots in artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium)",
)


def _sync_api():
    return pytest.importorskip("playwright.sync_api")


def expect(*args, **kwargs):
    return _sync_api().expect(*args, **kwargs)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's Chromium")
    sync_api = _sync_api()
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
    # Chromium reports what the Content-Security-Policy blocked on the console: none of it.
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text)
          if "Content Security Policy" in msg.text else None)
    yield pg
    context.close()
    assert blocked == []


def until(page, script: str, arg=None, timeout: float = 15) -> None:
    """Poll ``script`` (an expression or a possibly async function) in the page until it is
    truthy. Not ``wait_for_function``: when its first check fails, its polling evaluates the
    string with ``eval``, which the pages' Content-Security-Policy (no unsafe-eval) refuses."""
    end = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < end, f"timed out after {timeout} s waiting for {script}"
        page.wait_for_timeout(100)


def controlled(page) -> None:
    """Wait until the service worker controls the page. Its install caches the officer's pages
    first: allow for a busy machine. A worker that finished installing after the page loaded
    controls the page from its next load, as on a phone: reload once a while has passed."""
    script = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
    for attempt in range(3):
        try:
            until(page, script, timeout=20)
            return
        except AssertionError:
            if attempt == 2:
                raise
            page.reload()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> None:
    """No horizontal scrolling, and the main buttons are big enough for a thumb."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for height in page.locator(".btn:visible").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"):
        assert height >= 40


def log_in(page, username: str, screenshot: str = "") -> None:
    page.goto("/m/")
    expect(page).to_have_url(re.compile(r"/m/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-12345")
    if screenshot:
        fits_the_phone(page)
        shot(page, screenshot)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/m/(\?.*)?$"))


def camera_photo(tmp_path, width=3000, height=2000) -> str:
    """A big 'camera' JPEG the page must shrink to about 1600 px before sending."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    path = tmp_path / "camera.jpg"
    img.save(path, "JPEG", quality=95)
    return str(path)
