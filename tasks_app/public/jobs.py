"""Celery jobs of the public side (discovered by config/celery.py's autodiscover)."""

from __future__ import annotations

import logging

from celery import shared_task

from tasks_app.jobs import IDEMPOTENT

log = logging.getLogger(__name__)


@shared_task(name="public.send_closure_mails", soft_time_limit=240, time_limit=300,
             **IDEMPOTENT)
def send_closure_mails_job() -> dict[str, int]:
    # No lock: each row is claimed with a conditional UPDATE, so a second sender just helps.
    from . import services

    counts = services.send_closure_mails()
    if sum(counts.values()):
        log.info("citizen closure mails %s", counts)
    return counts
