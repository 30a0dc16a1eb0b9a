"""Writes for patrols: start, check in, end, and the link from a problem reported on the way.

Each call is atomic and locks the patrol row, so check-ins arriving together (a phone replaying
its offline queue) extend the route one after another. Who may patrol, and whose patrol it is,
is authority's answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.errors import DomainError as GeoError
from gridmgmt.geometry import haversine_m, parse_lng_lat
from gridmgmt.services import locate
from gridmgmt.types import User
from tasks_app import authority
from tasks_app.errors import DomainError
from tasks_app.models import Task

from .models import CheckIn, Patrol, PatrolFinding, PatrolPlace

# A device clock may run a little fast or slow; beyond this a check-in's time is refused.
CLOCK_SKEW = timedelta(minutes=10)


def max_accuracy_m() -> float:
    # A fix coarser than this cannot say which road was walked (the tolerance is 30 m).
    return float(getattr(settings, "PATROL_MAX_ACCURACY_M", 100))


def _officer_for(actor: User | None, at: datetime) -> Any:
    who = authority.of(actor, at=at)
    decision = who.can_patrol()
    if not decision:
        raise DomainError(decision.code, decision.reason)
    return who.officer


def _lock(patrol: Patrol | int, actor: User | None, at: datetime) -> Patrol:
    """The patrol, locked, if it is the actor's own; another's is "no such patrol"."""
    pk = patrol if isinstance(patrol, int) else patrol.pk
    scope = authority.of(actor, at=at).patrol_filter()
    rows = Patrol.objects.select_for_update()
    if scope is not None:
        rows = rows.filter(scope)
    try:
        return rows.get(pk=pk)
    except Patrol.DoesNotExist as exc:
        raise DomainError("not_found", _("No such patrol.")) from exc


def _instant(at: datetime | None, now: datetime, patrol: Patrol | None = None) -> datetime:
    """The device's time of a check-in, within reason: queued offline points arrive late."""
    if at is None:
        return now
    if at > now + CLOCK_SKEW:
        raise DomainError("invalid_input", _("The check-in's time lies in the future."))
    if patrol is not None and at < patrol.started_at - CLOCK_SKEW:
        raise DomainError("invalid_input", _("The check-in's time is before the patrol began."))
    floor = patrol.started_at if patrol is not None else at
    return min(max(at, floor), now)


@transaction.atomic
def patrol_start(*, actor: User, at: datetime | None = None) -> tuple[Patrol, bool]:
    """Start a patrol; a running one is returned instead (a double tap, a replayed start).
    Returns the patrol and whether it was already running."""
    now = clock.now()
    officer = _officer_for(actor, now)
    running = Patrol.objects.select_for_update().filter(
        officer=officer, status=Patrol.Status.RUNNING).first()
    if running is not None:
        return running, True
    try:
        with transaction.atomic():
            return Patrol.objects.create(officer=officer, started_at=_instant(at, now)), False
    except IntegrityError:  # a concurrent start won the one-running-patrol constraint
        return Patrol.objects.get(officer=officer, status=Patrol.Status.RUNNING), True


def _coordinates(lng: Any, lat: Any, accuracy: Any) -> tuple[float, float, float | None]:
    try:
        x, y = parse_lng_lat(lng, lat)
    except ValueError as exc:
        raise DomainError("invalid_coordinates",
                          _("Invalid coordinates: %(e)s") % {"e": exc}) from exc
    if accuracy in (None, ""):
        return x, y, None
    try:
        acc = float(accuracy)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DomainError("invalid_input", _("The accuracy must be a number of metres.")) \
            from exc
    if not (0 <= acc < 1e6):
        raise DomainError("invalid_input", _("The accuracy must be a number of metres."))
    return x, y, acc


def _visit(patrol: Patrol, *, road_id: int | None, grid_id: int | None, at: datetime) -> None:
    field = "road_id" if road_id else "grid_id"
    target = road_id or grid_id
    updated = PatrolPlace.objects.filter(patrol=patrol, **{field: target})
    if not updated.filter(last_at__lt=at).update(last_at=at):
        if not updated.exists():
            PatrolPlace.objects.create(patrol=patrol, first_at=at, last_at=at,
                                       **{field: target})
        else:
            updated.filter(first_at__gt=at).update(first_at=at)


