"""What each console figure counts, defined once as query filters.

The dashboard, the map, campaign progress and the task list's "progress" filter all use these,
so a figure and the list it links to count the same tasks. Lights are judged at ``now`` from
the stored thresholds (as ``deadlines.light_at`` does), not read from ``Task.light``, which the
sweep refreshes only every so often and which stays frozen once the clock stops.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import F, Q
from django.utils import timezone

from ..workflow import CLOCK_RUNNING, OPEN_STATUSES, Status

OPEN = Q(status__in=OPEN_STATUSES)
RUNNING = Q(status__in=CLOCK_RUNNING)


def overdue(now: datetime) -> Q:
    """Red now: the clock runs and the deadline has passed."""
    return RUNNING & Q(deadline__lte=now)


def yellow(now: datetime) -> Q:
    return RUNNING & Q(deadline__gt=now, yellow_at__lte=now)


def green(now: datetime) -> Q:
    return RUNNING & Q(deadline__gt=now) & (Q(yellow_at__gt=now) | Q(yellow_at__isnull=True))


def late(now: datetime) -> Q:
    """Missed the deadline: overdue now, fixed after it (waiting for verification or closed
    late), or put on hold after it had passed. A task held before its deadline is not late:
    its clock stopped in time."""
    return (
        overdue(now)
        | Q(status=Status.SUBMITTED, submitted_at__gt=F("deadline"))
        | Q(status=Status.CLOSED, closed_late=True)
        | Q(status=Status.ON_HOLD, hold_started_at__gt=F("deadline"))
    )


def reported_since(start: datetime) -> Q:
    return Q(reported_at__gte=start) & ~Q(status=Status.VOID)


def closed_since(start: datetime) -> Q:
    return Q(status=Status.CLOSED, closed_at__gte=start)


def late_since(start: datetime, now: datetime) -> Q:
    """Missed a deadline that fell between ``start`` and now."""
    return late(now) & Q(deadline__gte=start, deadline__lte=now)


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of this week, in the bureau's time zone."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday, time.min, tzinfo=timezone.get_current_timezone())


def day_start(now: datetime, days_back: int = 0) -> datetime:
    day = timezone.localdate(now) - timedelta(days=days_back)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def live_light(status: str, deadline: datetime | None, yellow_at: datetime | None,
               now: datetime) -> str | None:
    """A task's light now, or None when its clock is stopped (not dispatched, on hold,
    waiting for verification, finished)."""
    if status not in CLOCK_RUNNING or deadline is None:
        return None
    if now >= deadline:
        return "red"
    if yellow_at is not None and now >= yellow_at:
        return "yellow"
    return "green"
