"""Page weight of the officer's task list (/m/): what a phone downloads on a first visit, as the
product serves it.

Run as a script: ``python bench/page_weight.py [--tasks 200] [--static-root DIR]``. It builds a
small world in a throw-away SQLite database, logs a grid officer in and requests, through the
whole middleware stack with production settings (DEBUG off, collectstatic's compressed manifest
storage served by WhiteNoise), with ``Accept-Encoding: gzip, deflate, br`` as a phone's browser
sends it:

- the list ``/m/`` with ``--tasks`` open tasks (gzipped by the product itself,
  config/compression.py);
- every stylesheet, script, manifest and icon the page links, as WhiteNoise sends them (its
  precompressed ``.gz`` copies where collectstatic wrote one);
- the service worker the page registers (``/m/sw.js``) and the shell the worker precaches when it
  installs (static files and the offline page).

Each response counts its body as sent plus its status line and headers as Django writes them. The
pages the worker then fetches ahead for offline use (the list's first task pages, up to 40) are
reported apart (``warm_bytes``): they load in the background after the list is shown. Prints one
JSON line; exits 1 when the total is over the 60 KB target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_BYTES = 60 * 1024
DEFAULT_TASKS = 200  # the target: the list with 200 tasks
PHONE = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "HTTP_ACCEPT_LANGUAGE": "zh-hans"}
WARM_MAX = 40  # pages the service worker fetches ahead per page (tasks_app/templates/mobile/sw.js)


def _setup(tmp: str, static_root: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp}/weight.sqlite3",
        "DEBUG": "false",
        "VAR_DIR": tmp,
        "MEDIA_ROOT": f"{tmp}/media",
        "STATIC_ROOT": static_root,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LANGUAGE_CODE": "zh-hans",
        "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    from bench import server

    # Production's cache and broker: the benchmarks' Redis database (python -m bench flushes it).
    os.environ["REDIS_URL"] = server.redis_url()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not Path(static_root, "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def _world(n_tasks: int):
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridmgmt.models import Duty, Grid, Officer, Region, Road, Role
    from tasks_app import services
    from tasks_app.models import Category, Task

    def square(x0: float, y0: float, size: float = 0.01) -> dict:
        ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    district = Region.objects.create(code="D", name="示范区", level="district")
    street = Region.objects.create(code="S", name="东街道", level="street", parent=district)
    community = Region.objects.create(code="C", name="一社区", level="community", parent=street)
    grid = Grid.objects.create(code="G1", name="一号网格", community=community,
                               boundary=square(120.0, 30.0))
    Road.objects.create(code="R1", name="中山路", centre_line={
        "type": "LineString", "coordinates": [[120.0, 30.005], [120.01, 30.005]]})
    user = get_user_model().objects.create_user("grid1", password="pass-12345")
    officer = Officer.objects.create(user=user, name="张网格")
    Duty.objects.create(officer=officer, role=Role.GRID_OFFICER, grid=grid,
                        valid_from=timezone.now() - timedelta(days=30))
    names = ["垃圾满溢", "违规横幅", "占道经营", "乱张贴", "道路扬尘", "共享单车乱停放"]
    categories = [Category.objects.create(code=f"C{i}", name=name, kind="event", time_limit=4)
                  for i, name in enumerate(names)]
    now = timezone.now()
    for i in range(n_tasks):
        # 81 points 100 m apart, away from the road; each point takes one task per category
        # before any category comes back to it, so no report is a repeat of another (up to 486).
        p = i % 81
        lng, lat = 120.0005 + (p % 9) * 0.001, 30.0005 + (p // 9) * 0.001
        category = categories[i // 81 % len(categories)]
        task = services.task_report(reporter=None, category=category,
                                    lng=lng, lat=lat, address=f"中山路{i + 1}号门前")
        if i % 3 == 0:
            Task.objects.filter(pk=task.pk).update(deadline=now - timedelta(hours=2),
                                                   yellow_at=now - timedelta(hours=4))
    return user


def _wire(response) -> tuple[int, int, str]:
    """(body bytes as sent, status line and header bytes, Content-Encoding) of a response."""
    body = (b"".join(response.streaming_content) if response.streaming
            else response.content)
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n".encode())
    head += sum(len(f"{k}: {v}\r\n".encode()) for k, v in response.items()) + 2
    for cookie in response.cookies.values():
        head += len(f"Set-Cookie: {cookie.OutputString()}\r\n".encode())
    return len(body), head, response.get("Content-Encoding", "")


def measure(n_tasks: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    user = _world(n_tasks)
    client = Client(**PHONE)
    client.force_login(user)
    response = client.get(reverse("mobile:tasks"))
    assert response.status_code == 200, response.status_code
    page_body, page_head, page_encoding = _wire(response)
    html = client.get(reverse("mobile:tasks"), HTTP_ACCEPT_ENCODING="identity").content.decode()
    shown = html.count('class="task ')
    files: dict[str, dict] = {}

    def fetch(url: str) -> None:
        if url in files:
            return
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        body, head, encoding = _wire(r)
        files[url] = {"body": body, "headers": head, "encoding": encoding}

    # What the page links: stylesheets, scripts, the manifest, the icon (apple-touch-icon only
    # on iPhones; the worker precaches it below anyway).
    for tag in re.findall(r"<(?:link|script)\b[^>]*>", html):
        url = re.search(r'(?:href|src)="([^"]+)"', tag)
        if url and "apple-touch-icon" not in tag:
            fetch(url.group(1))
    worker = reverse("mobile:sw")
    fetch(worker)
    # The shell the worker precaches on install.
    raw_worker = client.get(worker, HTTP_ACCEPT_ENCODING="identity").content.decode()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", raw_worker).group(1))
    for url in shell:
        fetch(url)
    total = page_body + page_head + sum(f["body"] + f["headers"] for f in files.values())
    # Fetched ahead by the worker for offline use (app.js warm(): the list, the report form, the
    # bar's links and the listed tasks, at most WARM_MAX), after the page is shown.
    home = reverse("mobile:tasks")
    ahead = [home, reverse("mobile:report")]
    header = re.search(r"<header.*?</header>", html, re.S)
    ahead += re.findall(r'<a [^>]*href="([^"]+)"', header.group(0) if header else "")
    ahead += re.findall(r'<a class="task[^"]*" href="([^"]+)"', html)
    warm = 0
    warmed = 0
    for url in ahead[:WARM_MAX]:
        if not url.startswith(home) or url == home:
            continue  # outside the worker's scope, or the list itself (already counted)
        r = client.get(url, HTTP_X_WARM="1")
        if r.status_code == 200:
            body, head, _ = _wire(r)
            warm += body + head
            warmed += 1
    return {
        "benchmark": "page_weight", "page": "/m/", "tasks": n_tasks, "tasks_shown": shown,
        "html_bytes": len(html.encode()), "html_sent": page_body, "html_encoding": page_encoding,
        "html_headers": page_head, "assets": files, "transferred_bytes": total,
        "warm_pages": warmed, "warm_bytes": warm,
        "target_bytes": TARGET_BYTES, "ok": total < TARGET_BYTES,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help="open tasks on the list")
    parser.add_argument("--static-root", default=None,
                        help="collectstatic's output, reused when it holds a manifest")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="page-weight-")
    try:
        _setup(tmp, args.static_root or f"{tmp}/static")
        result = measure(args.tasks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
