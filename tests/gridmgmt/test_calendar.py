"""calendar_fill_from_holidays: China's days off and adjusted working days from the ``holidays``
package, added to a work calendar without overwriting what an admin set."""

from __future__ import annotations

from datetime import date

from gridmgmt.models import CalendarDay, WorkCalendar
from gridmgmt.services import calendar_fill_from_holidays
from gridmgmt.worktime import working_time

from .calendars import at, make_calendar

HOLIDAY, WORKDAY = CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY


def _kinds(calendar: WorkCalendar) -> dict[date, str]:
    return dict(calendar.days.values_list("date", "kind"))


def test_national_day_and_its_adjusted_saturday_are_filled_in(db):
    calendar = make_calendar()

    added, kept = calendar_fill_from_holidays(calendar=calendar, years=[2026])

    kinds = _kinds(calendar)
    assert (added, kept) == (len(kinds), 0)
    for day in (1, 2, 3, 5, 6, 7):
        assert kinds[date(2026, 10, day)] == HOLIDAY
    assert kinds[date(2026, 1, 1)] == HOLIDAY
    assert kinds[date(2026, 9, 20)] == WORKDAY  # a Sunday worked
    assert kinds[date(2026, 10, 10)] == WORKDAY  # a Saturday worked
    assert all(d.year == 2026 for d in kinds)


def test_the_filled_calendar_drives_working_time(db):
    calendar = make_calendar()
    calendar_fill_from_holidays(calendar=calendar, years=[2026])

    clock = working_time(date(2026, 10, 1))

    assert clock.add(at(2026, 9, 30, 16, 0), 4 * 3600) == at(2026, 10, 8, 10, 30)
    assert clock.add_days(at(2026, 9, 30, 16, 0), 3) == at(2026, 10, 10, 16, 0)


def test_filling_twice_adds_nothing_the_second_time(db):
    calendar = make_calendar()
    first, _ = calendar_fill_from_holidays(calendar=calendar, years=[2026])

    added, kept = calendar_fill_from_holidays(calendar=calendar, years=[2026])

    assert (added, kept) == (0, first)
    assert calendar.days.count() == first


def test_a_day_an_admin_already_set_is_kept(db):
    # The bureau decided to work on 7 October this year.
    calendar = make_calendar(workdays=[date(2026, 10, 7)])

    added, kept = calendar_fill_from_holidays(calendar=calendar, years=[2026])

    assert kept == 1
    assert _kinds(calendar)[date(2026, 10, 7)] == WORKDAY


def test_each_calendar_has_its_own_table(db):
    first = make_calendar()
    second = make_calendar(name="第二日历", is_default=False)

    calendar_fill_from_holidays(calendar=first, years=[2026])

    assert second.days.count() == 0
