"""A Celery worker SIGKILLed in the middle of a sweep and in the middle of a send, then a rerun:
nothing lost, nothing sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F

from tasks_app import notify
from tasks_app.models import Escalation, Notification, Task
from tests.escalation.test_drills import _overdue_tasks

from .procs import backend_gone, backends_holding, publisher, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Enough overdue tasks that one sweep takes seconds: every one crosses to level 3 at once and
# tells four people.
SLOW_SWEEP_TASKS = 3000


def _all_sent(rows) -> bool:
    return rows.exists() and not rows.exclude(status=Notification.Status.SENT).exists()


def _assert_each_alert_delivered_once(smtp_server, rows) -> None:
    total = rows.count()
    messages = smtp_server.mailbox.wait_for(total)
    assert len(messages) == total
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == total, "an alert went out twice"
    assert set(ids) == {f"<notification-{pk}@gridtasks.local>"
                        for pk in rows.values_list("pk", flat=True)}


def test_a_worker_killed_mid_sweep_leaves_nothing_and_the_rerun_crosses_each_level_once(
        world, own_redis, queue, workers, smtp_server):
    ids = _overdue_tasks(world, SLOW_SWEEP_TASKS)
    worker = workers.start()
    jobs = publisher(own_redis)
    jobs.send_task("tasks_app.sweep", queue=queue)
    # Mid-sweep: its transaction has claimed levels and is writing escalation rows.
    writers = wait_for(lambda: backends_holding("tasks_app_escalation"), 60,
                       "the sweep to write escalations")
    worker.kill()
    # PostgreSQL rolls the dead worker's transaction back once it notices the closed socket.
    wait_for(lambda: all(backend_gone(pid) for pid in writers), 60,
             "the killed worker's transaction to end")
    assert "sweep {" not in worker.text(), "the sweep finished before the kill"
    assert not Escalation.objects.exists()
    assert not Notification.objects.exists()
    assert set(Task.objects.values_list("escalation_level", flat=True)) == {-1}

    # The next run (beat publishes one every few minutes) goes ahead at once: the dead run's
    # lock went with its connection.
    rerun = workers.start()
    jobs.send_task("tasks_app.sweep", queue=queue)
    wait_for(lambda: "sweep {" in rerun.text(), 120, "the rerun to finish", interval=0.3)
    (top,) = set(Task.objects.values_list("escalation_level", flat=True))
    assert top >= 2
    assert Escalation.objects.count() == len(ids) * (top + 1)  # levels 0 to top, once each
    # Every task's people at that level are in the outbox exactly once; the send drill below
    # proves each row goes out once.
    rows = Notification.objects.filter(task_id__in=ids, level=top)
    told = rows.filter(task_id=ids[0]).count()
    # The assignee; the road chief and the community head (第一责任人, told of every problem of
    # his community, on a road or not); the street leader; and at level 3 the district supervisor.
    assert told == top + 2
    assert rows.count() == told * len(ids) == Notification.objects.count()
    assert rows.values("task_id", "recipient_id").distinct().count() == rows.count()


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_nothing(
        world, own_redis, queue, workers, smtp_server):
    from tasks_app import escalation

    _overdue_tasks(world, 6)
    escalation.sweep(world_now())
    rows = Notification.objects.all()
    total = rows.count()
    assert total >= 12
    smtp_server.mailbox.stall_after = 5  # the sixth message hangs before any of it is sent
    worker = workers.start()
    jobs = publisher(own_redis)
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    assert smtp_server.mailbox.stalled.wait(60), "the worker never reached the sixth message"
    worker.kill()
    assert rows.filter(status=Notification.Status.SENT).count() == 5
    # The dead worker's claimed rows wait out the claim timeout, then anyone may take them.
    claimed = rows.filter(status=Notification.Status.SENDING)
    assert claimed.count() == total - 5
    claimed.update(claimed_at=F("claimed_at") - notify.CLAIM_TIMEOUT - timedelta(minutes=1))
    smtp_server.mailbox.stall_after = None

    workers.start()
    jobs.send_task("tasks_app.send_notifications", queue=queue)
    wait_for(lambda: _all_sent(rows), 60, "the rerun to send the rest", interval=0.3)
    _assert_each_alert_delivered_once(smtp_server, rows)


def world_now():
    from django.utils import timezone

    return timezone.now()
