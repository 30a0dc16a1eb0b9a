"""task_report's round trips: one read of the map's and the calendar's stamps, the repeat lookup,
the officer on duty, then the row and its event (on PostgreSQL one statement: the id from the
sequence, the code made from it in the INSERT, the event in the same statement; on SQLite the
row, a second statement for its code, and the event). A map or calendar change made by another
process is seen by the next report (the statements such a process writes are played here, which
fire no signal in this process)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridmgmt.models import CalendarDay, Grid, WorkCalendar
from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Task, TaskEvent
from tasks_app.services import _task_code
from tests import factories as f
from tests.gridmgmt.calendars import at, make_calendar

from .conftest import START


def _report(world, point=None):
    lng, lat = point or world.point_g1
    return services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)


def _statements(world) -> list[str]:
    _report(world, world.point_g2)  # the caches are built (not a repeat: another grid)
    with CaptureQueriesContext(connection) as queries:
        task = _report(world)
    assert task.code == f"{timezone.localtime(START):%Y%m%d}{task.pk:07d}"
    return [q["sql"] for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


def test_a_report_makes_four_round_trips_on_postgresql_with_its_stamps_read_once(world):
    make_calendar()

    sql = _statements(world)

    assert len(sql) == (4 if connection.vendor == "postgresql" else 6), sql
    assert sum("gridmgmt_grid" in s for s in sql) == 1  # the one stamp read
    assert not any(s.startswith(('SELECT "gridmgmt_workperiod"', 'SELECT "gridmgmt_calendarday"',
                                 'SELECT "gridmgmt_workcalendar"')) for s in sql)
    assert not any('FROM "gridmgmt_officer" WHERE "gridmgmt_officer"."user_id"' in s
                   for s in sql)  # the reporter's officer is read only for a fix on the spot
    updates = [s for s in sql if s.startswith("UPDATE")]
    assert len(updates) == (0 if connection.vendor == "postgresql" else 1)


def test_a_repeat_writes_its_escalations_and_alerts_after_the_row(world):
    first = _report(world)
    second = _report(world)

    second.refresh_from_db()
    assert (second.repeat_of_id, second.repeat_seq, second.escalation_level) == (first.pk, 2, 1)
    assert list(second.escalations.values_list("level", flat=True)) == [1]
    assert second.version == 1 and second.events.get().extra["escalated_to"] == 1


def test_a_holiday_added_by_another_process_moves_the_next_reports_deadline(world, traveller):
    cal = make_calendar()
    assert _report(world).deadline == at(2026, 11, 18, 14, 30)  # 09:00 + 4 working hours
    traveller.shift(timedelta(seconds=1))

    # Another process made today a day off: its save touched the calendar's stamp.
    CalendarDay.objects.bulk_create([CalendarDay(calendar=cal, date=date(2026, 11, 18),
                                                 kind=CalendarDay.Kind.HOLIDAY)])
    WorkCalendar.objects.filter(pk=cal.pk).update(updated_at=timezone.now())

    assert _report(world).deadline == at(2026, 11, 19, 14, 0)  # from 08:30 the next day


def test_a_grid_moved_by_another_process_is_seen_by_the_next_report(world, traveller):
    assert _report(world).grid == world.grid1
    traveller.shift(timedelta(seconds=1))

    Grid.objects.filter(pk=world.grid1.pk).update(boundary=f.square(5, 5),
                                                  updated_at=timezone.now())

    try:
        _report(world)
    except DomainError as exc:
        assert exc.code == "outside_area"
    else:
        raise AssertionError("the report was placed in a grid that moved away")


def _columns(task) -> dict:
    row = Task.objects.filter(pk=task.pk).values().get()
    event = TaskEvent.objects.filter(task=task).values().get()
    return {"task": {k: v for k, v in row.items() if k not in ("id", "code", "updated_at")},
            "event": {k: v for k, v in event.items() if k not in ("id", "task_id")},
            "code": row["code"], "updated_at": row["updated_at"]}


def test_the_one_statement_writes_the_row_and_event_save_writes(world, monkeypatch):
    """The report's row and event as one statement (PostgreSQL) and as the ORM's saves: the
    same columns, the code made from the id alike, the instance as the row."""
    make_calendar()
    first = _report(world)
    written = _columns(first)
    assert written["code"] == first.code == _task_code(first.reported_at, first.pk)
    assert written["updated_at"] == first.updated_at
    assert first.events.get().version == first.version == 1
    Task.objects.filter(pk=first.pk).delete()

    # The ORM's way, as on SQLite: save the row for its id, then the code, then the event.
    monkeypatch.setattr(type(connection), "vendor", "other", raising=False)
    second = _report(world)
    monkeypatch.undo()
    saved = _columns(second)
    assert saved["code"] == _task_code(second.reported_at, second.pk)
    assert written["task"] == saved["task"]
    assert written["event"] == saved["event"]


def test_a_code_past_seven_digits_is_made_as_python_makes_it(world):
    if connection.vendor != "postgresql":
        return  # the code is made in Python there
    sequence = "pg_get_serial_sequence('tasks_app_task', 'id')"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval({sequence})")
        before = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval({sequence}, 12345677)")
    try:
        task = _report(world)
    finally:  # a sequence is not rolled back with the test's transaction
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval({sequence}, %s)", [before])
    assert task.pk == 12345678
    assert Task.objects.get(pk=task.pk).code == task.code == \
        f"{timezone.localtime(START):%Y%m%d}12345678"
