"""Celery jobs: thin, idempotent, passing ids. The work is in escalation.py and notify.py."""

from __future__ import annotations

import hashlib
import logging
import uuid
from contextlib import contextmanager

from celery import shared_task
from django.core.cache import cache
from django.db import connection, transaction

from gridmgmt import clock

from . import escalation, notify

log = logging.getLogger(__name__)

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"gridtasks:{name}".encode(), digest_size=8).digest(),
                          "big", signed=True)


@contextmanager
def single_run(name: str, ttl: int):
    """Skip the run when another one holds the lock (correctness does not depend on it: the
    claims below are conditional; it only avoids wasted overlapping work).

    On PostgreSQL the lock is an advisory lock held by the run's transaction, so a worker killed
    mid-run (tests/drills) frees it with its connection and the next run goes ahead at once;
    elsewhere it is a cache key that expires after ``ttl`` seconds."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_key(name)])
                got = cursor.fetchone()[0]
            yield got
        return
    token = uuid.uuid4().hex
    key = f"lock:{name}"
    got = cache.add(key, token, ttl)
    try:
        yield got
    finally:
        if got and cache.get(key) == token:
            cache.delete(key)


@shared_task(name="tasks_app.sweep", soft_time_limit=240, time_limit=300, **IDEMPOTENT)
def sweep_job() -> dict[str, int] | None:
    with single_run("sweep", ttl=300) as got:
        if not got:
            log.info("Another sweep is running; skipped.")
            return None
        result = escalation.sweep(clock.now()).as_dict()
    log.info("sweep %s", result)
    return result


@shared_task(name="tasks_app.send_notifications", soft_time_limit=240, time_limit=300,
             **IDEMPOTENT)
def send_notifications_job() -> dict[str, int]:
    # No lock: claims make concurrent senders safe, and a second sender just helps.
    counts = notify.send_pending()
    if sum(counts.values()):
        log.info("notifications %s", counts)
    return counts


@shared_task(name="tasks_app.daily_digest", soft_time_limit=240, time_limit=300, **IDEMPOTENT)
def daily_digest_job() -> int:
    created = notify.create_digests()
    notify.kick_sender()
    return created


@shared_task(name="tasks_app.monthly_report", soft_time_limit=540, time_limit=600, **IDEMPOTENT)
def monthly_report_job(month: str | None = None) -> int:
    """On the 1st: the monthly report for the month before, to every street leader and district
    supervisor, through the outbox (one row per month and person, so a rerun adds nothing)."""
    from . import reports

    created = reports.create_monthly_reports(month=month)
    log.info("monthly report %s: %s rows", month or reports.report_month(clock.now()), created)
    notify.kick_sender()
    return created


@shared_task(name="tasks_app.warm_dashboards", soft_time_limit=540, time_limit=600,
             **IDEMPOTENT)
def warm_dashboards_job() -> int | None:
    """Nightly, and after a change to duties or the map in the console: the dashboard trend of
    every console user's scope read into the cache, so that nobody's first view of the day, or
    of a new scope, is the one that reads it (``console.dashboard.warm``)."""
    from .authority import console_users
    from .console import dashboard

    with single_run("warm_dashboards", ttl=600) as got:
        if not got:
            log.info("Another dashboard warm-up is running; skipped.")
            return None
        now, warmed = clock.now(), 0
        for user in console_users(now):
            try:
                with transaction.atomic():
                    warmed += dashboard.warm(user, now=now)
            except Exception:  # one scope's failure does not keep the others cold
                log.exception("dashboard warm-up failed for user %s", user.pk)
    log.info("dashboard trends warmed for %s users", warmed)
    return warmed
