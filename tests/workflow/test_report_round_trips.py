"""task_report's round trips: one read of the map's and the calendar's stamps, the repeat lookup,
the officer on duty, the row and its event (on PostgreSQL the id is reserved first so the code is
written by the INSERT; on SQLite a second statement writes it). A map or calendar change made by
another process is seen by the next report (the statements such a process writes are played
here, which fire no signal in this process)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridmgmt.models import CalendarDay, Grid, WorkCalendar
from tasks_app import services
from tasks_app.errors import DomainError
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


def test_a_report_makes_six_round_trips_with_its_stamps_read_once(world):
    make_calendar()

    sql = _statements(world)

    assert len(sql) == 6, sql
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
