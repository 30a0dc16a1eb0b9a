"""task_void: a supervisor refuses to register a report (不予立案), with a reason."""

from __future__ import annotations

import pytest

from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status

from .conftest import assert_refused, last_event

NOT_SUPERVISORS = ["other_street_leader", "grid_officer", "other_grid_officer", "road_chief",
                   "community_head", "handler", "inspector", "citizen"]


@pytest.mark.parametrize("persona", ["supervisor", "street_leader"])
def test_a_supervisor_voids_a_report_with_a_reason(flow, user_for, persona):
    task = flow.report()
    flow.tick()

    task = services.task_void(task=task, actor=user_for(persona), reason="非城管职责")

    task.refresh_from_db()
    assert task.status == Status.VOID
    assert not task.is_open
    event = last_event(task)
    assert (event.kind, event.from_status, event.to_status, event.note) == (
        TaskEvent.Kind.VOIDED, Status.REPORTED, Status.VOID, "非城管职责")


def test_voiding_needs_a_reason(flow):
    task = flow.report()

    assert_refused(task, "invalid_input", lambda: services.task_void(
        task=task, actor=flow.w.supervisor.user, reason=""))


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_only_a_supervisor_of_the_place_can_void(flow, user_for, persona):
    task = flow.report()
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_void(
        task=task, actor=actor, reason="不予立案"))
