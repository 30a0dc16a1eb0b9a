"""Work calendars for tests: the bureau's usual hours, with holiday and adjusted-day rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from gridmgmt.models import CalendarDay, WorkCalendar, WorkPeriod

TZ = ZoneInfo("Asia/Shanghai")
MORNING = (time(8, 30), time(12, 0))
AFTERNOON = (time(13, 30), time(18, 0))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in the bureau's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def make_calendar(
    *,
    holidays: Sequence[date] = (),
    workdays: Sequence[date] = (),
    weekly: dict[int, list[tuple[time, time]]] | None = None,
    is_default: bool = True,
    name: str = "标准工作日历",
) -> WorkCalendar:
    """A calendar with Monday-Friday 08:30-12:00 and 13:30-18:00 unless ``weekly`` says else."""
    cal = WorkCalendar.objects.create(name=name, is_default=is_default)
    weekly = weekly if weekly is not None else {w: [MORNING, AFTERNOON] for w in range(5)}
    WorkPeriod.objects.bulk_create(
        [WorkPeriod(calendar=cal, weekday=w, start=s, end=e)
         for w, spans in weekly.items() for s, e in spans]
    )
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=cal, date=d, kind=CalendarDay.Kind.HOLIDAY, name="假日")
         for d in holidays]
        + [CalendarDay(calendar=cal, date=d, kind=CalendarDay.Kind.WORKDAY, name="调休上班")
           for d in workdays]
    )
    return cal


def national_day_2026() -> WorkCalendar:
    """2026 National Day: 1-7 October off, Saturday 10 October worked (as China announced)."""
    return make_calendar(
        holidays=[date(2026, 10, d) for d in range(1, 8)],
        workdays=[date(2026, 9, 20), date(2026, 10, 10)],
    )
