"""Reads for the phone pages. Every list starts from ``tasks_visible_to``, so a page can only
narrow the caller's scope, never widen it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When

from gridmgmt.models import Role
from gridmgmt.types import User

from .. import authority
from ..models import Light, Task
from ..workflow import CLOCK_RUNNING, OPEN_STATUSES, Status

# Tasks someone still has to fix (a submitted task waits for its verifier instead).
TO_FIX = (Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
ASSIGNEE_OPEN = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
LIST_LIMIT = 200

FILTERS = ("mine", "grid", "road", "community", "department", "verify")


@dataclass(frozen=True)
class Tabs:
    grid: bool
    road: bool
    verify: bool
    community: bool = False
    department: bool = False

    def allows(self, name: str) -> bool:
        return name == "mine" or (name in FILTERS and getattr(self, name, False))

    @property
    def default(self) -> str:
        """Each role lands on its work: the community head (第一责任人) on his community's
        tasks, the road chief on his roads', the handler on his department's, inspectors and
        leaders on what waits for verification; grid officers on their own tasks."""
        if self.community:
            return "community"
        if self.road and not self.grid:
            return "road"
        if self.department:
            return "department"
        if self.grid:
            return "mine"
        return "verify" if self.verify else "mine"


def tabs_for(user: User, *, at: datetime) -> Tabs:
    auth = authority.of(user, at=at)
    return Tabs(grid=auth.holds(Role.GRID_OFFICER), road=auth.holds(Role.ROAD_CHIEF),
                verify=auth.is_verifier and not auth.is_superuser,
                community=auth.holds(Role.COMMUNITY_HEAD),
                department=auth.holds(Role.HANDLER) and bool(auth.area.departments))


def with_live_urgency(qs: QuerySet[Task], *, now: datetime) -> QuerySet[Task]:
    """The light as of ``now`` for tasks whose clock runs (the stored one may wait for the next
    sweep), the stored light otherwise; ordered red, yellow, green, then nearest deadline."""
    running = Q(status__in=CLOCK_RUNNING)
    # A fix waiting for verification has stopped its clock: it is red only if it came late.
    waiting = Q(status=Status.SUBMITTED)
    late_fix = waiting & Q(submitted_at__gt=F("deadline"))
    stopped = ~running & ~waiting
    red = (running & Q(deadline__lte=now)) | late_fix | (stopped & Q(light=Light.RED))
    yellow = (running & Q(yellow_at__lte=now)) | (stopped & Q(light=Light.YELLOW))
    return qs.annotate(
        urgency=Case(When(red, then=Value(0)), When(yellow, then=Value(1)), default=Value(2),
                     output_field=IntegerField()),
        live_light=Case(When(red, then=Value(Light.RED)), When(yellow, then=Value(Light.YELLOW)),
                        When(waiting, then=Value("none")),
                        default=Value(Light.GREEN), output_field=CharField()),
    ).order_by("urgency", F("deadline").asc(nulls_last=True), "pk")


def task_list(*, user: User, which: str, now: datetime) -> QuerySet[Task]:
    auth = authority.of(user, at=now)
    officer = auth.officer
    qs = auth.tasks()
    if which == "grid":
        qs = qs.filter(status__in=TO_FIX, grid_id__in=sorted(auth.area.grids))
    elif which == "road":
        qs = qs.filter(status__in=TO_FIX, road_id__in=sorted(auth.area.roads))
    elif which == "community":
        # 第一责任人: every open task of the community, on a road or not.
        communities = sorted(auth.area.regions_for([Role.COMMUNITY_HEAD]))
        qs = qs.filter(status__in=OPEN_STATUSES, grid__community_id__in=communities)
    elif which == "department":
        qs = qs.filter(status__in=OPEN_STATUSES, department_id__in=sorted(auth.area.departments))
    elif which == "verify":
        qs = qs.filter(status=Status.SUBMITTED)
    else:
        qs = qs.filter(assignee=officer, status__in=ASSIGNEE_OPEN) if officer else qs.none()
    return with_live_urgency(qs.select_related("category", "grid", "road"), now=now)


def light_counts(qs: QuerySet[Task]) -> dict[str, int]:
    """Counts per light in one query (the list itself is cut at LIST_LIMIT)."""
    counts = qs.order_by().aggregate(
        total=Count("pk"),
        red=Count("pk", filter=Q(urgency=0)),
        yellow=Count("pk", filter=Q(urgency=1)),
        green=Count("pk", filter=Q(urgency=2)),
    )
    return {k: v or 0 for k, v in counts.items()}


def task_for_page(*, user: User, pk: int, now: datetime) -> Task | None:
    return (
        authority.of(user, at=now).tasks()
        .select_related("category", "grid__community__parent__parent", "road", "assignee",
                        "reporter", "repeat_of", "plan_by__officer")
        .filter(pk=pk)
        .first()
    )
