"""Reads. Every list of tasks a person sees starts from ``tasks_visible_to`` so the scope of their
duties is decided in exactly one place."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, F, IntegerField, Max, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from gridmgmt.geometry import degree_box, haversine_m
from gridmgmt.models import Officer
from gridmgmt.types import AnyUser

from . import rows
from .models import Category, Task
from .workflow import OPEN_STATUSES, Status


def officer_of(user: AnyUser | None) -> Officer | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.officer
    except Officer.DoesNotExist:
        return None


def tasks_visible_to(user: AnyUser, *, at: datetime | None = None) -> QuerySet[Task]:
    """The tasks this user may see (``authority.Authority.tasks``): their grids, roads, regions,
    department, assignments and their own reports. Out-of-scope tasks do not exist for them."""
    from .authority import of

    return of(user, at=at).tasks()


def by_urgency(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Red, then yellow, then green; within a light, the nearest deadline first."""
    rank = Case(When(light="red", then=Value(0)), When(light="yellow", then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return qs.annotate(urgency=rank).order_by("urgency", "deadline", "pk")


def task_list_for_officer(*, officer: Officer) -> QuerySet[Task]:
    """An officer's own open tasks, most urgent first."""
    qs = Task.objects.filter(assignee=officer, status__in=OPEN_STATUSES)
    return by_urgency(qs.select_related("category", "grid", "road"))


def submitter_of(task: Task) -> int | None:
    """The user who made the fix now waiting for verification: the last submission, or the
    report of a fix made on the spot (a photo added to a submitted task is not a submission)."""
    from .models import TaskEvent

    return task.events.filter(
        kind__in=[TaskEvent.Kind.SUBMITTED, TaskEvent.Kind.REPORTED], to_status=Status.SUBMITTED
    ).order_by("-created_at", "-pk").values_list("actor_id", flat=True).first()


def earlier_occurrences(
    *, category: Category, lng: float, lat: float, at: datetime, exclude_pk: int | None = None
) -> list[Task]:
    """Earlier tasks of the same category within the category's repeat radius and window, open
    or closed (void reports were never real problems), newest first.

    Every report asks this, so it is one hand-written read (``rows``: a queryset's compiling
    cost more than the database's answer); tests/workflow/test_repeats.py compares it with the
    queryset it stands for."""
    radius = category.repeat_radius_m
    min_lng, min_lat, max_lng, max_lat = degree_box(lng, lat, radius)
    q = connection.ops.quote_name
    params = [category.pk, rows.param(Task, "reported_at", at - timedelta(
        days=category.repeat_window_days)), rows.param(Task, "reported_at", at),
        min_lng, max_lng, min_lat, max_lat, Status.VOID]
    sql = (f"SELECT {rows.columns(Task, 't')} FROM {q(Task._meta.db_table)} t "
           "WHERE t.category_id = %s AND t.reported_at >= %s AND t.reported_at <= %s "
           "AND t.lng >= %s AND t.lng <= %s AND t.lat >= %s AND t.lat <= %s "
           "AND NOT (t.status = %s)")
    if exclude_pk is not None:
        sql += " AND NOT (t.id = %s)"
        params.append(exclude_pk)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY t.reported_at DESC, t.id DESC", params)
        found = rows.instances(Task, cursor.fetchall())
    return [t for t in found if haversine_m(lng, lat, t.lng, t.lat) <= radius]


@dataclass(frozen=True)
class Hotspot:
    """A place where one category of problem keeps coming back (a repeat hotspot)."""

    category_id: int
    category: str
    lng: float  # the mean position of its occurrences
    lat: float
    radius_m: int
    task_ids: tuple[int, ...]  # its occurrences since the look-back, oldest first
    open: int  # of which still open
    max_seq: int  # the highest occurrence number a report there was given
    latest_id: int
    latest_at: datetime
    grid: str  # the grid of the latest occurrence

    @property
    def occurrences(self) -> int:
        return len(self.task_ids)


def repeat_hotspots(*, since: datetime, min_count: int = 3,
                    tasks: QuerySet[Task] | None = None) -> list[Hotspot]:
    """Repeat hotspots with a report since ``since``, most occurrences first.

    Repeats are found once, at report time (``task_report``): a report is linked by
    ``repeat_of`` to the latest earlier task of its category within the category's repeat radius
    and window, and ``repeat_seq`` counts the occurrences in that window. A hotspot is one
    connected chain of such links (tasks reported within the longest repeat window before
    ``since``) in which some report since ``since`` was at least the ``min_count``-th occurrence
    in its window. So the radius and window are the category's own, exactly as the escalation at
    report time judged them, and two reports of a place are never counted twice. ``tasks``
    limits the search to a scope (``tasks_visible_to``). Two queries, whatever the size."""
    return hotspots_from(hotspot_rows(since=since, tasks=tasks), since=since,
                         min_count=min_count)


def hotspot_rows(*, since: datetime, tasks: QuerySet[Task] | None = None,
                 extra: tuple[str, ...] = ()) -> list[tuple]:
    """The rows ``repeat_hotspots`` chains, with the ``extra`` fields appended to each: the
    tasks of the chains with a report since ``since`` (``_recent_chains``), the others left
    out (no min_count makes a hotspot of them). A chain's rows depend only on its own tasks, so
    the rows of a part of ``tasks`` are those of ``tasks`` filtered, and one read can serve
    many scopes (``hotspots_from`` per part). Two queries."""
    window = Category.objects.aggregate(days=Max("repeat_window_days"))["days"] or 0
    lookback = since - timedelta(days=window)
    base = (Task.objects.all() if tasks is None else tasks).exclude(status=Status.VOID)
    # The chains' tasks by id, as a subquery (PostgreSQL: the ids hashed, then one look-up of
    # the primary key each): as a list of ids it was one bound parameter per id, which cost
    # more to write, send and plan than to read. The look-back is applied here: given to
    # PostgreSQL, it walked every task since by date instead.
    return [row for row in base.filter(pk__in=_recent_chains(since, lookback))
            .order_by("reported_at", "pk")
            .values_list("pk", "repeat_of_id", "repeat_seq", "category_id", "category__name",
                         "category__repeat_radius_m", "lng", "lat", "reported_at", "status",
                         "grid__name", *extra)
            if row[8] >= lookback]


def _recent_chains(since: datetime, lookback: datetime) -> RawSQL:
    """The ids of the chains of repeat links (among the repeats reported since ``lookback``
    and the tasks they repeat) that hold a repeat reported since ``since``: a subquery.

    Every chain ``hotspots_from`` makes of the rows that has a report since ``since`` lies in
    one of these: that report is a repeat itself, or a later report repeats it (a repeat links
    to an earlier report, ``task_report``, and no task is deleted). The links are walked
    whatever the scope and through void tasks, so a walked chain holds whole every scoped chain
    it touches: the chains made of the rows, of any scope or any part of them, are those made
    of every row less those without a report since ``since``, which no min_count makes a
    hotspot (tests/console/test_hotspot_rows.py compares them). Starting only from the repeats
    that could qualify (``repeat_seq`` >= min_count) would read each repeat since ``since``
    from the table (PostgreSQL walked every task since by date for them: 30 ms more at a
    million tasks) to leave out a few more rows (4,827 rows against 5,467).

    A repeat has one link, so a chain is a tree: up the links from each repeat since ``since``
    to the top of its tree (``up``), then down every link from there (``down``), each step a
    probe of the partial index on recent repeats (migration 0018, task_repeat_recent:
    PostgreSQL hashes its range once, about 6,600 entries at a million tasks, and reads no
    row of the table); about 10 ms for 5,467 rows instead of 9,541. PostgreSQL estimates the
    walk at ten rounds (a cost of about 40,000 there, growing with the recent repeats), which
    brings the dashboard's statement to about 80,000: JIT compiling starts at 100,000."""
    table = connection.ops.quote_name(Task._meta.db_table)
    recent = "t.repeat_of_id IS NOT NULL AND t.reported_at >= %s"
    return RawSQL(
        f"WITH RECURSIVE up(id) AS ("
        f"SELECT t.id FROM {table} t WHERE {recent} "
        f"UNION SELECT t.repeat_of_id FROM {table} t JOIN up ON t.id = up.id WHERE {recent}), "
        f"down(id) AS (SELECT id FROM up "
        f"UNION SELECT t.id FROM {table} t JOIN down ON t.repeat_of_id = down.id WHERE {recent}) "
        "SELECT id FROM down",
        [rows.param(Task, "reported_at", at) for at in (since, lookback, lookback)])


def hotspots_from(rows: list[tuple], *, since: datetime, min_count: int = 3) -> list[Hotspot]:
    """The hotspots of ``hotspot_rows`` (or of a part of them, in their order)."""
    parent = {row[0]: row[0] for row in rows}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for pk, repeat_of, *_ in rows:
        if repeat_of in parent:
            parent[root(pk)] = root(repeat_of)
    chains: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        chains[root(row[0])].append(row)
    found = []
    for members in chains.values():
        if not any(m[2] >= min_count and m[8] >= since for m in members):
            continue
        latest = members[-1]
        found.append(Hotspot(
            category_id=latest[3], category=latest[4], radius_m=latest[5],
            lng=sum(m[6] for m in members) / len(members),
            lat=sum(m[7] for m in members) / len(members),
            task_ids=tuple(m[0] for m in members),
            open=sum(1 for m in members if m[9] in OPEN_STATUSES),
            max_seq=max(m[2] for m in members), latest_id=latest[0], latest_at=latest[8],
            grid=latest[10],
        ))
    found.sort(key=lambda h: (-h.occurrences, -h.latest_at.timestamp(), h.latest_id))
    return found


# -- staffing gaps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffingGap:
    """A grid without a grid officer, or a road without a road chief, on duty at the instant."""

    kind: str  # "grid" or "road"
    pk: int
    code: str
    name: str
    street_id: int | None = None  # a grid's street (roads belong to no street)


def _unstaffed(at: datetime, grids: QuerySet, roads: QuerySet | None) -> list[StaffingGap]:
    """Unstaffed grids and roads of these querysets, in one query (a UNION)."""
    from django.db.models import CharField
    from django.db.models import Value as V

    from gridmgmt.models import Duty, Role

    duties = Duty.objects.valid_at(at)
    qs = grids.exclude(pk__in=duties.filter(role=Role.GRID_OFFICER, grid__isnull=False)
                       .values("grid_id")).annotate(
        kind=V("grid", output_field=CharField()),
        street=F("community__parent_id")).order_by().values_list(
        "kind", "pk", "code", "name", "street")
    if roads is not None:
        qs = qs.union(roads.exclude(pk__in=duties.filter(role=Role.ROAD_CHIEF,
                                                         road__isnull=False).values("road_id"))
                      .annotate(kind=V("road", output_field=CharField()),
                                street=V(None, output_field=IntegerField()))
                      .order_by().values_list("kind", "pk", "code", "name", "street"), all=True)
    return sorted((StaffingGap(*row) for row in qs), key=lambda g: (g.kind, g.code))


def staffing_gaps(*, user: AnyUser, at: datetime) -> list[StaffingGap]:
    """Every grid and road of the user's area without a valid duty of its role at ``at``
    (grid_officer / road_chief). A street's roads are those crossing its grids; the district
    level and superusers see every road."""
    from gridmgmt.models import Road, Role
    from gridmgmt.services import road_streets

    from .authority import of

    auth = of(user, at=at)
    district_level = auth.is_superuser or bool(
        auth.area.regions_for([Role.DISTRICT_SUPERVISOR, Role.BUREAU_ADMIN]))
    streets = auth.area.regions_for([Role.STREET_LEADER])
    roads = Road.objects.all() if district_level or streets else None
    gaps = _unstaffed(at, auth.grids(), roads)
    if not district_level and any(g.kind == "road" for g in gaps):
        crossing = road_streets()
        gaps = [g for g in gaps if g.kind == "grid" or crossing.get(g.pk, frozenset()) & streets]
    return gaps


def staffing_gaps_by_street(*, at: datetime) -> dict[int, list[StaffingGap]]:
    """The gaps of every street (for the street leaders' digests), in one query plus the
    cached road index."""
    from gridmgmt.models import Grid, Road
    from gridmgmt.services import road_streets

    gaps = _unstaffed(at, Grid.objects.all(), Road.objects.all())
    out: dict[int, list[StaffingGap]] = defaultdict(list)
    crossing = road_streets() if any(g.kind == "road" for g in gaps) else {}
    for gap in gaps:
        for street in ([gap.street_id] if gap.kind == "grid" else crossing.get(gap.pk, [])):
            if street is not None:
                out[street].append(gap)
    return dict(out)
