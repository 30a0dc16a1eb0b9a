"""The dashboard's figures for one user, in a fixed number of aggregate queries whatever the
number of tasks, streets or departments (tests/console/test_dashboard.py counts them).

Everything starts from ``tasks_visible_to``: a street leader sees their street, a district
supervisor or a superuser the district. Each figure carries the link to its task list.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Count, DateField, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Region, Road
from gridmgmt.selectors import regions_below
from gridmgmt.types import User

from .. import authority
from ..selectors import Hotspot, StaffingGap, repeat_hotspots, staffing_gaps, tasks_visible_to
from ..workflow import CLOCK_RUNNING, Status
from . import queues, states
from .badges import human_duration, level_badge
from .links import reported_on, task_url, tasks_url

TREND_DAYS = 90
HOTSPOT_DAYS = 30
TOP_OVERDUE = 10
TOP_HOTSPOTS = 8


@dataclass
class Figure:
    label: str
    value: int
    url: str
    kind: str = ""  # a CSS modifier: red, yellow, green, …


@dataclass
class Dashboard:
    scope: str
    now: datetime
    week_start: datetime
    lights: list[Figure]
    waiting: list[Figure]
    week: list[Figure]
    overdue: list[dict]
    overdue_url: str
    hotspots: list[dict]
    streets: list[dict]
    departments: list[dict]
    charts: dict = field(default_factory=dict)
    queues: list[queues.Counted] = field(default_factory=list)
    queue_counts: dict[str, int] = field(default_factory=dict)
    gaps: list[StaffingGap] = field(default_factory=list)


def _scope_label(user: User, now: datetime) -> str:
    auth = authority.of(user, at=now)
    if auth.is_superuser:
        return _("All tasks")
    if auth.officer is None:
        return _("No duties: no tasks to show")
    names = []
    area = auth.area
    for model, ids in ((Region, area.all_regions), (Grid, area.grids), (Road, area.roads),
                       (Department, area.departments)):
        for name in model.objects.filter(pk__in=sorted(ids)).values_list("name", flat=True):
            if name not in names:
                names.append(name)
    return "、".join(names) or _("Your own tasks")


def _counts(tasks, now: datetime, week: datetime) -> dict[str, int]:
    # One pass over the open tasks and this week's: the filter lets the database use the
    # status, date and deadline indexes rather than scan every task ever reported.
    return tasks.filter(
        states.OPEN | Q(reported_at__gte=week) | Q(closed_at__gte=week) | Q(deadline__gte=week)
    ).aggregate(
        open=Count("pk", filter=states.OPEN),
        red=Count("pk", filter=states.overdue(now)),
        yellow=Count("pk", filter=states.yellow(now)),
        green=Count("pk", filter=states.green(now)),
        new_week=Count("pk", filter=states.reported_since(week)),
        closed_week=Count("pk", filter=states.closed_since(week)),
        late_week=Count("pk", filter=states.late_since(week, now)),
        **queues.aggregates(),
    )


def _most_overdue(tasks, now: datetime) -> list[dict]:
    rows = tasks.filter(states.overdue(now)).select_related(
        "category", "grid__community__parent", "assignee").order_by("deadline", "pk")
    return [{
        "task": t, "url": task_url(t.pk), "overdue_for": human_duration(now - t.deadline),
        "street": t.grid.community.parent.name if t.grid.community.parent_id else "",
        "level": level_badge(t),
    } for t in rows[:TOP_OVERDUE]]


def _hotspots(tasks, now: datetime) -> list[dict]:
    found: list[Hotspot] = repeat_hotspots(since=now - timedelta(days=HOTSPOT_DAYS), tasks=tasks)
    return [{
        "spot": h, "url": tasks_url(id__in=",".join(map(str, h.task_ids))),
        "latest_url": task_url(h.latest_id),
    } for h in found[:TOP_HOTSPOTS]]


def _bars(tasks, now: datetime, key: str, name: str, link_key: str,
          none_label: str) -> list[dict]:
    """Open and overdue tasks per unit (street or department), one query; each bar links to
    its tasks (``link_key`` = the unit's id, or ``<relation>__isnull`` for tasks without one)."""
    rows = tasks.filter(states.OPEN).values(key, name).annotate(
        open=Count("pk"), overdue=Count("pk", filter=states.overdue(now))).order_by()
    out = []
    for row in sorted(rows, key=lambda r: (r[key] is None, r[name] or "")):
        link = {link_key: row[key]} if row[key] is not None \
            else {key.removesuffix("_id") + "__isnull": 1}
        out.append({
            "label": row[name] or none_label, "open": row["open"], "overdue": row["overdue"],
            "within": row["open"] - row["overdue"],
            "url": tasks_url(progress="open", **link),
            "overdue_url": tasks_url(progress="overdue", **link),
        })
    return out


def _bar_chart(rows: list[dict]) -> dict:
    return {
        "labels": [r["label"] for r in rows],
        "within": [r["within"] for r in rows], "overdue": [r["overdue"] for r in rows],
        "within_urls": [r["url"] for r in rows], "overdue_urls": [r["overdue_url"] for r in rows],
    }


def _trend_counts(tasks, now: datetime, start: datetime) -> dict[str, dict[date, int]]:
    """Reported (not void), closed and late tasks per day since ``start``, in one read of the
    tasks: each series was a query of its own, each walking the 90 days' tasks through its own
    date index one row at a time (at a million tasks, three walks of about 120,000 rows); one
    bitmap scan of the three indexes reads each task once. The series keep their definitions:
    a task counts on its report day unless void, on its closing day when closed, on its
    deadline's day when late now (``states.late``) and the deadline has passed."""
    tz = timezone.get_current_timezone()
    series = {
        "new": (~Q(status=Status.VOID) & Q(reported_at__gte=start), "reported_at"),
        "closed": (Q(status=Status.CLOSED, closed_at__gte=start), "closed_at"),
        "late": (states.late(now) & Q(deadline__gte=start, deadline__lte=now), "deadline"),
    }
    rows = tasks.filter(Q(reported_at__gte=start) | Q(closed_at__gte=start)
                        | Q(deadline__gte=start, deadline__lte=now)).annotate(**{
        f"{key}_day": Case(When(q, then=TruncDate(field_name, tzinfo=tz)), default=None,
                           output_field=DateField())
        for key, (q, field_name) in series.items()}).order_by().values_list(
        *(f"{key}_day" for key in series))
    sql, params = rows.query.sql_with_params()
    # A CTE read three times (PostgreSQL materializes it once): one GROUP BY per series.
    union = " UNION ALL ".join(
        f"SELECT '{key}', {key}_day, COUNT(*) FROM s WHERE {key}_day IS NOT NULL "
        f"GROUP BY {key}_day" for key in series)
    out: dict[str, dict[date, int]] = {key: {} for key in series}
    with connection.cursor() as cursor:
        cursor.execute(f"WITH s ({', '.join(f'{k}_day' for k in series)}) AS ({sql}) {union}",
                       params)
        for key, day, n in cursor.fetchall():
            out[key][day if isinstance(day, date) else date.fromisoformat(day)] = n
    return out


# -- the trend's past days, cached ----------------------------------------------------------------
#
# The trend's days before today cannot change by themselves: a task counts on a past day by its
# report, its closing or its missed deadline, and (the deadline being past) whether it counts as
# late no longer depends on the instant. Only a write can change them, and every write goes
# through ``services._commit``: it compares the task's ``past_marks`` before and after, and when
# they differ (a void, a deadline moved by an extension, a rework or the end of a hold, a new
# assignee or department) it draws a new generation after the commit, so that every cached past
# is read again. Today's counts are always read live (one small query bounded by today's start).
# The key names the day, the time zone, the generation and the scope: the scope's statement and,
# for regions, the grids under them now (a grid moved to another street changes the key).

TREND_CACHE_SECONDS = 26 * 3600  # the key names its day; an entry is useless after it
_GENERATION_KEY = "dashboard:trend:generation"


def _generation() -> str:
    # A random token, not a counter: an evicted or flushed generation never comes back as one
    # that old entries were stored under.
    token = cache.get(_GENERATION_KEY)
    if token is None:
        cache.add(_GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(_GENERATION_KEY)
    return str(token)


def _new_generation() -> None:
    cache.set(_GENERATION_KEY, uuid.uuid4().hex, None)


def _late_once_past(task) -> bool:
    """``states.late`` for a task whose deadline has passed (then overdue is: the clock runs)."""
    status = task.status
    return (status in CLOCK_RUNNING
            or (status == Status.SUBMITTED and task.submitted_at is not None
                and task.submitted_at > task.deadline)
            or (status == Status.CLOSED and task.closed_late)
            or (status == Status.ON_HOLD and task.hold_started_at is not None
                and task.hold_started_at > task.deadline))


def past_marks(task) -> tuple | None:
    """What a task adds to the trend's days before today (None: nothing): its report's, its
    closing's and its missed deadline's instants, and the fields every scope is decided by."""
    today = states.day_start(clock.now())
    new = task.reported_at if task.reported_at < today and task.status != Status.VOID else None
    closed = (task.closed_at if task.status == Status.CLOSED and task.closed_at is not None
              and task.closed_at < today else None)
    late = (task.deadline if task.deadline is not None and task.deadline < today
            and _late_once_past(task) else None)
    if new is None and closed is None and late is None:
        return None
    return (today, new, closed, late, task.grid_id, task.road_id, task.department_id,
            task.assignee_id, task.reporter_id)


def task_written(task, before: tuple | None) -> None:
    """Called by ``services._commit`` with the task as written and its ``past_marks`` as it was
    read: a change to a past day's figures makes every cached past stale once committed."""
    if past_marks(task) != before:
        transaction.on_commit(_new_generation)


def _past_key(user: User, tasks, now: datetime) -> str | None:
    """The cache key of this scope's past days, or None when ``now`` is not today (a view of
    another day is computed, not cached: writes are judged against today)."""
    day = timezone.localdate(now)
    if day != timezone.localdate(clock.now()):
        return None
    sql, params = tasks.values("pk").query.sql_with_params()
    scope = [sql, repr(params)]
    regions = authority.of(user, at=now).area.all_regions
    if regions:
        scope.append(",".join(map(str, Grid.objects.filter(regions_below(sorted(regions)))
                                  .order_by("pk").values_list("pk", flat=True))))
    digest = hashlib.sha256("\n".join(scope).encode()).hexdigest()
    return (f"dashboard:trend:{_generation()}:{day.isoformat()}:"
            f"{timezone.get_current_timezone_name()}:{digest}")


def _trend_series(user: User, tasks, now: datetime, start: datetime
                  ) -> dict[str, dict[date, int]]:
    """``_trend_counts`` since ``start``: the days before today from the cache when it has
    them, today's always read."""
    key = _past_key(user, tasks, now)  # the generation is read before any count
    past = cache.get(key) if key else None
    today = states.day_start(now)
    if past is None:
        counts = _trend_counts(tasks, now, start)
        if key:
            cache.set(key, {series: {d: n for d, n in days.items() if d < today.date()}
                            for series, days in counts.items()}, TREND_CACHE_SECONDS)
        return counts
    live = _trend_counts(tasks, now, today)
    return {series: {**days, **live[series]} for series, days in past.items()}


def _trend(user: User, tasks, now: datetime) -> dict:
    start = states.day_start(now, TREND_DAYS - 1)
    counts = _trend_series(user, tasks, now, start)
    new, closed, late = counts["new"], counts["closed"], counts["late"]
    days = [start.date() + timedelta(days=i) for i in range(TREND_DAYS)]
    return {
        "labels": [f"{d:%m-%d}" for d in days],
        "new": [new.get(d, 0) for d in days],
        "closed": [closed.get(d, 0) for d in days],
        "late": [late.get(d, 0) for d in days],
        "new_urls": [reported_on(d) for d in days],
        "closed_urls": [tasks_url(status__exact=Status.CLOSED, closed_at__date=d.isoformat())
                        for d in days],
        "late_urls": [tasks_url(progress="late", deadline__date=d.isoformat()) for d in days],
    }


def dashboard_for(user: User, *, now: datetime) -> Dashboard:
    tasks = tasks_visible_to(user, at=now)
    week = states.week_start(now)
    c = _counts(tasks, now, week)
    queue_counts = queues.counts_from(c)
    lights = [
        Figure(_("Overdue (red)"), c["red"], tasks_url(progress="overdue"), "red"),
        Figure(_("Near the deadline (yellow)"), c["yellow"], tasks_url(progress="yellow"),
               "yellow"),
        Figure(_("Within time (green)"), c["green"], tasks_url(progress="green"), "green"),
    ]
    waiting = [
        # What waits for a decision is the queue strip above.
        Figure(_("Open in all"), c["open"], tasks_url(progress="open"), "open"),
    ]
    week_figures = [
        Figure(_("New"), c["new_week"], tasks_url(progress="new_week"), "open"),
        Figure(_("Closed"), c["closed_week"], tasks_url(progress="closed_week"), "green"),
        Figure(_("Missed the deadline"), c["late_week"], tasks_url(progress="late_week"),
               "red"),
    ]
    streets = _bars(tasks, now, "grid__community__parent_id", "grid__community__parent__name",
                    "street", _("No street"))
    departments = _bars(tasks, now, "department_id", "department__name",
                        "department__id__exact", _("No department (grid and road officers)"))
    charts = {
        "streets": _bar_chart(streets),
        "departments": _bar_chart(departments),
        "trend": _trend(user, tasks, now),
        "labels": {
            "within": _("Open, within time"), "overdue": _("Overdue"),
            "new": _("Reported"), "closed": _("Closed"), "late": _("Missed the deadline"),
        },
    }
    return Dashboard(
        scope=_scope_label(user, now), now=now, week_start=week, lights=lights,
        waiting=waiting, week=week_figures, overdue=_most_overdue(tasks, now),
        overdue_url=tasks_url(progress="overdue"), hotspots=_hotspots(tasks, now),
        streets=streets, departments=departments, charts=charts,
        queues=queues.listed(queue_counts), queue_counts=queue_counts,
        # One query: the grids and roads of the area with nobody of their role on duty today.
        gaps=staffing_gaps(user=user, at=now),
    )
