"""task_assign: a supervisor dispatches a registered task or reassigns (改派) an open one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status
from tests.gridmgmt.calendars import at

from .conftest import START, assert_refused, end_duties, last_event

# The community head (第一责任人) dispatches in their community too (DESIGN: Authority).
SUPERVISORS = ["supervisor", "street_leader", "community_head"]
NOT_SUPERVISORS = ["other_street_leader", "grid_officer", "other_grid_officer", "road_chief",
                   "handler", "inspector", "citizen"]


@pytest.mark.parametrize("persona", SUPERVISORS)
def test_a_supervisor_of_the_place_dispatches_a_report(flow, user_for, persona):
    task = flow.report()
    flow.tick()

    task = services.task_assign(task=task, actor=user_for(persona),
                                assignee=flow.w.grid_officer, note="尽快处理")

    task.refresh_from_db()
    assert (task.status, task.assignee) == (Status.ASSIGNED, flow.w.grid_officer)
    assert task.dispatched_at == START + timedelta(minutes=10)
    assert task.deadline == at(2026, 11, 18, 14, 40)
    event = last_event(task)
    assert (event.kind, event.note, event.actor) == (
        TaskEvent.Kind.ASSIGNED, "尽快处理", user_for(persona))
    # The grid officer belongs to no department: the log says so (the evaluation reads it).
    assert event.extra == {"assignee": flow.w.grid_officer.pk, "previous": None,
                           "department": None}


def test_the_department_follows_the_assignee_unless_named(flow):
    task = flow.report()

    task = services.task_assign(task=task, actor=flow.w.supervisor.user,
                                assignee=flow.w.handler)

    assert task.department == flow.w.department


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_only_a_supervisor_of_the_place_can_dispatch(flow, user_for, persona):
    task = flow.report()
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_assign(
        task=task, actor=actor, assignee=flow.w.grid_officer))


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_only_a_supervisor_of_the_place_can_reassign(flow, user_for, persona):
    task = flow.drive("in_progress")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_assign(
        task=task, actor=actor, assignee=flow.w.handler))


def test_a_street_leader_whose_duty_ended_can_no_longer_dispatch(flow):
    task = flow.report()
    end_duties(flow.w.street_leader, START)
    flow.tick()

    assert_refused(task, "forbidden", lambda: services.task_assign(
        task=task, actor=flow.w.street_leader.user, assignee=flow.w.grid_officer))


@pytest.mark.parametrize("recipe", ["assigned", "in_progress", "reworked"])
def test_a_reassignment_keeps_the_running_clock(flow, recipe):
    task = flow.drive(recipe)
    dispatched, deadline = task.dispatched_at, task.deadline
    flow.tick(timedelta(hours=1))

    task = services.task_assign(task=task, actor=flow.w.street_leader.user,
                                assignee=flow.w.handler, note="改派环卫所")

    task.refresh_from_db()
    assert (task.status, task.assignee, task.department) == (
        Status.ASSIGNED, flow.w.handler, flow.w.department)
    assert (task.dispatched_at, task.deadline) == (dispatched, deadline)
    event = last_event(task)
    assert event.kind == TaskEvent.Kind.REASSIGNED
    assert event.extra == {"assignee": flow.w.handler.pk, "previous": flow.w.grid_officer.pk,
                           "department": flow.w.department.pk}


def test_the_new_assignee_has_to_start_again_and_the_old_one_cannot(flow):
    task = flow.drive("in_progress")
    task = services.task_assign(task=task, actor=flow.w.supervisor.user,
                                assignee=flow.w.handler)

    assert_refused(task, "forbidden", lambda: services.task_start(
        task=task, actor=flow.w.grid_officer.user))
    task = services.task_start(task=task, actor=flow.w.handler.user)
    assert task.status == Status.IN_PROGRESS


def test_reassigning_to_the_same_officer_is_a_conflict(flow):
    task = flow.drive("assigned")

    assert_refused(task, "conflict", lambda: services.task_assign(
        task=task, actor=flow.w.supervisor.user, assignee=flow.w.grid_officer))


def test_reassigning_a_task_on_hold_ends_the_hold_without_charging_its_time(flow, traveller):
    # Dispatched Wednesday 09:10 with 4 working hours (deadline 14:40), held at 09:30 with
    # 3 h 40 min of working time left, reassigned Thursday 09:00: due Thursday 14:10.
    task = flow.drive("on_hold")
    assert task.deadline == at(2026, 11, 18, 14, 40)
    traveller.move_to(at(2026, 11, 19, 9, 0))

    task = services.task_assign(task=task, actor=flow.w.supervisor.user,
                                assignee=flow.w.handler)

    task.refresh_from_db()
    assert task.status == Status.ASSIGNED
    assert task.deadline == at(2026, 11, 19, 14, 10)
    assert (task.hold_started_at, task.hold_from_status) == (None, "")
    assert task.held_seconds == int(timedelta(hours=23, minutes=30).total_seconds())
    assert task.next_escalation_at is not None  # the clock runs again
