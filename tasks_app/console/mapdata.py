"""The map's layers as GeoJSON FeatureCollections (WGS-84 longitude/latitude): grids with their
open and overdue counts, roads, open tasks coloured by their light now, and repeat hotspots.
Each layer is a fixed number of queries; counts come from ``tasks_visible_to``.

The grids' outlines are read once per process and map change (``_Shapes``: a stamp of the grid
table, one small query, says when to read them again) with six decimals (about 0.1 m), so a
layer reads its counts and the grids' names, not 3,000 polygons, and sends fewer bytes."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt.models import Grid, Road
from gridmgmt.types import User
from tasks_app.patrols.console import coverage_layer

from .. import authority
from ..models import Task
from ..selectors import by_urgency, repeat_hotspots, tasks_visible_to
from ..workflow import Status
from . import states
from .badges import human_duration
from .dashboard import HOTSPOT_DAYS
from .links import task_url, tasks_url

MAX_TASK_MARKERS = 2000
LAYERS = ("grids", "roads", "tasks", "hotspots", "coverage")
DECIMALS = 6  # of a degree: about 0.1 m, finer than any grid boundary is surveyed


def _collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}


def grids_for(user: User, now: datetime, with_open: list[int]) -> QuerySet[Grid]:
    """The grids of a user's area: all for superusers; else the grids under the regions and the
    grids they hold duties for, and the grids ``with_open`` (those where they can see an open
    task: the layer counts open work, so a grid outside the area where they only see closed
    tasks would show 0 and 0; finding those would read every task they can see)."""
    auth = authority.of(user, at=now)
    if auth.is_superuser:
        return Grid.objects.all()
    if auth.officer is None:
        return Grid.objects.none()
    return Grid.objects.filter(Q(pk__in=with_open) | auth.area.grid_filter())


def _rounded(coords):
    if isinstance(coords, (int, float)):
        return round(coords, DECIMALS)
    return [_rounded(c) for c in coords]


def _rounded_geometry(geometry: dict) -> dict:
    return {**geometry, "coordinates": _rounded(geometry["coordinates"])}


class _Shapes:
    """Every grid's outline (rounded), kept per process until the grid table changes."""

    _lock = threading.Lock()
    _stamp: tuple | None = None
    _outlines: dict[int, dict] = {}

    @classmethod
    def outlines(cls) -> dict[int, dict]:
        # The highest id catches a grid replaced by another within the same instant.
        g = Grid.objects.aggregate(n=Count("id"), m=Max("updated_at"), k=Max("id"))
        stamp = (g["n"], g["m"], g["k"])
        with cls._lock:
            if cls._stamp != stamp:
                cls._outlines = {pk: _rounded_geometry(boundary) for pk, boundary
                                 in Grid.objects.values_list("pk", "boundary")}
                cls._stamp = stamp
            return cls._outlines


def _open_counts(tasks: QuerySet[Task], key: str, now: datetime) -> dict[int, dict[str, int]]:
    rows = tasks.filter(states.OPEN).values(key).annotate(
        open=Count("pk"), overdue=Count("pk", filter=states.overdue(now))).order_by()
    return {r[key]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def grids_layer(user: User, now: datetime) -> dict:
    """Three queries: the open counts, the grids' names, the outlines' stamp (and the outlines
    when the grids changed)."""
    tasks = tasks_visible_to(user, at=now)
    counts = _open_counts(tasks, "grid_id", now)
    outlines = _Shapes.outlines()
    base = tasks_url()  # the list's address, reversed once, not twice a grid
    features = []
    for pk, code, name, community in grids_for(user, now, sorted(counts)).order_by("code") \
            .values_list("pk", "code", "name", "community__name"):
        c = counts.get(pk, {"open": 0, "overdue": 0})
        features.append({
            "type": "Feature", "id": pk, "geometry": outlines[pk],
            "properties": {"code": code, "name": name, "community": community, **c,
                           # As tasks_url(grid=pk, progress=...) writes them.
                           "url": f"{base}?grid={pk}&progress=open",
                           "overdue_url": f"{base}?grid={pk}&progress=overdue"},
        })
    return _collection(features)


def roads_layer(user: User, now: datetime) -> dict:
    counts = _open_counts(tasks_visible_to(user, at=now), "road_id", now)
    features = []
    for pk, code, name, line in Road.objects.order_by("code").values_list(
            "pk", "code", "name", "centre_line"):
        c = counts.get(pk, {"open": 0, "overdue": 0})
        features.append({
            "type": "Feature", "id": pk, "geometry": line,
            "properties": {"code": code, "name": name, **c,
                           "url": tasks_url(road__id__exact=pk, progress="open")},
        })
    return _collection(features)


def _time_text(status: str, deadline: datetime | None, now: datetime) -> str:
    if status == Status.REPORTED:
        return _("Not dispatched")
    if status == Status.ON_HOLD:
        return _("On hold")
    if status == Status.SUBMITTED:
        return _("Fixed, to verify")
    if deadline is None:
        return ""
    if now >= deadline:
        return _("Overdue %(time)s") % {"time": human_duration(now - deadline)}
    return _("%(time)s left") % {"time": human_duration(deadline - now)}


def tasks_layer(user: User, now: datetime) -> dict:
    qs = by_urgency(tasks_visible_to(user, at=now).filter(states.OPEN))
    rows = list(qs.values_list(
        "pk", "code", "title", "category__name", "status", "deadline", "yellow_at", "lng",
        "lat", "repeat_seq", "supervised", "assignee__name")[:MAX_TASK_MARKERS + 1])
    features = []
    for (pk, code, title, category, status, deadline, yellow_at, lng, lat, seq, supervised,
         assignee) in rows[:MAX_TASK_MARKERS]:
        light = states.live_light(status, deadline, yellow_at, now)
        features.append({
            "type": "Feature", "id": pk,
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {
                "code": code, "title": title, "category": category,
                "status": status, "status_label": str(Status(status).label),
                "light": light or status, "time": _time_text(status, deadline, now),
                "repeat": seq, "supervised": supervised, "assignee": assignee or "",
                "url": task_url(pk),
            },
        })
    return _collection(features, truncated=len(rows) > MAX_TASK_MARKERS)


def hotspots_layer(user: User, now: datetime) -> dict:
    found = repeat_hotspots(since=now - timedelta(days=HOTSPOT_DAYS),
                            tasks=tasks_visible_to(user, at=now))
    base = tasks_url()  # the list's address, reversed once, not once a hotspot
    features = [{
        "type": "Feature", "id": h.latest_id,
        "geometry": {"type": "Point", "coordinates": [h.lng, h.lat]},
        "properties": {
            "category": h.category, "occurrences": h.occurrences, "open": h.open,
            "radius_m": h.radius_m, "grid": h.grid,
            "latest": timezone.localtime(h.latest_at).strftime("%Y-%m-%d %H:%M"),
            # As tasks_url(id__in=...) writes it (digits and commas, the commas quoted).
            "url": f"{base}?id__in={'%2C'.join(map(str, h.task_ids))}",
        },
    } for h in found]
    return _collection(features)


def patrol_layer(user: User, now: datetime) -> dict:
    """The patrol coverage, its grids drawn with the outlines kept per process (3,000 outlines
    read and decoded on every view took 40 ms)."""
    return coverage_layer(user, now, _Shapes.outlines())


BUILDERS = {"grids": grids_layer, "roads": roads_layer, "tasks": tasks_layer,
            "hotspots": hotspots_layer, "coverage": patrol_layer}
