"""The map index and the work calendar are cached per process behind stamps read from the
database (gridmgmt.services.reference_stamps): one query per lookup, none inside
``reference_checked``, and a change is seen by the next lookup whichever process made it.

A change made by another process is played here by the statements that process writes (a
queryset update, which fires no signal in this process), so only the stamp can reveal it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from gridmgmt import services, worktime
from gridmgmt.errors import DomainError
from gridmgmt.models import CalendarDay, Grid, Road, WorkCalendar
from gridmgmt.services import locate, reference_checked
from gridmgmt.worktime import working_time
from tests import factories as f

from .calendars import at, make_calendar

H = 3600


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 11, 18, 9, 0), tick=False) as t:
        yield t


def _primed(world) -> None:
    locate(*world.point_g1)
    working_time()


def test_a_cached_lookup_reads_one_stamp_and_a_checked_block_none(world, clock,
                                                                  django_assert_num_queries):
    make_calendar(holidays=[date(2026, 10, 1)])
    _primed(world)

    with django_assert_num_queries(1):
        locate(*world.point_g1)
    with django_assert_num_queries(1):
        working_time()
    with django_assert_num_queries(1), reference_checked():
        locate(*world.point_g1)
        working_time()
        locate(*world.point_g2)


def test_the_cached_calendar_is_the_one_in_the_database(world, clock):
    make_calendar(holidays=[date(2026, 11, 19)])
    cached = working_time()

    worktime.forget_calendar()
    fresh = working_time()
    assert fresh is not cached
    assert (fresh.weekly, fresh.days_off, fresh.workdays) == \
        (cached.weekly, cached.days_off, cached.workdays)
    assert cached.add(at(2026, 11, 18, 17, 0), 2 * H) == at(2026, 11, 20, 9, 30)


def test_a_grid_moved_by_another_process_is_seen_by_the_next_lookup(world):
    assert locate(*world.point_g1).grid == world.grid1

    # Another process saved the grid elsewhere: its row and its updated_at changed.
    Grid.objects.filter(pk=world.grid1.pk).update(boundary=f.square(5, 5),
                                                  updated_at=timezone.now())

    with pytest.raises(DomainError) as caught:
        locate(*world.point_g1)
    assert caught.value.code == "outside_area"


def test_a_road_added_by_another_process_is_seen_by_the_next_lookup(world):
    lng, lat = 120.015, 30.008  # in G2, 330 m north of the world's road
    assert locate(lng, lat).road is None

    Road.objects.bulk_create([Road(code="R9", name="新路", centre_line={
        "type": "LineString", "coordinates": [[lng - 0.001, lat], [lng + 0.001, lat]]})])

    assert locate(lng, lat).road.code == "R9"


def test_a_calendar_day_changed_by_another_process_is_seen_by_the_next_lookup(world, clock):
    cal = make_calendar(holidays=[date(2026, 11, 20)])
    assert working_time().is_working_day(date(2026, 11, 19))
    assert not working_time().is_working_day(date(2026, 11, 20))
    clock.shift(timedelta(seconds=1))

    # Another process turned the holiday into the 19th: its save touched the calendar's stamp.
    CalendarDay.objects.filter(calendar=cal).update(date=date(2026, 11, 19))
    WorkCalendar.objects.filter(pk=cal.pk).update(updated_at=timezone.now())

    assert not working_time().is_working_day(date(2026, 11, 19))
    assert working_time().is_working_day(date(2026, 11, 20))


def test_a_day_bulk_inserted_elsewhere_is_seen_without_any_touch(world, clock):
    cal = make_calendar()
    assert working_time().is_working_day(date(2026, 11, 19))

    CalendarDay.objects.bulk_create([CalendarDay(calendar=cal, date=date(2026, 11, 19),
                                                 kind=CalendarDay.Kind.HOLIDAY)])

    assert not working_time().is_working_day(date(2026, 11, 19))


@pytest.mark.parametrize("change", ["save", "delete"])
def test_saving_or_deleting_a_day_or_period_moves_its_calendars_stamp(world, clock, change):
    cal = make_calendar(holidays=[date(2026, 11, 20)])
    before = services.reference_stamps()[1]
    clock.shift(timedelta(seconds=1))

    day = cal.days.get()
    if change == "save":
        day.kind = CalendarDay.Kind.WORKDAY
        day.save()
    else:
        day.delete()

    assert services.reference_stamps()[1] != before
    period = cal.periods.first()
    before = services.reference_stamps()[1]
    clock.shift(timedelta(seconds=1))
    period.save()
    assert services.reference_stamps()[1] != before


def test_without_a_default_calendar_the_weekly_defaults_hold(world, clock):
    make_calendar(is_default=False, weekly={})

    assert services.reference_stamps()[1] is None
    assert working_time().is_working_day(date(2026, 11, 18))


def test_warm_builds_the_index_and_the_calendar_before_the_first_lookup(
        world, clock, django_assert_num_queries):
    make_calendar()
    services.forget_reference_data()

    services.warm()

    with django_assert_num_queries(1), reference_checked():
        locate(*world.point_g1)
        working_time()
