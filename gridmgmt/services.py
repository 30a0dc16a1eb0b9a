"""Locating a point: the grid that covers it and the nearest road within tolerance.

Both lookups go through shapely STRtrees built once per process (at a server's start-up: ``warm``)
and rebuilt when a grid or road changes: a cheap count/max(updated_at)/max(id) stamp is read on each
call, in one query with the work calendar's (``reference_stamps``; a report reads it once for both,
``reference_checked``), so a lookup stays fast with thousands of grids instead of testing every
polygon, and a change made by any process is seen by the next lookup in every process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from shapely import STRtree

from .errors import DomainError
from .geometry import LocalProjection, line_from_geojson, parse_lng_lat, polygon_from_geojson
from .models import CalendarDay, Grid, Officer, Road, WorkCalendar, WorkPeriod


@dataclass(frozen=True)
class Location:
    lng: float
    lat: float
    grid: Grid
    road: Road | None
    road_distance_m: float | None


class _GeoIndex:
    def __init__(self, grids: list[Grid], roads: list[Road]) -> None:
        origin_lat = 30.0
        polys = [polygon_from_geojson(g.boundary) for g in grids]
        if polys:
            origin_lat = sum(p.centroid.y for p in polys) / len(polys)
        self.projection = LocalProjection(origin_lat)
        self.grids = grids
        self.grid_tree = STRtree([self.projection.geom(p) for p in polys])
        self.roads = roads
        self.road_tree = STRtree(
            [self.projection.geom(line_from_geojson(r.centre_line)) for r in roads]
        )

    def grid_at(self, x: float, y: float) -> Grid | None:
        pt = self.projection.point(x, y)
        hits = self.grid_tree.query(pt, predicate="covered_by")
        if len(hits) == 0:
            return None
        # On a shared border two grids cover the point: choose one the same way every time.
        return min((self.grids[i] for i in hits), key=lambda g: g.code)

    def road_near(self, x: float, y: float, tolerance_m: float) -> tuple[Road | None, float | None]:
        if not self.roads:
            return None, None
        pt = self.projection.point(x, y)
        idx, dist = self.road_tree.query_nearest(
            pt, max_distance=tolerance_m, return_distance=True, all_matches=True
        )
        if len(idx) == 0:
            return None, None
        best = min(zip(idx, dist, strict=True), key=lambda p: (p[1], self.roads[p[0]].code))
        return self.roads[best[0]], float(best[1])

    def road_grids(self) -> dict[int, frozenset[int]]:
        """The grids each road's centre line runs through (or along): every road against the
        grids' tree in one query, once per index (a district's 3,000 grids each queried against
        the roads' tree took 70 ms on every coverage view)."""
        if getattr(self, "_road_grids", None) is None:
            found: dict[int, set[int]] = {road.pk: set() for road in self.roads}
            if self.roads and self.grids:
                pairs = self.grid_tree.query(self.road_tree.geometries, predicate="intersects")
                for r, g in zip(*pairs, strict=True):
                    found[self.roads[r].pk].add(self.grids[g].pk)
            self._road_grids = {pk: frozenset(grids) for pk, grids in found.items()}
        return self._road_grids

    def road_streets(self) -> dict[int, frozenset[int]]:
        """The streets each road runs through (its centre line crosses their grids)."""
        if getattr(self, "_road_streets", None) is None:
            street = {g.pk: g.community.parent_id for g in self.grids
                      if g.community.parent_id is not None}
            self._road_streets = {
                road: frozenset(street[g] for g in grids if g in street)
                for road, grids in self.road_grids().items()}
        return self._road_streets


_lock = threading.Lock()
_cache: dict[str, object] = {"stamp": None, "index": None}
# Stamps already read by the block in progress (``reference_checked``): one read serves locate
# and the work calendar for the whole of one report.
_checked: ContextVar[tuple | None] = ContextVar("reference_stamps_checked", default=None)


def _stamp_sql() -> str:
    q = connection.ops.quote_name
    grid, road = q(Grid._meta.db_table), q(Road._meta.db_table)
    cal, period, day = (q(WorkCalendar._meta.db_table), q(WorkPeriod._meta.db_table),
                        q(CalendarDay._meta.db_table))
    # The highest id catches a row replaced by another within the same updated_at instant; the
    # calendar's periods and days have no updated_at of their own: saving or deleting one
    # touches the calendar's (worktime.touch_calendar); a bulk insert moves their count, top id.
    return (
        "SELECT g.n, g.m, g.k, r.n, r.m, r.k, c.id, c.updated_at, c.np, c.kp, c.nd, c.kd "
        f"FROM (SELECT COUNT(*) AS n, MAX(updated_at) AS m, MAX(id) AS k FROM {grid}) g "
        f"CROSS JOIN (SELECT COUNT(*) AS n, MAX(updated_at) AS m, MAX(id) AS k FROM {road}) r "
        "LEFT JOIN (SELECT w.id, w.updated_at, "
        f"(SELECT COUNT(*) FROM {period} p WHERE p.calendar_id = w.id) AS np, "
        f"(SELECT MAX(p.id) FROM {period} p WHERE p.calendar_id = w.id) AS kp, "
        f"(SELECT COUNT(*) FROM {day} d WHERE d.calendar_id = w.id) AS nd, "
        f"(SELECT MAX(d.id) FROM {day} d WHERE d.calendar_id = w.id) AS kd "
        f"FROM {cal} w WHERE w.is_default = %s) c ON 1 = 1"
    )


