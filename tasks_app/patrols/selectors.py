"""Reads: patrol coverage of roads and grids, and an officer's patrols.

Coverage is a fixed number of queries whatever the number of places: the rules, then the roads and
the grids, each with its latest visit and its visits this week read by index probes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from gridmgmt.models import Grid, Road

from .models import DEFAULT_EVERY_HOURS, Patrol, PatrolPlace, PatrolRule, PlaceKind


class State:
    OVERDUE = "overdue"
    TODAY = "today"  # patrolled today and not overdue
    WEEK = "week"  # patrolled this week, not today, not overdue
    OK = "ok"  # within its frequency, not yet this week (a weekly rule on a Monday)


@dataclass
class Coverage:
    kind: str  # PlaceKind
    pk: int
    code: str
    name: str
    community_id: int | None  # grids only: which rule of a region applies
    street_id: int | None
    district_id: int | None
    every_hours: int
    last_at: datetime | None = None
    patrols_week: int = 0
    today: bool = False
    week: bool = False
    due_at: datetime | None = None
    overdue: bool = False

    @property
    def state(self) -> str:
        if self.overdue:
            return State.OVERDUE
        if self.today:
            return State.TODAY
        return State.WEEK if self.week else State.OK

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


class Rules:
    """The most specific active rule for each place: the road's or grid's own, the grid's
    community, street or district, then the default of its kind."""

    def __init__(self, rules: list[PatrolRule]) -> None:
        self.by_road = {r.road_id: r.every_hours for r in rules if r.road_id}
        self.by_grid = {r.grid_id: r.every_hours for r in rules if r.grid_id}
        self.by_region = {r.region_id: r.every_hours for r in rules if r.region_id}
        self.default = dict(DEFAULT_EVERY_HOURS)
        for r in rules:
            if not (r.road_id or r.grid_id or r.region_id):
                self.default[r.applies_to] = r.every_hours

    @classmethod
    def load(cls) -> Rules:
        # One rule per place (constraints), so their order does not matter: no ordering, which
        # would join the roads, regions and grids to sort by their codes.
        return cls(list(PatrolRule.objects.filter(is_active=True).order_by().only(
            "applies_to", "road_id", "grid_id", "region_id", "every_hours")))

    def road(self, pk: int) -> int:
        return self.by_road.get(pk, self.default[PlaceKind.ROAD])

    def grid(self, pk: int, regions: tuple[int | None, ...]) -> int:
        if pk in self.by_grid:
            return self.by_grid[pk]
        for region in regions:
            if region in self.by_region:
                return self.by_region[region]
        return self.default[PlaceKind.GRID]


def day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def week_start(now: datetime) -> datetime:
    start = day_start(now)
    return start - timedelta(days=start.weekday())


def _visits(place: str, week: datetime) -> tuple[Subquery, Coalesce]:
    """For each place (a Grid or Road row): its latest visit and its visits since ``week``,
    as two subqueries probing the (place, last_at) index: the newest entry, and this week's
    entries. A GROUP BY of every visit ever read the whole history (300,000 rows a month at
    10,000 patrols a day) for any scope, a street's hundred places as for a district's
    thousands; the probes read one entry per place and the week's, however long the history."""
    visits = PatrolPlace.objects.filter(**{place: OuterRef("pk")})
    latest = visits.order_by("-last_at").values("last_at")[:1]
    this_week = visits.filter(last_at__gte=week).order_by().values(place).annotate(
        n=Count("*")).values("n")
    return Subquery(latest), Coalesce(Subquery(this_week), 0)


def coverage(*, grids: QuerySet[Grid], roads: list[int] | None, now: datetime
             ) -> list[Coverage]:
    """Every road and grid given (roads None: every road) with when it was last patrolled,
    whether today and this week, and whether it is overdue by its rule, roads first."""
    rules = Rules.load()
    today, week = day_start(now), week_start(now)
    road_rows = Road.objects.all() if roads is None else Road.objects.filter(pk__in=roads)
    road_last, road_week = _visits("road", week)
    places = [Coverage(PlaceKind.ROAD, pk, code, name, None, None, None, rules.road(pk),
                       last, n_week)
              for pk, code, name, last, n_week in road_rows.annotate(
                  last=road_last, n_week=road_week).order_by("code").values_list(
                  "pk", "code", "name", "last", "n_week")]
    grid_last, grid_week = _visits("grid", week)
    for pk, code, name, comm, street, district, last, n_week in grids.annotate(
            last=grid_last, n_week=grid_week).order_by("code").values_list(
            "pk", "code", "name", "community_id", "community__parent_id",
            "community__parent__parent_id", "last", "n_week"):
        places.append(Coverage(PlaceKind.GRID, pk, code, name, comm, street, district,
                               rules.grid(pk, (comm, street, district)), last, n_week))
    for place in places:
        last = place.last_at
        place.today = last is not None and last >= today
        place.week = last is not None and last >= week
        place.due_at = last + timedelta(hours=place.every_hours) if last else None
        place.overdue = place.due_at is None or place.due_at <= now
    return places


def overdue_period(place: Coverage, now: datetime) -> datetime:
    """The start of the overdue period ``now`` falls in: periods are one rule interval long,
    counted from when the place fell due (for a place never patrolled, from the epoch), so a
    place left unpatrolled is alerted again once per interval, never twice in one."""
    every = timedelta(hours=place.every_hours)
    origin = place.due_at or datetime(2000, 1, 3, tzinfo=timezone.get_current_timezone())
    return origin + every * ((now - origin) // every)


def coverage_summary(places: list[Coverage]) -> dict[str, int]:
    counts = {"total": len(places), State.OVERDUE: 0, State.TODAY: 0, State.WEEK: 0,
              State.OK: 0}
    for place in places:
        counts[place.state] += 1
    return counts


def patrols_of(*, scope: Q | None, limit: int = 30) -> list[Patrol]:
    """An officer's latest patrols with their places and findings (a fixed number of queries)."""
    rows = Patrol.objects.all() if scope is None else Patrol.objects.filter(scope)
    return list(rows.select_related("officer").prefetch_related(
        Prefetch("places", queryset=PatrolPlace.objects.select_related("road", "grid")
                 .order_by("first_at")),
        "findings__task__category").order_by("-started_at")[:limit])
