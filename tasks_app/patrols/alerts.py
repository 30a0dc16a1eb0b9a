"""Roads and grids unpatrolled past their frequency alert their chief (the road chief, the grid
officer) through the notification outbox, once per overdue period.

Like the escalation ladder: a unique ``PatrolAlert`` row per (place, period) records the lapse, so
a second run or a second worker cannot record it again; only the rows this run inserted get
outbox rows, and those are unique per (kind, period, recipient) too. Set-based: the coverage
aggregate, one read of the rows inserted, one of the duties, one bulk insert into the outbox."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gridmgmt.models import Duty, Grid, Officer, Role
from tasks_app import notify
from tasks_app.models import Notification

from .models import PatrolAlert, PlaceKind
from .selectors import coverage, overdue_period


@transaction.atomic
def alert_overdue(*, now: datetime) -> dict[str, int]:
    places = [p for p in coverage(grids=Grid.objects.all(), roads=None, now=now) if p.overdue]
    wanted = [PatrolAlert(place_kind=p.kind, road_id=p.pk if p.kind == PlaceKind.ROAD else None,
                          grid_id=p.pk if p.kind == PlaceKind.GRID else None,
                          period_start=overdue_period(p, now), last_patrolled_at=p.last_at,
                          every_hours=p.every_hours, created_at=now) for p in places]
    PatrolAlert.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=2000)
    # The rows this run inserted carry its instant; older ones were alerted before.
    new = list(PatrolAlert.objects.filter(created_at=now).values_list(
        "pk", "road_id", "grid_id"))
    if not new:
        return {"overdue": len(places), "alerts": 0, "notifications": 0}
    roads = {road for _pk, road, _grid in new if road}
    grids = {grid for _pk, _road, grid in new if grid}
    chiefs: dict[tuple[str, int], list[int]] = {}
    for role, road, grid, officer in Duty.objects.valid_at(now).filter(
            Q(role=Role.ROAD_CHIEF, road_id__in=roads)
            | Q(role=Role.GRID_OFFICER, grid_id__in=grids)).order_by("officer_id").values_list(
            "role", "road_id", "grid_id", "officer_id"):
        place = (PlaceKind.ROAD, road) if role == Role.ROAD_CHIEF else (PlaceKind.GRID, grid)
        chiefs.setdefault(place, []).append(officer)
    emails = dict(Officer.objects.filter(
        pk__in={o for ids in chiefs.values() for o in ids}).values_list("pk", "email"))
    rows: list[Notification] = []
    for pk, road, grid in new:
        place = (PlaceKind.ROAD, road) if road else (PlaceKind.GRID, grid)
        rows.extend(Notification(
            kind=Notification.Kind.PATROL_OVERDUE, period=f"patrol{pk}", recipient_id=officer,
            email=emails.get(officer, ""), context={"alert": pk}, created_at=now,
            next_attempt_at=now) for officer in chiefs.get(place, []))
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    if rows:
        notify.kick_sender_on_commit()
    return {"overdue": len(places), "alerts": len(new), "notifications": len(rows)}


def email_context(row: Notification) -> dict:
    """The overdue alert's e-mail: which place, since when, how often it must be patrolled."""
    alert = PatrolAlert.objects.select_related("road", "grid").filter(
        pk=row.context.get("alert")).first()
    if alert is None:
        return {}
    return {
        "alert": alert, "place": alert.place, "is_road": alert.road_id is not None,
        "last": timezone.localtime(alert.last_patrolled_at) if alert.last_patrolled_at
        else None,
        "since": timezone.localtime(alert.period_start),
        "url": settings.SITE_URL.rstrip("/") + reverse("patrols:home"),
    }
