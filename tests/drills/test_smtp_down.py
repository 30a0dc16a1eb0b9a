"""The mail server is down when a worker sends: every alert is retried with backoff and goes out
once when the server is back (the in-process version is tests/escalation/test_smtp.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from tasks_app import escalation
from tasks_app.models import Notification
from tests.escalation.test_drills import _overdue_tasks

from .procs import publisher, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_alerts_wait_while_the_mail_server_is_down_and_go_out_once_when_it_returns(
        world, own_redis, queue, workers, smtp_server):
    _overdue_tasks(world, 4)
    escalation.sweep(timezone.now())
    rows = Notification.objects.all()
    total = rows.count()
    assert total >= 8
    smtp_server.stop()
    workers.start()
    jobs = publisher(own_redis)
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    wait_for(lambda: not rows.filter(attempts=0).exists(), 60, "every alert to be tried once",
             interval=0.3)
    assert set(rows.values_list("status", flat=True)) == {Notification.Status.PENDING}
    assert all(r.last_error and r.next_attempt_at > timezone.now() for r in rows)

    # Before the backoff has passed another pass sends nothing, even with the server back.
    smtp_server.start()
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    assert smtp_server.mailbox.wait_for(1, timeout=3) == []

    # A minute later (the first backoff), the periodic pass delivers each alert once.
    rows.update(next_attempt_at=F("next_attempt_at") - timedelta(minutes=2))
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    wait_for(lambda: not rows.exclude(status=Notification.Status.SENT).exists(), 60,
             "the alerts to be sent", interval=0.3)
    jobs.send_task("tasks_app.send_notifications", queue=queue)  # and a rerun adds nothing
    messages = smtp_server.mailbox.wait_for(total + 1, timeout=3)
    assert len(messages) == total
    assert len({m["Message-ID"] for m in messages}) == total
    assert set(rows.values_list("attempts", flat=True)) == {2}
