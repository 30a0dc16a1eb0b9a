"""task_hold / task_resume: a supervisor puts a task on hold (挂账) with a reason; the clock stops
and, on resuming, every threshold still ahead keeps the working time it had left."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status
from tests.gridmgmt.calendars import at

from .conftest import assert_refused, last_event

SUPERVISORS = ["supervisor", "street_leader"]
NOT_SUPERVISORS = ["other_street_leader", "grid_officer", "other_grid_officer", "road_chief",
                   "community_head", "handler", "inspector", "citizen"]


@pytest.mark.parametrize("persona", SUPERVISORS)
@pytest.mark.parametrize("recipe", ["assigned", "in_progress"])
def test_a_supervisor_puts_an_open_task_on_hold_and_resumes_it(flow, user_for, persona, recipe):
    task = flow.drive(recipe)
    flow.tick()

    task = services.task_hold(task=task, actor=user_for(persona), reason="等待产权单位确认")

    task.refresh_from_db()
    assert (task.status, task.hold_from_status) == (Status.ON_HOLD, recipe)
    assert task.next_escalation_at is None  # the sweep does not look at held tasks
    assert last_event(task).note == "等待产权单位确认"
    flow.tick()

    task = services.task_resume(task=task, actor=user_for(persona), note="已确认")

    task.refresh_from_db()
    assert (task.status, task.hold_from_status, task.hold_started_at) == (recipe, "", None)
    assert task.held_seconds == 600
    event = last_event(task)
    assert (event.kind, event.from_status, event.to_status, event.extra) == (
        TaskEvent.Kind.RESUMED, Status.ON_HOLD, recipe, {"held_seconds": 600})


def test_holding_needs_a_reason(flow):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_input", lambda: services.task_hold(
        task=task, actor=flow.w.supervisor.user, reason=" "))


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_only_a_supervisor_of_the_place_can_hold(flow, user_for, persona):
    task = flow.drive("in_progress")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_hold(
        task=task, actor=actor, reason="挂账"))


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_only_a_supervisor_of_the_place_can_resume(flow, user_for, persona):
    task = flow.drive("on_hold")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_resume(task=task, actor=actor))


def test_a_hold_shifts_every_threshold_by_the_working_time_spent_on_hold(flow, traveller):
    # Dispatched Wednesday 09:10 with 4 working hours: yellow 13:52 (80 %), deadline 14:40,
    # level 2 one limit later (Thursday 09:10), level 3 three limits later (Friday 09:10).
    task = flow.drive("on_hold")  # held Wednesday 09:30
    assert (task.yellow_at, task.deadline, task.level2_at, task.level3_at) == (
        at(2026, 11, 18, 13, 52), at(2026, 11, 18, 14, 40),
        at(2026, 11, 19, 9, 10), at(2026, 11, 20, 9, 10))
    traveller.move_to(at(2026, 11, 19, 9, 0))

    task = services.task_resume(task=task, actor=flow.w.supervisor.user)

    # On hold from Wednesday 09:30 to Thursday 09:00: 7 h 30 min of working time, added to each.
    assert (task.yellow_at, task.deadline, task.level2_at, task.level3_at) == (
        at(2026, 11, 19, 11, 52), at(2026, 11, 19, 14, 10),
        at(2026, 11, 20, 8, 40), at(2026, 11, 23, 8, 40))
    assert task.held_seconds == int(timedelta(hours=23, minutes=30).total_seconds())


def test_a_hold_outside_working_hours_costs_no_working_time(flow, traveller):
    traveller.move_to(at(2026, 11, 20, 15, 0))
    task = flow.drive("in_progress")  # dispatched Friday 15:10, due Monday 09:40
    assert task.deadline == at(2026, 11, 23, 9, 40)
    traveller.move_to(at(2026, 11, 20, 19, 0))
    task = services.task_hold(task=task, actor=flow.w.supervisor.user, reason="周末")
    traveller.move_to(at(2026, 11, 23, 8, 30))

    task = services.task_resume(task=task, actor=flow.w.supervisor.user)

    assert task.deadline == at(2026, 11, 23, 9, 40)
    assert task.held_seconds == int(timedelta(hours=61, minutes=30).total_seconds())


def test_a_threshold_already_passed_when_held_stays_where_it_was(flow, traveller):
    task = flow.drive("in_progress")
    traveller.move_to(at(2026, 11, 18, 14, 0))  # after yellow (13:52), before the deadline
    task = services.task_hold(task=task, actor=flow.w.supervisor.user, reason="挂账")
    traveller.move_to(at(2026, 11, 19, 9, 0))

    task = services.task_resume(task=task, actor=flow.w.supervisor.user)

    assert task.yellow_at == at(2026, 11, 18, 13, 52)
    assert task.deadline == at(2026, 11, 19, 9, 40)  # 40 working minutes were left


def test_the_held_seconds_add_up_over_several_holds(flow):
    task = flow.drive("in_progress")
    for _ in range(2):
        flow.tick()
        task = flow.step("hold", task)
        flow.tick(timedelta(minutes=5))
        task = flow.step("resume", task)

    assert task.held_seconds == 600
