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
SERIES = ("new", "closed", "late")  # the trend's series, as ``_trend_counts`` reads them
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


Span = tuple[datetime, datetime | None]  # [start, end); None: up to now


def _within(field_name: str, spans: list[Span]) -> Q:
    q = Q()
    for begin, end in spans:
        q |= Q(**{f"{field_name}__gte": begin}) & (
            Q(**{f"{field_name}__lt": end}) if end is not None else Q())
    return q


def _trend_counts(tasks, now: datetime, spans: list[Span]) -> dict[str, dict[date, int]]:
    """Reported (not void), closed and late tasks per day within ``spans`` (whole days, or
    from a day's start up to now), in one read of the tasks: each series was a query of its
    own, each walking the 90 days' tasks through its own date index one row at a time (at a
    million tasks, three walks of about 120,000 rows); one bitmap scan of the three indexes
    reads each task once. The series keep their definitions: a task counts on its report day
    unless void, on its closing day when closed, on its deadline's day when late now
    (``states.late``) and the deadline has passed."""
    tz = timezone.get_current_timezone()
    series = {
        "new": (~Q(status=Status.VOID) & _within("reported_at", spans), "reported_at"),
        "closed": (Q(status=Status.CLOSED) & _within("closed_at", spans), "closed_at"),
        "late": (states.late(now) & _within("deadline", spans) & Q(deadline__lte=now),
                 "deadline"),
    }
    rows = tasks.filter(_within("reported_at", spans) | _within("closed_at", spans)
                        | (_within("deadline", spans) & Q(deadline__lte=now))).annotate(**{
        f"{key}_day": Case(When(q, then=TruncDate(field_name, tzinfo=tz)), default=None,
                           output_field=DateField())
        for key, (q, field_name) in series.items()}).order_by().values_list(
        *(f"{key}_day" for key in series))
    sql, params = rows.query.sql_with_params()
    # One GROUP BY of the three days together (a few thousand groups), summed per series here:
    # a CTE read three times, one GROUP BY per series, wrote the 90 days' rows out and read them
    # back three times (at a million tasks 325 ms against 240 ms).
    out: dict[str, dict[date, int]] = {key: {} for key in series}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(f'{k}_day' for k in series)}, COUNT(*) "
                       f"FROM ({sql}) s GROUP BY 1, 2, 3", params)
        for *days, n in cursor.fetchall():
            for key, day in zip(series, days, strict=True):
                if day is not None:
                    day = day if isinstance(day, date) else date.fromisoformat(day)
                    out[key][day] = out[key].get(day, 0) + n
    return out


# -- the trend's past days, cached ----------------------------------------------------------------
#
# The trend's days before today cannot change by themselves: a task counts on a past day by its
# report, its closing or its missed deadline, and (the deadline being past) whether it counts as
# late no longer depends on the instant. Only a write can change them, and every write goes
# through ``services._commit``: it compares the task's ``past_marks`` before and after, and when
# they differ (a void, a deadline moved by an extension, a rework or the end of a hold on a late
# task, a new assignee or department) it draws, after the commit, a new token for each day the
# task counted on before or after. Each scope keeps every past day's counts with the token of
# the day they were read under; a view reads the tokens of the window's days (one round trip)
# and the scope's entry (one more), and reads again from the database only the days whose token
# changed or that it does not have, together with today's counts, which are always read live.
# So the first view of a day reads yesterday and today, and a write re-reads the days it
# changed, not the 90 days. The scope's key names the time zone and the scope: its statement
# and, for regions, the grids under them now (a grid moved to another street changes the key).

SCOPE_CACHE_SECONDS = 31 * 24 * 3600  # a scope nobody viewed for a month is read again whole
DAY_TOKEN_SECONDS = (TREND_DAYS + 2) * 24 * 3600


def _day_key(day: date) -> str:
    return f"dashboard:trend:day:{timezone.get_current_timezone_name()}:{day.isoformat()}"


def _day_tokens(days: list[date]) -> dict[date, str]:
    """Each day's token. A random token, not a counter: an evicted or expired token never comes
    back as one that old counts were stored under; a day without one gets one."""
    keys = {_day_key(day): day for day in days}
    found = cache.get_many(list(keys))
    tokens = {}
    for key, day in keys.items():
        token = found.get(key)
        if token is None:
            cache.add(key, uuid.uuid4().hex, DAY_TOKEN_SECONDS)
            token = cache.get(key)
        # Evicted at once (a full cache): a token nothing was or will be stored under.
        tokens[day] = str(token) if token is not None else uuid.uuid4().hex
    return tokens


