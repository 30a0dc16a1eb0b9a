"""Alerts through a real SMTP server: down, retried, delivered once when it returns."""

from __future__ import annotations

import time_machine

from tasks_app import escalation, notify, services
from tasks_app.models import Notification


def test_alerts_wait_while_smtp_is_down_and_go_out_once_when_it_returns(world, smtp_server):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    now = task.deadline
    with time_machine.travel(now, tick=False):
        escalation.sweep(now)
    rows = Notification.objects.filter(task=task)
    assert rows.count() == 3  # the assignee, the road chief and the community head

    smtp_server.stop()
    with time_machine.travel(now, tick=False):
        assert notify.send_pending(now=now)["retry"] == 3
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert all(r.attempts == 1 and r.last_error for r in rows)

    # Not due again before the backoff has passed.
    with time_machine.travel(now, tick=False):
        assert notify.send_pending(now=now) == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}

    smtp_server.start()
    later = rows.first().next_attempt_at
    with time_machine.travel(later, tick=False):
        assert notify.send_pending(now=later)["sent"] == 3
    messages = smtp_server.mailbox.wait_for(3)
    assert len(messages) == 3
    assert {m["To"] for m in messages} == {world.grid_officer.email, world.road_chief.email,
                                           world.community_head.email}
    assert all(task.code in m["Subject"] for m in messages)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    # Nothing left to send: a rerun delivers nothing twice.
    with time_machine.travel(later, tick=False):
        assert notify.send_pending(now=later)["sent"] == 0
    assert len(smtp_server.mailbox.messages) == 3
