"""Drills with real processes: a Celery worker on Redis, concurrent sweeps, a killed sender.

They need a database other processes can open (PostgreSQL, as CI runs it) and, for the worker,
REDIS_URL. Each drill uses its own SMTP server on a free loopback port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tasks_app import notify, services
from tasks_app.models import Escalation, Notification, Task

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("process drills need a database shared between processes (PostgreSQL)")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="config.settings",
               SECURE_SSL_REDIRECT="0", **extra)
    return env


def _manage(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _overdue_tasks(world, count: int) -> list[int]:
    """``count`` tasks dispatched three days ago, so every threshold up to red has passed."""
    lng, lat = world.point_g1
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        first = services.task_report(reporter=world.inspector.user, category=world.category,
                                     lng=lng, lat=lat)
    clones = []
    for _ in range(count - 1):
        t = Task.objects.get(pk=first.pk)
        t.pk = t.code = None
        clones.append(t)
    Task.objects.bulk_create(clones)
    return list(Task.objects.values_list("pk", flat=True))


def test_two_sweeps_at_once_cross_each_level_once(world):
    ids = _overdue_tasks(world, 400)
    procs = [_manage("sweep") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    crossed = 0
    for out in outputs:
        counts = dict(part.split("=") for part in out.split()[-6:])
        crossed += sum(int(counts[f"level_{lvl}"]) for lvl in range(4))
    # Each task crossed its highest level in exactly one of the two processes.
    assert crossed == len(ids)
    levels = Task.objects.values_list("escalation_level", flat=True).distinct()
    top = max(levels)
    assert Escalation.objects.filter(level=top).count() == len(ids)
    per_task = Notification.objects.filter(task_id__in=ids, level=top)
    assert per_task.count() == len(ids) * per_task.values("recipient").distinct().count()
    # And a third sweep finds nothing to do.
    out = _manage("sweep").communicate(timeout=60)[0]
    assert "level_1=0 level_2=0 level_3=0" in out.replace("level_0=0 ", "")


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_nothing(world, smtp_server):
    _overdue_tasks(world, 5)
    out = _manage("sweep").communicate(timeout=60)[0]
    rows = Notification.objects.all()
    total = rows.count()
    assert total >= 10, out
    smtp_server.mailbox.stall_after = 4
    sender = _manage("send_notifications", EMAIL_URL=smtp_server.url)
    assert smtp_server.mailbox.stalled.wait(60), "the sender never reached the fifth message"
    sender.send_signal(signal.SIGKILL)
    sender.wait(10)
    assert rows.filter(status="sent").count() == 4
    smtp_server.mailbox.stall_after = None
    # Rows the dead sender had claimed are taken back after the claim timeout.
    later = timezone.now() + notify.CLAIM_TIMEOUT + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        while sum(notify.send_pending(now=later).values()):
            pass
    messages = smtp_server.mailbox.wait_for(total)
    assert len(messages) == total
    assert len({m["Message-ID"] for m in messages}) == total
    assert set(rows.values_list("status", flat=True)) == {"sent"}


@pytest.fixture
def celery_worker(world, smtp_server):
    if not settings.REDIS_URL:
        pytest.skip("the worker drill needs REDIS_URL (CI sets it)")
    from config.celery import app

    queue = f"drill-{uuid.uuid4().hex[:8]}"
    log = Path(settings.VAR_DIR) / "log" / f"{queue}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "-l", "info", "-Q", queue, "-n", f"{queue}@%h"],
            cwd=ROOT, env=_env(EMAIL_URL=smtp_server.url, CELERY_QUEUE=queue),
            stdout=out, stderr=subprocess.STDOUT)
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        assert "ready" in log.read_text(), log.read_text()
        yield proc
    finally:
        app.conf.task_default_queue = old_queue
        proc.terminate()
        proc.wait(30)


def test_a_worker_sweeps_and_the_alert_reaches_the_mail_server(world, smtp_server,
                                                               celery_worker):
    from tasks_app.jobs import sweep_job

    (task_id,) = _overdue_tasks(world, 1)
    sweep_job.delay()
    deadline = time.monotonic() + 60
    rows = Notification.objects.filter(task_id=task_id)
    while time.monotonic() < deadline:
        if rows.exists() and not rows.exclude(status="sent").exists():
            break
        time.sleep(0.3)
    assert rows.exists() and set(rows.values_list("status", flat=True)) == {"sent"}
    messages = smtp_server.mailbox.wait_for(rows.count())
    assert len(messages) == rows.count()
    assert set(rows.values_list("email", flat=True)) == {m["To"] for m in messages}
    code = Task.objects.get(pk=task_id).code
    assert all(code in m["Subject"] for m in messages)