def _new_tokens(days: set[date]) -> None:
    cache.set_many({_day_key(day): uuid.uuid4().hex for day in days}, DAY_TOKEN_SECONDS)


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


def _marked_days(marks: tuple | None) -> set[date]:
    return {timezone.localdate(instant) for instant in (marks or (None,) * 4)[1:4]
            if instant is not None}


def task_written(task, before: tuple | None) -> None:
    """Called by ``services._commit`` with the task as written and its ``past_marks`` as it was
    read: the past days it counted on, before or after, get new tokens once committed."""
    after = past_marks(task)
    if after != before:
        days = _marked_days(before) | _marked_days(after)
        transaction.on_commit(lambda: _new_tokens(days))


def _scope_key(user: User, tasks, now: datetime) -> str | None:
    """The cache key of this scope's past days, or None when ``now`` is not today (a view of
    another day is computed, not cached: writes are judged against today)."""
    if timezone.localdate(now) != timezone.localdate(clock.now()):
        return None
    sql, params = tasks.values("pk").query.sql_with_params()
    scope = [sql, repr(params)]
    regions = authority.of(user, at=now).area.all_regions
    if regions:
        scope.append(",".join(map(str, Grid.objects.filter(regions_below(sorted(regions)))
                                  .order_by("pk").values_list("pk", flat=True))))
    digest = hashlib.sha256("\n".join(scope).encode()).hexdigest()
    return f"dashboard:trend:{timezone.get_current_timezone_name()}:{digest}"


def _spans(days: list[date], now: datetime) -> list[Span]:
    """Whole days (consecutive ones joined) and then today up to now, as instants."""
    today = states.day_start(now)
    starts = [states.day_start(today, (today.date() - day).days) for day in days]
    spans: list[tuple[datetime, datetime | None]] = []
    for begin in [*starts, today]:
        if spans and spans[-1][1] == begin:
            spans[-1] = (spans[-1][0], states.day_start(begin, -1))
        else:
            spans.append((begin, states.day_start(begin, -1)))
    spans[-1] = (spans[-1][0], None)  # the last one runs up to now
    return spans


def _trend_series(user: User, tasks, now: datetime, start: datetime
                  ) -> dict[str, dict[date, int]]:
    """``_trend_counts`` since ``start``: each day before today from the cache when its token
    has not changed since it was read, the others and today read in one statement."""
    key = _scope_key(user, tasks, now)
    if key is None:
        return _trend_counts(tasks, now, [(start, None)])
    return _cached_series(key, tasks, now, start)


def _cached_series(key: str, tasks, now: datetime, start: datetime
                   ) -> dict[str, dict[date, int]]:
    """The trend since ``start`` for the scope cached under ``key`` (the view's and the
    worker's warm-up alike)."""
    today = states.day_start(now).date()
    days = [start.date() + timedelta(days=i) for i in range((today - start.date()).days)]
    tokens = _day_tokens(days)  # read before any count: a write after it makes a new token
    kept: dict[date, tuple] = cache.get(key) or {}
    stale = [day for day in days if day not in kept or kept[day][0] != tokens[day]]
    read = _trend_counts(tasks, now, _spans(stale, now))
    if stale:
        entry = {day: kept[day] for day in days if day not in stale}
        entry.update({day: (tokens[day], *(read[s].get(day, 0) for s in SERIES))
                      for day in stale})
        cache.set(key, entry, SCOPE_CACHE_SECONDS)
        kept = entry
    out: dict[str, dict[date, int]] = {s: {} for s in SERIES}
    for day in days:
        for s, n in zip(SERIES, kept[day][1:], strict=True):
            if n:
                out[s][day] = n
    for s in SERIES:
        if today in read[s]:
            out[s][today] = read[s][today]
    return out


def warm(user: User, *, now: datetime) -> bool:
    """Read and store the trend's past days of ``user``'s scope now, as its view would (the
    worker's nightly run and its run after a change to duties or the map): so that a scope's
    first view, or its first since a month without one, is not the request that reads its 90
    days (300 ms for a whole district at a million tasks). False: nothing is cached for it."""
    tasks = tasks_visible_to(user, at=now)
    key = _scope_key(user, tasks, now)
    if key is None:
        return False
    _cached_series(key, tasks, now, states.day_start(now, TREND_DAYS - 1))
    return True


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