def _record(patrol: Patrol, *, lng: float, lat: float, accuracy: float | None, at: datetime,
            kind: str, key: str, now: datetime) -> CheckIn:
    counted = accuracy is None or accuracy <= max_accuracy_m()
    grid_id = road_id = None
    if counted:
        try:
            where = locate(lng, lat)
        except GeoError:
            counted = False  # outside every grid: kept on the route, covers nothing
        else:
            grid_id, road_id = where.grid.pk, where.road.pk if where.road else None
    check_in = CheckIn.objects.create(patrol=patrol, kind=kind, lng=lng, lat=lat,
                                      accuracy_m=accuracy, at=at, counted=counted,
                                      grid_id=grid_id, road_id=road_id, key=key,
                                      received_at=now)
    if grid_id:
        _visit(patrol, road_id=None, grid_id=grid_id, at=at)
    if road_id:
        _visit(patrol, road_id=road_id, grid_id=None, at=at)
    patrol.check_in_count = F("check_in_count") + 1
    if counted:
        if patrol.last_at is None or at >= patrol.last_at:
            if patrol.last_at is not None:
                # The last point's place is saved together with its time (below).
                assert patrol.last_lng is not None and patrol.last_lat is not None
                patrol.distance_m = F("distance_m") + haversine_m(
                    patrol.last_lng, patrol.last_lat, lng, lat)
            patrol.last_lng, patrol.last_lat, patrol.last_at = lng, lat, at
            patrol.save(update_fields=["check_in_count", "distance_m", "last_lng", "last_lat",
                                       "last_at"])
        else:
            # An older point arrived late (an offline queue): measure the route again in order.
            patrol.save(update_fields=["check_in_count"])
            patrol.distance_m = route_length(patrol)
            patrol.save(update_fields=["distance_m"])
    else:
        patrol.save(update_fields=["check_in_count"])
    patrol.refresh_from_db()
    return check_in


def route_length(patrol: Patrol) -> float:
    points = list(patrol.check_ins.filter(counted=True).order_by("at", "pk")
                  .values_list("lng", "lat"))
    return sum(haversine_m(*a, *b) for a, b in zip(points, points[1:], strict=False))


@transaction.atomic
def patrol_check_in(*, patrol: Patrol | int, actor: User, lng: Any, lat: Any,
                    at: datetime | None = None, accuracy: Any = None, key: str = "",
                    kind: str = CheckIn.Kind.POINT) -> tuple[CheckIn, bool]:
    """One GPS point of a running patrol. ``key`` (the phone's idempotency key) makes a
    replayed check-in return the first one. Returns the check-in and whether it was a replay."""
    now = clock.now()
    x, y, acc = _coordinates(lng, lat, accuracy)
    locked = _lock(patrol, actor, now)
    if key:
        earlier = CheckIn.objects.filter(patrol=locked, key=key).first()
        if earlier is not None:
            return earlier, True
    if not locked.is_running:
        raise DomainError("conflict", _("This patrol has ended; no check-in was recorded."))
    return _record(locked, lng=x, lat=y, accuracy=acc, at=_instant(at, now, locked), kind=kind,
                   key=key, now=now), False


@transaction.atomic
def patrol_end(*, patrol: Patrol | int, actor: User, at: datetime | None = None
               ) -> tuple[Patrol, bool]:
    """End a running patrol. Ending it again (a replayed tap) changes nothing. Returns the
    patrol and whether it had already ended."""
    now = clock.now()
    locked = _lock(patrol, actor, now)
    if not locked.is_running:
        return locked, True
    end = _instant(at, now, locked)
    if locked.last_at is not None:
        end = max(end, locked.last_at)
    locked.status, locked.ended_at = Patrol.Status.ENDED, end
    locked.distance_m = route_length(locked)
    locked.save(update_fields=["status", "ended_at", "distance_m"])
    return locked, False


def patrol_found(*, task: Task, actor: User) -> Task:
    """Link a problem the actor just reported to their running patrol, if any, with a check-in
    where it was found. Called in the report's transaction; returns the task."""
    officer = authority.of(actor).officer
    if officer is None:
        return task
    patrol = Patrol.objects.select_for_update().filter(
        officer=officer, status=Patrol.Status.RUNNING).first()
    if patrol is None:
        return task
    now = clock.now()
    check_in = _record(patrol, lng=task.lng, lat=task.lat, accuracy=None, at=now,
                       kind=CheckIn.Kind.PROBLEM, key="", now=now)
    PatrolFinding.objects.create(patrol=patrol, task=task, check_in=check_in)
    return task
