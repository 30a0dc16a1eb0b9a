"""task_submit: the assignee reports the fix with an after photo."""

from __future__ import annotations

import pytest

from tasks_app import services
from tasks_app.models import Photo, TaskEvent
from tasks_app.workflow import Status

from .conftest import PERSONAS, assert_refused, last_event, photo

NOT_THE_ASSIGNEE = [p for p in PERSONAS if p != "grid_officer"] + ["citizen", "admin"]


def test_the_assignee_submits_a_fix_with_an_after_photo(flow):
    task = flow.drive("in_progress")
    flow.tick()

    task = services.task_submit(task=task, actor=flow.w.grid_officer.user, note="已清运",
                                photos=[photo("a.png"), photo("b.jpg", "JPEG")])

    task.refresh_from_db()
    assert task.status == Status.SUBMITTED
    assert task.submitted_at is not None
    assert list(task.photos.values_list("kind", flat=True)) == [Photo.Kind.AFTER] * 2
    assert set(task.photos.values_list("uploaded_by", flat=True)) == {flow.w.grid_officer.user.pk}
    assert task.next_escalation_at is None  # the clock waits while the fix is verified
    event = last_event(task)
    assert (event.kind, event.note, event.extra) == (
        TaskEvent.Kind.SUBMITTED, "已清运", {"photos": 2})


def test_a_fix_needs_an_after_photo(flow):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_input", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user, photos=[]))


def test_an_after_photo_added_since_starting_is_enough(flow):
    task = flow.drive("in_progress")
    flow.tick()
    services.task_add_photo(task=task, actor=flow.w.grid_officer.user, image=photo(),
                            kind=Photo.Kind.AFTER)
    flow.tick()

    task = services.task_submit(task=task, actor=flow.w.grid_officer.user)

    assert task.status == Status.SUBMITTED


def test_after_rework_the_old_after_photo_no_longer_counts(flow):
    task = flow.drive("reworked")
    flow.tick()

    assert_refused(task, "invalid_input", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user))
    task = services.task_submit(task=task, actor=flow.w.grid_officer.user, photos=[photo()])
    assert task.status == Status.SUBMITTED


@pytest.mark.parametrize("persona", NOT_THE_ASSIGNEE)
def test_only_the_assignee_can_submit(flow, user_for, persona):
    task = flow.drive("in_progress")
    actor = user_for(persona)

    assert_refused(task, "forbidden", lambda: services.task_submit(
        task=task, actor=actor, photos=[photo()]))
