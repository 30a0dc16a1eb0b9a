"""task_start: the assignee, and only the assignee, starts an assigned task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status

from .conftest import PERSONAS, START, assert_refused, last_event

NOT_THE_ASSIGNEE = [p for p in PERSONAS if p != "grid_officer"] + ["citizen", "admin"]


def test_the_assignee_starts_an_assigned_task(flow):
    task = flow.drive("assigned")
    flow.tick()

    task = services.task_start(task=task, actor=flow.w.grid_officer.user, note="已到现场")

    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert task.started_at == START + timedelta(minutes=20)
    event = last_event(task)
    assert (event.kind, event.actor, event.note) == (
        TaskEvent.Kind.STARTED, flow.w.grid_officer.user, "已到现场")


@pytest.mark.parametrize("persona", NOT_THE_ASSIGNEE)
def test_only_the_assignee_can_start(flow, user_for, persona):
    task = flow.drive("assigned")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_start(task=task, actor=actor))


def test_starting_again_after_a_reassignment_keeps_the_first_start_time(flow):
    task = flow.drive("in_progress")
    first = task.started_at
    flow.tick()
    task = services.task_assign(task=task, actor=flow.w.supervisor.user,
                                assignee=flow.w.handler)
    flow.tick()

    task = services.task_start(task=task, actor=flow.w.handler.user)

    assert task.started_at == first
