"""Who a task can be dispatched to: first the people the duty roster and the category's rule
name for its place (the grid officer of its grid, the road chief of its road, the handlers of the
category's department), then the other field officers of the dispatcher's area; each with the
number of open tasks they carry now.

"Who is responsible here" is a roster question (gridmgmt.selectors); "which places are the
dispatcher's" is authority's (``Authority.area``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Officer, Region, Road, Role
from gridmgmt.selectors import officers_holding, officers_on_duty

from ..authority import FIELD_ROLES, Authority
from ..models import Task
from ..workflow import OPEN_STATUSES


@dataclass(frozen=True)
class Candidate:
    officer: Officer
    load: int  # open tasks assigned to them now
    why: str = ""  # for a suggestion: the duty that names them for this task's place

    @property
    def label(self) -> str:
        department = self.officer.department
        dept = f"（{department.name}）" if department is not None else ""
        return _("%(name)s%(dept)s · %(n)d open") % {
            "name": self.officer.name, "dept": dept, "n": self.load}


@dataclass(frozen=True)
class Candidates:
    suggested: list[Candidate]
    others: list[Candidate]

    def __iter__(self):
        yield from self.suggested
        yield from self.others

    def get(self, officer_id: int) -> Candidate | None:
        return next((c for c in self if c.officer.pk == officer_id), None)


def _loads(officer_ids: list[int]) -> dict[int, int]:
    """Open tasks per officer, in one aggregate query."""
    rows = (Task.objects.filter(assignee_id__in=officer_ids, status__in=OPEN_STATUSES)
            .values("assignee_id").annotate(n=Count("pk")).order_by())
    return {row["assignee_id"]: row["n"] for row in rows}


def _area_roster(auth: Authority, at: datetime) -> QuerySet[Officer]:
    """The field officers of the dispatcher's area: the grid officers of its grids, the handlers
    of its districts' departments (and its own), and the road chiefs of its roads (every road,
    for the district level: roads belong to no street)."""
    if auth.is_superuser:
        return officers_on_duty(roles=sorted(FIELD_ROLES), at=at, grids=Grid.objects.all(),
                                roads=Road.objects.all(), departments=Department.objects.all())
    area = auth.area
    regions = list(Region.objects.filter(pk__in=area.all_regions)
                   .values_list("level", "pk", "parent_id", "parent__parent_id"))
    districts = {pk if level == Region.Level.DISTRICT else
                 parent if level == Region.Level.STREET else grand
                 for level, pk, parent, grand in regions}
    district_level = any(level == Region.Level.DISTRICT for level, *_ in regions)
    departments = Department.objects.filter(district__in=districts - {None}) \
        | Department.objects.filter(pk__in=area.departments)
    roads = Road.objects.all() if district_level else Road.objects.filter(pk__in=area.roads)
    return officers_on_duty(roles=sorted(FIELD_ROLES), at=at, grids=auth.grids(), roads=roads,
                            departments=departments)


def area_candidates(auth: Authority, *, at: datetime | None = None) -> list[Candidate]:
    """The field officers of the dispatcher's area with their loads (bulk reassignment)."""
    officers = list(_area_roster(auth, at or clock.now()).select_related("department"))
    loads = _loads([o.pk for o in officers])
    return [Candidate(o, loads.get(o.pk, 0)) for o in officers]


def dispatch_candidates(task: Task, auth: Authority, *, at: datetime | None = None
                        ) -> Candidates:
    """Suggestions for this task first (without its present assignee), then the rest of the
    dispatcher's area."""
    at = at or clock.now()
    named: list[tuple[Officer, str]] = []
    for role, kwargs in (
        (Role.GRID_OFFICER, {"grid": task.grid}),
        (Role.ROAD_CHIEF, {"road": task.road}),
        (Role.HANDLER, {"department": task.category.default_department}),
    ):
        why = str(Role(role).label)
        named += [(o, why) for o in officers_holding(role=role, at=at, **kwargs)
                  .select_related("department")]
    suggested: dict[int, tuple[Officer, str]] = {}
    for officer, why in named:
        if officer.pk != task.assignee_id and officer.pk not in suggested:
            suggested[officer.pk] = (officer, why)
    others = [o for o in _area_roster(auth, at).select_related("department")
              if o.pk not in suggested and o.pk != task.assignee_id]
    loads = _loads([*suggested, *(o.pk for o in others)])
    return Candidates(
        suggested=[Candidate(o, loads.get(o.pk, 0), why) for o, why in suggested.values()],
        others=[Candidate(o, loads.get(o.pk, 0)) for o in others],
    )
