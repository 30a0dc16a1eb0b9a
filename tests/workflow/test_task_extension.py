"""Extensions (延期): the assignee asks with a reason and a new deadline; a supervisor of the
place approves (the deadline and the ladder after it move) or refuses (with a reason)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status
from tests.gridmgmt.calendars import at

from .conftest import PERSONAS, assert_refused, last_event

NOT_THE_ASSIGNEE = [p for p in PERSONAS if p != "grid_officer"] + ["citizen"]
NOT_SUPERVISORS = ["other_street_leader", "grid_officer", "other_grid_officer", "road_chief",
                   "community_head", "handler", "inspector", "citizen"]
# Dispatched Wednesday 09:10 with 4 working hours: due 14:40. Asked until Friday 10:00.
UNTIL = at(2026, 11, 20, 10, 0)


def _requested(flow, recipe: str = "in_progress"):
    task = flow.drive(recipe)
    flow.tick()
    return services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                           until=UNTIL, reason="需协调园林部门")


@pytest.mark.parametrize("recipe", ["assigned", "in_progress"])
def test_the_assignee_asks_for_more_time_with_a_reason(flow, recipe):
    task = _requested(flow, recipe)

    task.refresh_from_db()
    assert task.status == Status(recipe)
    assert task.extension_requested_until == UNTIL
    assert task.deadline == at(2026, 11, 18, 14, 40)  # nothing moves until a supervisor decides
    event = last_event(task)
    assert (event.kind, event.from_status, event.to_status, event.note) == (
        TaskEvent.Kind.EXTENSION_REQUESTED, recipe, recipe, "需协调园林部门")
    assert datetime.fromisoformat(event.extra["until"]) == UNTIL


@pytest.mark.parametrize("persona", NOT_THE_ASSIGNEE)
def test_only_the_assignee_can_ask_for_more_time(flow, user_for, persona):
    task = flow.drive("in_progress")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_request_extension(
        task=task, actor=actor, until=UNTIL, reason="忙"))


def test_asking_needs_a_reason(flow):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_input", lambda: services.task_request_extension(
        task=task, actor=flow.w.grid_officer.user, until=UNTIL, reason=""))


def test_the_new_deadline_must_be_later_than_the_current_one(flow):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_input", lambda: services.task_request_extension(
        task=task, actor=flow.w.grid_officer.user, until=task.deadline, reason="忙"))


def test_one_request_at_a_time(flow):
    task = _requested(flow)

    assert_refused(task, "conflict", lambda: services.task_request_extension(
        task=task, actor=flow.w.grid_officer.user, until=UNTIL + timedelta(days=1),
        reason="再延"))


@pytest.mark.parametrize("persona", ["supervisor", "street_leader"])
def test_a_supervisor_approves_and_the_deadline_and_ladder_move(flow, user_for, persona):
    task = _requested(flow)
    yellow = task.yellow_at
    flow.tick()

    task = services.task_decide_extension(task=task, actor=user_for(persona), approved=True,
                                          note="同意")

    task.refresh_from_db()
    assert task.deadline == UNTIL
    # The ladder keeps the category's 4 working hours after the new deadline.
    assert task.level2_at == at(2026, 11, 20, 15, 30)
    assert task.level3_at == at(2026, 11, 23, 15, 30)
    # The yellow warning comes again before the new deadline, not at once.
    assert yellow < task.yellow_at < UNTIL and task.light == "green"
    assert (task.extension_count, task.extension_requested_until) == (1, None)
    event = last_event(task)
    assert event.kind == TaskEvent.Kind.EXTENSION_APPROVED
    assert datetime.fromisoformat(event.extra["previous_deadline"]) == at(2026, 11, 18, 14, 40)


def test_a_second_extension_keeps_the_original_span_for_the_ladder(flow):
    task = _requested(flow)
    task = services.task_decide_extension(task=task, actor=flow.w.supervisor.user,
                                          approved=True)
    later = at(2026, 11, 24, 10, 0)  # Tuesday
    task = services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                           until=later, reason="配件未到")

    task = services.task_decide_extension(task=task, actor=flow.w.supervisor.user,
                                          approved=True)

    assert (task.deadline, task.extension_count) == (later, 2)
    assert task.level2_at == at(2026, 11, 24, 15, 30)


def test_an_extension_after_a_hold_keeps_the_original_span_for_the_ladder(flow, traveller):
    task = flow.drive("on_hold")  # held Wednesday 09:30
    traveller.move_to(at(2026, 11, 19, 9, 0))
    task = services.task_resume(task=task, actor=flow.w.supervisor.user)
    task = services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                           until=UNTIL, reason="需协调")

    task = services.task_decide_extension(task=task, actor=flow.w.supervisor.user,
                                          approved=True)

    assert task.level2_at == at(2026, 11, 20, 15, 30)


def test_a_refusal_needs_a_reason_and_leaves_the_deadline(flow):
    task = _requested(flow)
    deadline = task.deadline
    assert_refused(task, "invalid_input", lambda: services.task_decide_extension(
        task=task, actor=flow.w.supervisor.user, approved=False))

    task = services.task_decide_extension(task=task, actor=flow.w.supervisor.user,
                                          approved=False, note="按期完成")

    task.refresh_from_db()
    assert (task.deadline, task.extension_count, task.extension_requested_until) == (
        deadline, 0, None)
    assert last_event(task).kind == TaskEvent.Kind.EXTENSION_REFUSED


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
@pytest.mark.parametrize("approved", [True, False])
def test_only_a_supervisor_of_the_place_decides(flow, user_for, persona, approved):
    task = _requested(flow)
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_decide_extension(
        task=task, actor=actor, approved=approved, note="不同意"))


def test_there_is_nothing_to_decide_without_a_request(flow):
    task = flow.drive("in_progress")

    assert_refused(task, "conflict", lambda: services.task_decide_extension(
        task=task, actor=flow.w.supervisor.user, approved=True))


@pytest.mark.parametrize("approved", [True, False])
def test_a_request_left_on_a_closed_task_can_no_longer_be_decided(flow, approved):
    task = _requested(flow)
    for step in ("submit", "approve"):
        flow.tick()
        task = flow.step(step, task)

    assert_refused(task, "illegal_transition", lambda: services.task_decide_extension(
        task=task, actor=flow.w.supervisor.user, approved=approved, note="迟到的决定"))
