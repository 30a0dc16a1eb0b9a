"""A database error in the middle of a service call leaves nothing half-written: not the task row
the call had already updated, nor its event, photos (rows or files), escalations or alerts.

These run in one process, on SQLite as well as PostgreSQL.
"""

from __future__ import annotations

import pytest
import time_machine
from django.db import DatabaseError

from tasks_app import notify, services
from tasks_app.models import Escalation, Notification, Photo, Task, TaskEvent
from tests.workflow.changes import CHANGES, prepare
from tests.workflow.conftest import START, Flow, media_files, photo, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller(db):
    with time_machine.travel(START, tick=False) as t:
        yield t


@pytest.fixture
def world(traveller, world):
    return world


@pytest.fixture
def flow(world, traveller) -> Flow:
    return Flow(world, traveller)


def _fail(*args, **kwargs):
    raise DatabaseError("injected: the connection dropped")


def _everything() -> dict:
    return {"tasks": list(Task.objects.order_by("pk").values()),
            "events": TaskEvent.objects.count(), "photos": Photo.objects.count(),
            "escalations": Escalation.objects.count(),
            "notifications": Notification.objects.count()}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_an_error_writing_the_event_leaves_the_task_as_it_was(name, flow, settings,
                                                               monkeypatch):
    task = prepare(flow, name)
    _, _, persona, call = CHANGES[name]
    actor = getattr(flow.w, persona).user
    before, files = snapshot(task), set(media_files(settings))
    # The task row has been saved with its new state and version when the event is written.
    monkeypatch.setattr(TaskEvent.objects, "create", _fail)
    with pytest.raises(DatabaseError):
        call(flow, Task.objects.get(pk=task.pk), actor, None)
    assert snapshot(task) == before
    assert set(media_files(settings)) == files


@pytest.mark.parametrize("name", ["submit", "add_photo"])
def test_an_error_saving_a_photo_row_leaves_no_file_and_no_change(name, flow, settings,
                                                                  monkeypatch):
    task = prepare(flow, name)
    _, _, persona, call = CHANGES[name]
    before, files = snapshot(task), set(media_files(settings))
    monkeypatch.setattr(Photo, "save", _fail)
    with pytest.raises(DatabaseError):
        call(flow, Task.objects.get(pk=task.pk), getattr(flow.w, persona).user, None)
    assert snapshot(task) == before
    assert set(media_files(settings)) == files


@pytest.mark.parametrize("failing", ["event", "alerts"])
def test_an_error_in_a_repeat_report_writes_no_task_event_escalation_or_alert(
        failing, flow, settings, monkeypatch):
    flow.report()  # the first occurrence; the next report at this spot is a repeat
    flow.tick()
    before, files = _everything(), set(media_files(settings))
    if failing == "event":
        monkeypatch.setattr(TaskEvent.objects, "create", _fail)
        # On PostgreSQL the report's row and event are one statement (_insert_with_event).
        monkeypatch.setattr(services, "_insert_with_event", _fail)
    else:
        monkeypatch.setattr(notify, "create_alerts", _fail)
    with pytest.raises(DatabaseError):
        services.task_report(reporter=flow.w.grid_officer.user, category=flow.category,
                             lng=flow.w.point_g1[0], lat=flow.w.point_g1[1],
                             photos=[photo("before.png")])
    assert _everything() == before
    assert set(media_files(settings)) == files
