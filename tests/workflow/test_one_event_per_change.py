"""Every change is one service call that bumps the task's version by exactly one and appends
exactly one event, stamped with the actor, the time and the new version."""

from __future__ import annotations

import pytest

from gridmgmt import clock
from tasks_app.models import Escalation, TaskEvent

from .changes import CHANGES, prepare
from .conftest import north, photo


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_service_bumps_the_version_once_and_writes_one_event(flow, user_for, name):
    task = prepare(flow, name)
    _, _, persona, call = CHANGES[name]
    actor = user_for(persona)
    version, before = task.version, set(task.events.values_list("pk", flat=True))

    result = call(flow, task, actor, task.version)

    result.refresh_from_db()
    assert result.version == version + 1
    (event,) = TaskEvent.objects.filter(task=result).exclude(pk__in=before)
    assert (event.version, event.actor, event.created_at) == (
        result.version, actor, clock.now())
    assert event.to_status == result.status


def test_a_report_starts_at_version_one_with_one_event(flow):
    task = flow.report()

    task.refresh_from_db()
    assert task.version == 1
    assert list(task.events.values_list("kind", "version")) == [(TaskEvent.Kind.REPORTED, 1)]


def test_a_fix_on_the_spot_is_one_event_however_many_photos(flow):
    task = flow.report(reporter=flow.w.grid_officer.user, fixed_on_spot=True,
                       photos=[photo(), photo()], after_photos=[photo()])

    assert task.version == 1
    assert task.events.count() == 1


def test_a_repeat_report_with_its_escalations_is_still_one_event(flow):
    flow.report()
    flow.report(point=north(flow.w.point_g1, 5))
    flow.tick()

    task = flow.report(point=north(flow.w.point_g1, 10))

    assert Escalation.objects.filter(task=task).count() == 2
    assert task.version == 1
    assert task.events.count() == 1


def test_the_event_log_is_append_only(flow):
    task = flow.report()
    event = task.events.get()

    event.note = "改写"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    assert task.events.get().note == ""
