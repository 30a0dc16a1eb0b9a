"""Counting time the way the bureau does: natural hours, working hours, or working days.

Working time follows the default WorkCalendar: working periods per weekday and a table of days off
and adjusted working days (调休). An adjusted working day is worked on the hours of the first
weekday that has any (normally Monday). Without a calendar in the database the defaults below hold.
The calendar is loaded once per process and reloaded when its stamp changes (``working_time``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from .models import CalendarDay, WorkCalendar, WorkPeriod

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)),
                                                  (time(13, 30), time(18, 0)))
MAX_DAYS = 3 * 366  # a limit no category reaches; guards against a calendar with no working time


class Unit:
    WORK_HOURS = "work_hours"
    WORK_DAYS = "work_days"
    HOURS = "hours"


@dataclass
class WorkingTime:
    """Arithmetic over working periods. Immutable once built; cheap to build per call."""

    weekly: dict[int, list[tuple[time, time]]]
    days_off: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))

    # -- days -------------------------------------------------------------------------------
    def periods_on(self, d: date) -> list[tuple[datetime, datetime]]:
        if d in self.days_off:
            spans: list[tuple[time, time]] = []
        elif d in self.workdays:
            spans = next((self.weekly[w] for w in range(7) if self.weekly.get(w)), [])
        else:
            spans = self.weekly.get(d.weekday(), [])
        return [(datetime.combine(d, s, self.tz), datetime.combine(d, e, self.tz))
                for s, e in spans]

    def is_working_day(self, d: date) -> bool:
        return bool(self.periods_on(d))

    # -- working seconds --------------------------------------------------------------------
    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant after ``seconds`` of working time counted from ``start``."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        start = start.astimezone(self.tz)
        remaining = timedelta(seconds=seconds)
        d = start.date()
        for _ in range(MAX_DAYS):
            for p_start, p_end in self.periods_on(d):
                if p_end <= start:
                    continue
                s = max(start, p_start)
                if remaining <= p_end - s:
                    return s + remaining
                remaining -= p_end - s
            d += timedelta(days=1)
        raise ValueError("The work calendar has no working time in the coming years.")

    def between(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b] (negative when b is before a)."""
        if b < a:
            return -self.between(b, a)
        a, b = a.astimezone(self.tz), b.astimezone(self.tz)
        total = timedelta()
        d = a.date()
        while d <= b.date():
            for p_start, p_end in self.periods_on(d):
                s, e = max(a, p_start), min(b, p_end)
                if e > s:
                    total += e - s
            d += timedelta(days=1)
        return total.total_seconds()

    # -- working days -----------------------------------------------------------------------
    def next_working_instant(self, at: datetime) -> datetime:
        """``at`` itself when it falls in working time, otherwise the start of the next period."""
        at = at.astimezone(self.tz)
        d = at.date()
        for _ in range(MAX_DAYS):
            for p_start, p_end in self.periods_on(d):
                if p_end > at:
                    return max(at, p_start)
            d += timedelta(days=1)
        raise ValueError("The work calendar has no working time in the coming years.")

    def add_days(self, start: datetime, days: int) -> datetime:
        """The same clock time ``days`` working days later (starting from working time)."""
        begin = self.next_working_instant(start)
        d, left = begin.date(), days
        for _ in range(MAX_DAYS):
            if left == 0:
                break
            d += timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
        else:
            raise ValueError("The work calendar has no working time in the coming years.")
        periods = self.periods_on(d)
        wanted = datetime.combine(d, begin.timetz().replace(tzinfo=None), self.tz)
        # Days of different lengths: never land outside that day's working periods.
        return min(max(wanted, periods[0][0]), periods[-1][1])


class NaturalTime:
    """Plain elapsed time, for categories counted in natural hours."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    def between(self, a: datetime, b: datetime) -> float:
        return (b - a).total_seconds()


_calendar_lock = threading.Lock()
# (stamp, time zone) → the default calendar's WorkingTime, all its days loaded: built once per
# process and reloaded when the calendar's stamp changes (gridmgmt.services.reference_stamps).
_calendar: dict[str, object] = {"key": None, "clock": None}


def forget_calendar() -> None:
    with _calendar_lock:
        _calendar["key"] = _calendar["clock"] = None


def touch_calendar(*, instance: WorkPeriod | CalendarDay, **_kwargs: object) -> None:
    """A working period or calendar day was saved or deleted: move its calendar's updated_at,
    which every process's stamp reads (these rows have no timestamp of their own)."""
    WorkCalendar.objects.filter(pk=instance.calendar_id).update(updated_at=timezone.now())
    forget_calendar()


def _load(calendar_id: int) -> WorkingTime:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in WorkPeriod.objects.filter(calendar_id=calendar_id).order_by(
            "weekday", "start").values_list("weekday", "start", "end"):
        weekly.setdefault(weekday, []).append((start, end))
    off: set[date] = set()
    work: set[date] = set()
    for day_date, kind in CalendarDay.objects.filter(calendar_id=calendar_id).values_list(
            "date", "kind"):
        (off if kind == CalendarDay.Kind.HOLIDAY else work).add(day_date)
    return WorkingTime(weekly=weekly, days_off=off, workdays=work)


def working_time(around: date | None = None) -> WorkingTime:
    """The default calendar with its whole day table, from this process's cache while the
    calendar's stamp is unchanged (one query, or none inside ``reference_checked``).
    ``around`` is no longer needed (every day is loaded) and kept for callers. The result is
    shared: never change it."""
    from .services import reference_stamps

    stamp = reference_stamps()[1]
    if stamp is None:
        return WorkingTime(weekly={w: list(DEFAULT_PERIODS) for w in range(5)})
    key = (stamp, settings.TIME_ZONE)
    with _calendar_lock:
        if _calendar["key"] != key:
            _calendar["clock"] = _load(stamp[0])
            _calendar["key"] = key
        return _calendar["clock"]  # type: ignore[return-value]


def clock_for(unit: str, around: date | None = None) -> WorkingTime | NaturalTime:
    return NaturalTime() if unit == Unit.HOURS else working_time(around)


def deadline_after(start: datetime, amount: float, unit: str,
                   clock: WorkingTime | NaturalTime | None = None) -> datetime:
    clock = clock or clock_for(unit, start.date())
    if unit == Unit.WORK_DAYS:
        assert isinstance(clock, WorkingTime)
        return clock.add_days(start, int(amount))
    return clock.add(start, amount * 3600)
