"""The console's coverage: every road and grid of the user's area with its last patrol, whether
patrolled today and this week, and whether it is overdue for one (a list page and a map layer)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import Duty, Role
from gridmgmt.types import User
from tasks_app import authority

from .models import PlaceKind
from .selectors import Coverage, State, coverage, coverage_summary

STATES = (State.OVERDUE, State.TODAY, State.WEEK, State.OK)


def state_labels() -> dict[str, str]:
    return {State.OVERDUE: _("Overdue for a patrol"), State.TODAY: _("Patrolled today"),
            State.WEEK: _("Patrolled this week"), State.OK: _("Within its frequency")}


def coverage_for(user: User, now: datetime) -> list[Coverage]:
    grids, roads = authority.of(user, at=now).patrol_scope()
    return coverage(grids=grids, roads=roads, now=now)


def _chiefs(places: list[Coverage], now: datetime) -> dict[str, list[str]]:
    """Who answers for each place today (road chiefs, grid officers), in one query."""
    roads = [p.pk for p in places if p.kind == PlaceKind.ROAD]
    grids = [p.pk for p in places if p.kind == PlaceKind.GRID]
    found: dict[str, list[str]] = {}
    for role, road, grid, name in Duty.objects.valid_at(now).filter(
            Q(role=Role.ROAD_CHIEF, road_id__in=roads)
            | Q(role=Role.GRID_OFFICER, grid_id__in=grids)).order_by("officer__name").values_list(
            "role", "road_id", "grid_id", "officer__name"):
        key = f"{PlaceKind.ROAD}:{road}" if role == Role.ROAD_CHIEF else f"{PlaceKind.GRID}:{grid}"
        found.setdefault(key, []).append(name)
    return found


def coverage_page(request):
    now = clock.now()
    if not authority.of(request.user, at=now).uses_console:
        raise PermissionDenied
    places = coverage_for(request.user, now)
    show = request.GET.get("show", "")
    chiefs = _chiefs(places, now)
    labels = state_labels()
    rows = [{"place": p, "label": labels[p.state], "chiefs": "、".join(chiefs.get(p.key, [])),
             "last": timezone.localtime(p.last_at) if p.last_at else None}
            for p in places if show not in STATES or p.state == show]
    context = {
        **admin.site.each_context(request), "title": _("Patrol coverage"), "rows": rows,
        "summary": coverage_summary(places), "show": show, "labels": labels,
        "now": timezone.localtime(now),
    }
    return TemplateResponse(request, "admin/patrols/coverage.html", context)


def coverage_layer(user: User, now: datetime, outlines: dict[int, dict]) -> dict:
    """GeoJSON of the roads and grids coloured by coverage (the console map's coverage layer);
    ``outlines``: every grid's outline by id, as the map keeps them per process."""
    from gridmgmt.models import Road

    places = coverage_for(user, now)
    shapes = {f"{PlaceKind.ROAD}:{pk}": line for pk, line in Road.objects.filter(
        pk__in=[p.pk for p in places if p.kind == PlaceKind.ROAD]).values_list(
        "pk", "centre_line")}
    shapes.update({f"{PlaceKind.GRID}:{p.pk}": outlines[p.pk] for p in places
                   if p.kind == PlaceKind.GRID and p.pk in outlines})
    labels = state_labels()
    tz = timezone.get_current_timezone()
    features = [{
        "type": "Feature", "id": p.key, "geometry": shapes[p.key],
        "properties": {
            "kind": p.kind, "code": p.code, "name": p.name, "state": p.state,
            "state_label": labels[p.state], "every_hours": p.every_hours,
            "patrols_week": p.patrols_week,
            "last": p.last_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if p.last_at
            else "",
        },
    } for p in places if p.key in shapes]
    return {"type": "FeatureCollection", "features": features, "title": _("Patrol coverage"),
            "legend": labels, "labels": {"last": _("Last patrolled"), "never": _("never"),
                                         "week": _("Patrols this week")}}
