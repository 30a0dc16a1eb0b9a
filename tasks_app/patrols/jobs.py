"""Celery jobs of the patrols: thin, idempotent. The work is in alerts.py."""

from __future__ import annotations

import logging

from celery import shared_task

from gridmgmt import clock
from tasks_app.jobs import IDEMPOTENT, single_run

from . import alerts

log = logging.getLogger(__name__)


@shared_task(name="patrols.overdue_alerts", soft_time_limit=240, time_limit=300, **IDEMPOTENT)
def overdue_alerts_job() -> dict[str, int] | None:
    """Alert the chiefs of roads and grids unpatrolled past their frequency (once a period)."""
    with single_run("patrol-overdue", ttl=300) as got:
        if not got:
            log.info("Another overdue-patrol run is going; skipped.")
            return None
        result = alerts.alert_overdue(now=clock.now())
    log.info("overdue patrols %s", result)
    return result
