"""Working-time arithmetic (gridmgmt.worktime): adding and measuring working hours and working
days over weekends, holidays and adjusted working days (调休), with or without a calendar row."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest

from gridmgmt.worktime import (
    NaturalTime,
    Unit,
    WorkingTime,
    clock_for,
    deadline_after,
    working_time,
)

from .calendars import at, make_calendar, national_day_2026

H = 3600


@pytest.fixture
def default(db) -> WorkingTime:
    """No calendar in the database: Monday-Friday 08:30-12:00 and 13:30-18:00."""
    return working_time()


def test_without_a_calendar_the_week_is_monday_to_friday_in_two_periods(default):
    assert [len(default.periods_on(date(2026, 11, 16) + timedelta(days=i))) for i in range(7)] \
        == [2, 2, 2, 2, 2, 0, 0]
    assert default.between(at(2026, 11, 16), at(2026, 11, 17)) == 8 * H


@pytest.mark.parametrize("start,hours,end", [
    (at(2026, 11, 20, 16, 30), 4, at(2026, 11, 23, 11, 0)),    # Friday into Monday
    (at(2026, 11, 20, 16, 0), 4, at(2026, 11, 23, 10, 30)),
    (at(2026, 11, 18, 9, 0), 4, at(2026, 11, 18, 14, 30)),      # over lunch
    (at(2026, 11, 18, 12, 30), 1, at(2026, 11, 18, 14, 30)),    # reported during lunch
    (at(2026, 11, 18, 20, 0), 1, at(2026, 11, 19, 9, 30)),      # reported at night
    (at(2026, 11, 21, 10, 0), 4, at(2026, 11, 23, 14, 0)),      # reported on Saturday
    (at(2026, 11, 18, 9, 0), 3, at(2026, 11, 18, 12, 0)),       # ends exactly at a period end
    (at(2026, 11, 18, 9, 0), 0, at(2026, 11, 18, 9, 0)),
    (at(2026, 11, 21, 9, 0), 0, at(2026, 11, 23, 8, 30)),       # nothing to add: next start
    (at(2026, 11, 16, 8, 30), 40, at(2026, 11, 20, 18, 0)),     # one full working week
])
def test_adding_working_hours(default, start, hours, end):
    assert default.add(start, hours * H) == end


def test_measuring_is_the_inverse_of_adding(default):
    start = at(2026, 11, 20, 16, 30)
    for hours in (0.5, 1.5, 4, 9, 17.25):
        assert default.between(start, default.add(start, hours * H)) == pytest.approx(hours * H)


def test_measuring_backwards_is_negative(default):
    assert default.between(at(2026, 11, 23, 11, 0), at(2026, 11, 20, 16, 30)) == -4 * H


def test_adding_a_negative_amount_is_refused(default):
    with pytest.raises(ValueError):
        default.add(at(2026, 11, 18, 9, 0), -1)


def test_the_result_is_in_the_bureaus_time_zone_whatever_the_input(default):
    start = at(2026, 11, 20, 16, 30).astimezone(UTC)

    assert default.add(start, 4 * H) == at(2026, 11, 23, 11, 0)


def test_a_holiday_has_no_working_time(db):
    make_calendar(holidays=[date(2026, 11, 23)])
    clock = working_time()

    assert not clock.is_working_day(date(2026, 11, 23))
    assert clock.add(at(2026, 11, 20, 16, 30), 4 * H) == at(2026, 11, 24, 11, 0)


def test_an_adjusted_saturday_is_worked_on_mondays_hours(db):
    national_day_2026()
    clock = working_time(date(2026, 10, 1))

    assert clock.periods_on(date(2026, 10, 10)) == [
        (at(2026, 10, 10, 8, 30), at(2026, 10, 10, 12, 0)),
        (at(2026, 10, 10, 13, 30), at(2026, 10, 10, 18, 0)),
    ]
    assert clock.periods_on(date(2026, 10, 11)) == []  # the Sunday after stays off


def test_national_day_week_has_no_working_time_and_the_saturday_after_has_a_day(db):
    national_day_2026()
    clock = working_time(date(2026, 10, 1))

    assert clock.between(at(2026, 9, 30, 18, 0), at(2026, 10, 8, 8, 30)) == 0
    assert clock.between(at(2026, 10, 8), at(2026, 10, 12)) == 3 * 8 * H
    assert clock.add(at(2026, 9, 30, 16, 0), 4 * H) == at(2026, 10, 8, 10, 30)


def test_the_calendars_own_weekly_hours_are_used(db):
    summer = {w: [(time(8, 0), time(12, 0)), (time(14, 30), time(17, 30))] for w in range(5)}
    summer[5] = [(time(9, 0), time(11, 0))]  # Saturday mornings
    make_calendar(weekly=summer)
    clock = working_time()

    assert clock.add(at(2026, 11, 20, 16, 30), 4 * H) == at(2026, 11, 23, 9, 0)
    assert clock.between(at(2026, 11, 21), at(2026, 11, 22)) == 2 * H


def test_a_calendar_without_any_working_time_is_an_error_not_a_hang(db):
    make_calendar(weekly={})

    with pytest.raises(ValueError):
        working_time().add(at(2026, 11, 18, 9, 0), H)


@pytest.mark.parametrize("start,days,end", [
    (at(2026, 11, 20, 16, 30), 1, at(2026, 11, 23, 16, 30)),
    (at(2026, 11, 20, 16, 30), 2, at(2026, 11, 24, 16, 30)),
    (at(2026, 11, 18, 9, 0), 5, at(2026, 11, 25, 9, 0)),
    (at(2026, 11, 21, 10, 0), 1, at(2026, 11, 24, 8, 30)),   # Saturday: counts from Monday 08:30
    (at(2026, 11, 18, 19, 0), 1, at(2026, 11, 20, 8, 30)),   # evening: from Thursday 08:30
    (at(2026, 11, 18, 12, 30), 1, at(2026, 11, 19, 13, 30)),  # lunch: from 13:30
])
def test_adding_working_days_keeps_the_clock_time(default, start, days, end):
    assert default.add_days(start, days) == end


def test_working_days_land_inside_a_shorter_day(db):
    week = {w: [(time(8, 30), time(12, 0)), (time(13, 30), time(18, 0))] for w in range(4)}
    week[4] = [(time(8, 30), time(12, 0))]  # Friday afternoons off
    make_calendar(weekly=week)

    assert working_time().add_days(at(2026, 11, 19, 16, 0), 1) == at(2026, 11, 20, 12, 0)


def test_working_days_over_national_day(db):
    national_day_2026()

    assert working_time(date(2026, 10, 1)).add_days(at(2026, 9, 30, 16, 0), 3) \
        == at(2026, 10, 10, 16, 0)


def test_natural_hours_ignore_the_calendar(db):
    national_day_2026()
    clock = clock_for(Unit.HOURS)

    assert isinstance(clock, NaturalTime)
    assert clock.add(at(2026, 9, 30, 16, 0), 24 * H) == at(2026, 10, 1, 16, 0)
    assert clock.between(at(2026, 9, 30), at(2026, 10, 8)) == 8 * 24 * H


@pytest.mark.parametrize("amount,unit,end", [
    (4, Unit.WORK_HOURS, at(2026, 10, 8, 10, 30)),
    (1.5, Unit.WORK_HOURS, at(2026, 9, 30, 17, 30)),
    (3, Unit.WORK_DAYS, at(2026, 10, 10, 16, 0)),
    (24, Unit.HOURS, at(2026, 10, 1, 16, 0)),
])
def test_deadline_after_in_each_unit(db, amount, unit, end):
    national_day_2026()

    assert deadline_after(at(2026, 9, 30, 16, 0), amount, unit) == end