def reference_stamps() -> tuple[tuple, tuple | None]:
    """(map stamp, default calendar stamp or None without one) in one query, or the ones read
    on entering the ``reference_checked`` block in progress."""
    checked = _checked.get()
    if checked is not None:
        return checked[0], checked[1]
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [True])
        row = cursor.fetchone()
    return tuple(row[:6]), (tuple(row[6:]) if row[6] is not None else None)


@contextmanager
def reference_checked() -> Iterator[None]:
    """Within this block the map and the work calendar are checked for changes once, on entry:
    a report reads one stamp instead of one per lookup. Outside it every call checks."""
    if _checked.get() is not None:
        yield
        return
    token = _checked.set(reference_stamps())
    try:
        yield
    finally:
        _checked.reset(token)


def forget_reference_data(**_kwargs: object) -> None:
    """Drop this process's cached map index and work calendar (a grid, road or calendar was
    saved here; other processes see the change through the stamps)."""
    from . import worktime

    with _lock:
        _cache["stamp"] = _cache["index"] = None
    worktime.forget_calendar()


def _index() -> _GeoIndex:
    stamp = reference_stamps()[0]
    with _lock:
        if _cache["stamp"] != stamp:
            grids = list(Grid.objects.select_related("community__parent__parent"))
            roads = list(Road.objects.all())
            _cache["index"] = _GeoIndex(grids, roads)
            _cache["stamp"] = stamp
        return _cache["index"]  # type: ignore[return-value]


def warm() -> None:
    """Build this process's map index and load the work calendar now (a server's start-up), so
    that its first report does not pay for them."""
    from .worktime import working_time

    _index()
    working_time()


def locate(lng: object, lat: object, *, tolerance_m: float | None = None) -> Location:
    """The grid covering (lng, lat) and the nearest road within the tolerance (default 30 m).

    Raises DomainError("invalid_coordinates") for anything that is not a WGS-84 pair and
    DomainError("outside_area") for a point no grid covers.
    """
    try:
        x, y = parse_lng_lat(lng, lat)
    except ValueError as exc:
        raise DomainError("invalid_coordinates", _("Invalid coordinates: %(e)s") % {"e": exc}) \
            from exc
    index = _index()
    grid = index.grid_at(x, y)
    if grid is None:
        raise DomainError(
            "outside_area", _("The point (%(lng)s, %(lat)s) lies outside every grid.")
            % {"lng": x, "lat": y}
        )
    tol = settings.ROAD_TOLERANCE_M if tolerance_m is None else tolerance_m
    road, dist = index.road_near(x, y, tol)
    return Location(lng=x, lat=y, grid=grid, road=road, road_distance_m=dist)


def road_streets() -> dict[int, frozenset[int]]:
    """Road id → the streets it runs through, from the same cached index as ``locate``: roads
    belong to no region, so a street's roads are those crossing its grids."""
    return _index().road_streets()


def calendar_fill_from_holidays(*, calendar, years: list[int]) -> tuple[int, int]:
    """Add China's public holidays and adjusted working days for ``years`` from the ``holidays``
    package. Days already in the table are left as an admin set them. Returns (added, kept)."""
    import holidays

    from .models import CalendarDay

    cn = holidays.China(years=years, language="zh_CN")
    wanted: dict = {d: (CalendarDay.Kind.HOLIDAY, name) for d, name in cn.items()}
    for d in getattr(cn, "weekend_workdays", set()):
        if d.year in years:
            wanted[d] = (CalendarDay.Kind.WORKDAY, "调休上班")
    existing = set(
        CalendarDay.objects.filter(calendar=calendar, date__in=list(wanted)).values_list(
            "date", flat=True)
    )
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=d, kind=k, name=n[:100])
         for d, (k, n) in sorted(wanted.items()) if d not in existing]
    )
    if len(wanted) > len(existing):
        calendar.save(update_fields=["updated_at"])
    return len(wanted) - len(existing), len(existing)


def officer_create(*, username: str, password: str, name: str, phone: str = "",
                   email: str = "", language: str = "zh-hans", department=None):
    """A new officer with their own login (not staff: console access and groups stay with the
    superusers). One transaction: no login without its officer. A taken username is refused."""
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, transaction

    users = get_user_model().objects
    try:
        with transaction.atomic():
            if users.filter(username=username).exists():
                raise IntegrityError
            user = users.create_user(username=username, email=email, password=password)
            return Officer.objects.create(user=user, name=name, phone=phone, email=email,
                                          language=language, department=department)
    except IntegrityError as exc:
        raise DomainError("conflict", _("The username “%(username)s” is taken.")
                          % {"username": username}) from exc


def roads_crossing(grid_ids: list[int]) -> set[int]:
    """The roads whose centre line runs through (or along) any of these grids."""
    wanted = set(grid_ids)
    return {road for road, grids in _index().road_grids().items()
            if not wanted.isdisjoint(grids)}


def officer_set_language(*, officer: Officer, language: str) -> Officer:
    """An officer's own choice of language for the pages and the mail they receive."""
    supported = {code for code, _name in settings.LANGUAGES}
    if language not in supported:
        raise DomainError("invalid_input", _("Unknown language."))
    if officer.language != language:
        officer.language = language
        officer.save(update_fields=["language"])
    return officer
