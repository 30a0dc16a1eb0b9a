"""task_verify: an inspector or supervisor checks the fix (核查); approval closes the task,
refusal sends it back for rework (返工). Nobody verifies their own submission."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridmgmt.models import Role
from tasks_app import services
from tasks_app.models import TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.gridmgmt.calendars import at

from .conftest import START, assert_refused, last_event, photo

VERIFIERS = ["inspector", "supervisor", "street_leader"]
NOT_VERIFIERS = ["other_street_leader", "other_grid_officer", "road_chief", "community_head",
                 "handler", "citizen"]


@pytest.mark.parametrize("persona", VERIFIERS)
def test_an_inspector_or_a_supervisor_of_the_place_approves_and_closes(flow, user_for, persona):
    task = flow.drive("submitted")
    flow.tick()

    task = services.task_verify(task=task, actor=user_for(persona), approved=True, note="合格")

    task.refresh_from_db()
    assert task.status == Status.CLOSED
    assert task.closed_at == START + timedelta(minutes=40)
    assert task.closed_late is False
    assert task.next_escalation_at is None
    assert last_event(task).kind == TaskEvent.Kind.APPROVED


def test_a_fix_submitted_after_the_deadline_closes_late(flow, traveller):
    task = flow.drive("in_progress")
    traveller.move_to(at(2026, 11, 19, 9, 0))  # the deadline was Wednesday 14:40
    task = services.task_submit(task=task, actor=flow.w.grid_officer.user, photos=[photo()])

    task = services.task_verify(task=task, actor=flow.w.inspector.user, approved=True)

    assert (task.status, task.closed_late) == (Status.CLOSED, True)


def test_a_refused_fix_goes_back_for_rework_with_a_reason(flow):
    task = flow.drive("submitted")
    flow.tick()

    task = services.task_verify(task=task, actor=flow.w.inspector.user, approved=False,
                                note="路面仍有油污")

    task.refresh_from_db()
    assert (task.status, task.rework_count) == (Status.IN_PROGRESS, 1)
    event = last_event(task)
    assert (event.kind, event.note, event.extra) == (
        TaskEvent.Kind.REWORK, "路面仍有油污", {"rework_count": 1})


def test_refusing_a_fix_needs_a_reason(flow):
    task = flow.drive("submitted")

    assert_refused(task, "invalid_input", lambda: services.task_verify(
        task=task, actor=flow.w.inspector.user, approved=False, note="  "))


def test_reworked_fixes_count_every_round(flow):
    task = flow.drive("reworked")
    for _ in range(2):
        flow.tick()
        task = flow.step("submit", task)
        flow.tick()
        task = flow.step("refuse", task)

    assert task.rework_count == 3


@pytest.mark.parametrize("persona", NOT_VERIFIERS + ["grid_officer"])
@pytest.mark.parametrize("approved", [True, False])
def test_only_an_inspector_or_supervisor_of_the_place_can_verify(flow, user_for, persona,
                                                                  approved):
    task = flow.drive("submitted")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_verify(
        task=task, actor=actor, approved=approved, note="不合格"))


def test_an_inspector_assigned_the_task_cannot_verify_their_own_fix(flow):
    # The inspector is also made grid officer of G1 and handles the task himself.
    inspector = flow.w.inspector
    f.DutyFactory(officer=inspector, role=Role.GRID_OFFICER, grid=flow.w.grid1)
    task = flow.report()
    task = services.task_assign(task=task, actor=flow.w.supervisor.user, assignee=inspector)
    task = services.task_start(task=task, actor=inspector.user)
    task = services.task_submit(task=task, actor=inspector.user, photos=[photo()])

    for approved in (True, False):
        assert_refused(task, "forbidden", lambda a=approved: services.task_verify(
            task=task, actor=inspector.user, approved=a, note="自查"))
    task = services.task_verify(task=task, actor=flow.w.supervisor.user, approved=True)
    assert task.status == Status.CLOSED


def test_a_supervisor_who_submitted_a_fix_cannot_verify_it(flow):
    leader = flow.w.street_leader
    task = flow.report()
    task = services.task_assign(task=task, actor=flow.w.supervisor.user, assignee=leader)
    task = services.task_start(task=task, actor=leader.user)
    task = services.task_submit(task=task, actor=leader.user, photos=[photo()])

    assert_refused(task, "forbidden", lambda: services.task_verify(
        task=task, actor=leader.user, approved=True))


def test_a_patrol_fix_on_the_spot_is_verified_by_someone_else_than_the_reporter(flow):
    inspector = flow.w.inspector
    task = flow.report(reporter=inspector.user, fixed_on_spot=True,
                       photos=[photo()], after_photos=[photo()])
    assert (task.status, task.assignee) == (Status.SUBMITTED, inspector)

    assert_refused(task, "forbidden", lambda: services.task_verify(
        task=task, actor=inspector.user, approved=True))

    other = f.OfficerFactory(user=f.UserFactory(username="inspector2"), name="第二监督员")
    f.DutyFactory(officer=other, role=Role.INSPECTOR, region=flow.w.street1)
    task = services.task_verify(task=task, actor=other.user, approved=True)
    assert task.status == Status.CLOSED


def test_after_a_reassignment_the_new_submitter_is_the_one_barred(flow):
    # Handled first by the grid officer, sent back, reassigned to the inspector who submits.
    inspector = flow.w.inspector
    task = flow.drive("reworked")
    flow.tick()
    task = services.task_assign(task=task, actor=flow.w.supervisor.user, assignee=inspector)
    task = services.task_start(task=task, actor=inspector.user)
    task = services.task_submit(task=task, actor=inspector.user, photos=[photo()])
    flow.tick()

    assert_refused(task, "forbidden", lambda: services.task_verify(
        task=task, actor=inspector.user, approved=True))
