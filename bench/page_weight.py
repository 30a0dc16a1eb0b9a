"""Page weight of the officer's task list (/m/): what a phone downloads on a first visit.

Run as a script: ``python bench/page_weight.py [--tasks 30]``. It builds a small world in a
throw-away SQLite database, logs a grid officer in, renders /m/ with ``--tasks`` open tasks, and
adds up the HTML with every stylesheet and script the page loads (and the service worker the page
registers), each compressed as it travels: static files with gzip -9 (as WhiteNoise stores them),
the HTML with gzip -6 (a reverse proxy's usual level). Prints one JSON line; exits 1 when the
total is over the 60 KB target.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_BYTES = 60 * 1024


def _setup(tmp: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp}/weight.sqlite3",
        "VAR_DIR": tmp,
        "MEDIA_ROOT": f"{tmp}/media",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LANGUAGE_CODE": "zh-hans",
    })
    os.environ.pop("REDIS_URL", None)
    # Static files are read from the apps by finders; there is no collected STATIC_ROOT here.
    warnings.filterwarnings("ignore", message="No directory at")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


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
        lng, lat = 120.0005 + (i % 9) * 0.001, 30.0005 + (i // 9 % 9) * 0.001
        task = services.task_report(reporter=None, category=categories[i % len(categories)],
                                    lng=lng, lat=lat, address=f"中山路{i + 1}号门前")
        if i % 3 == 0:
            Task.objects.filter(pk=task.pk).update(deadline=now - timedelta(hours=2),
                                                   yellow_at=now - timedelta(hours=4))
    return user


def _static_bytes(url: str) -> bytes:
    from django.conf import settings
    from django.contrib.staticfiles import finders

    name = url.removeprefix(settings.STATIC_URL).split("?")[0]
    path = finders.find(name)
    if path is None:
        raise SystemExit(f"static file not found: {name}")
    return Path(path).read_bytes()


def measure(n_tasks: int) -> dict:
    from django.test import Client
    from django.test.utils import override_settings

    user = _world(n_tasks)
    plain = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
             "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        response = client.get("/m/")
        assert response.status_code == 200, response.status_code
        html = response.content
        worker = client.get("/m/sw.js").content
    text = html.decode()
    shown = text.count('class="task ')
    urls = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', text)
    assets = {}
    for url in urls:
        body = _static_bytes(url)
        assets[url] = {"bytes": len(body), "gzip": len(gzip.compress(body, 9))}
    assets["/m/sw.js"] = {"bytes": len(worker), "gzip": len(gzip.compress(worker, 9))}
    html_gz = len(gzip.compress(html, 6))
    total = html_gz + sum(a["gzip"] for a in assets.values())
    return {
        "benchmark": "page_weight", "page": "/m/", "tasks": n_tasks, "tasks_shown": shown,
        "html_bytes": len(html), "html_gzip": html_gz, "assets": assets,
        "transferred_bytes": total, "target_bytes": TARGET_BYTES, "ok": total <= TARGET_BYTES,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30, help="open tasks on the list")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="page-weight-")
    try:
        _setup(tmp)
        result = measure(args.tasks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
