"""The map's layers as GeoJSON FeatureCollections (WGS-84 longitude/latitude): grids with their
open and overdue counts, roads, open tasks coloured by their light now, and repeat hotspots.
Each layer is a fixed number of queries; counts come from ``tasks_visible_to``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
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


def _collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}


def grids_for(user: User, tasks: QuerySet[Task], now: datetime) -> QuerySet[Grid]:
    """The grids of a user's area: all for superusers; else the grids under the regions and the
    grids they hold duties for, and any grid where they can see a task."""
    auth = authority.of(user, at=now)
    if auth.is_superuser:
        return Grid.objects.all()
    if auth.officer is None:
        return Grid.objects.none()
    return Grid.objects.filter(Q(pk__in=tasks.values("grid_id")) | auth.area.grid_filter())


def _open_counts(tasks: QuerySet[Task], key: str, now: datetime) -> dict[int, dict[str, int]]:
    rows = tasks.filter(states.OPEN).values(key).annotate(
        open=Count("pk"), overdue=Count("pk", filter=states.overdue(now))).order_by()
    return {r[key]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def grids_layer(user: User, now: datetime) -> dict:
    tasks = tasks_visible_to(user, at=now)
    counts = _open_counts(tasks, "grid_id", now)
    features = []
    for pk, code, name, community, boundary in grids_for(user, tasks, now).order_by("code") \
            .values_list("pk", "code", "name", "community__name", "boundary"):
        c = counts.get(pk, {"open": 0, "overdue": 0})
        features.append({
            "type": "Feature", "id": pk, "geometry": boundary,
            "properties": {"code": code, "name": name, "community": community, **c,
                           "url": tasks_url(grid=pk, progress="open"),
                           "overdue_url": tasks_url(grid=pk, progress="overdue")},
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
    features = [{
        "type": "Feature", "id": h.latest_id,
        "geometry": {"type": "Point", "coordinates": [h.lng, h.lat]},
        "properties": {
            "category": h.category, "occurrences": h.occurrences, "open": h.open,
            "radius_m": h.radius_m, "grid": h.grid,
            "latest": timezone.localtime(h.latest_at).strftime("%Y-%m-%d %H:%M"),
            "url": tasks_url(id__in=",".join(map(str, h.task_ids))),
        },
    } for h in found]
    return _collection(features)


BUILDERS = {"grids": grids_layer, "roads": roads_layer, "tasks": tasks_layer,
            "hotspots": hotspots_layer, "coverage": coverage_layer}
