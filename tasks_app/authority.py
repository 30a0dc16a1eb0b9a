"""Who may see and do what: the one place that reads duties to decide a permission.

An ``Authority`` is built for a user at an instant from the duties they hold then. It answers
every question the services, the API, the phone pages, the console and the admin ask:

- ``tasks()``: the tasks they may see (a queryset: out of scope is "does not exist");
- ``area``: their grids, roads, regions and departments;
- ``can(action, task)``: whether their role lets them take an action on a task, with the
  refusal code and message when not; ``available(task)`` adds the workflow's state, for pages
  that show only what can be done now;
- ``report_sources(channel)``: which sources a report by them may carry through a channel;
- ``evaluation_districts()``: whose monthly ranking they may read;
- ``can_edit_reference(obj)`` / ``reference_scope(model)``: which reference data they may
  edit or see.

Authority is cheap to ask repeatedly: a user's duties are read once per user object (and again
after any duty changes in this process) and filtered by the instant in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.models import (
    CalendarDay,
    Department,
    Duty,
    Grid,
    Officer,
    Region,
    Road,
    Role,
    WorkCalendar,
    WorkPeriod,
    duty_generation,
)
from gridmgmt.selectors import regions_below
from gridmgmt.types import AnyUser, User

from . import rows as raw
from .errors import DomainError
from .models import (
    Campaign,
    Category,
    EvaluationScheme,
    Open311Client,
    ServiceAttribute,
    Source,
    Task,
)
from .patrols.models import PatrolRule
from .selectors import officer_of, submitter_of
from .workflow import CLOCK_RUNNING, OPEN_STATUSES, Status


class Action:
    """What can be done to a task. The services name theirs when they ask ``require``."""

    START = "start"
    SUBMIT = "submit"
    EXTEND = "extend"  # the assignee asks for more time
    PHOTO = "photo"
    PLAN = "plan"  # write or edit the rectification plan (一套方案)
    ASSIGN = "assign"  # dispatch, or reassign (改派)
    DECIDE_EXTENSION = "decide_extension"
    HOLD = "hold"
    RESUME = "resume"
    VOID = "void"
    URGE = "urge"
    CAMPAIGN = "campaign"
    EDIT = "edit"  # title, description, address
    VERIFY = "verify"
    CORRECT = "correct"  # category or source: changes a unit's score, so the bureau's alone
    RECORD_CALL = "record_call"  # the desk links another call about it (立案 of a duplicate)
    REQUIRE_PLAN = "require_plan"  # a supervisor asks for a written plan before work starts

    ALL = (START, SUBMIT, EXTEND, PHOTO, PLAN, ASSIGN, DECIDE_EXTENSION, HOLD, RESUME, VOID,
           URGE, CAMPAIGN, EDIT, VERIFY, CORRECT, RECORD_CALL, REQUIRE_PLAN)


# The actions each regional role may take on the tasks of its region.
SUPERVISE = frozenset({Action.ASSIGN, Action.DECIDE_EXTENSION, Action.HOLD, Action.RESUME,
                       Action.VOID, Action.URGE, Action.CAMPAIGN, Action.EDIT, Action.PLAN,
                       Action.VERIFY, Action.PHOTO, Action.RECORD_CALL,
                       Action.REQUIRE_PLAN})
REGION_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_SUPERVISOR: SUPERVISE | {Action.CORRECT},
    Role.STREET_LEADER: SUPERVISE,
    # 第一责任人: chase and dispatch the problems of their community.
    Role.COMMUNITY_HEAD: frozenset({Action.ASSIGN, Action.URGE}),
    Role.INSPECTOR: frozenset({Action.VERIFY, Action.PHOTO}),
    Role.BUREAU_ADMIN: frozenset({Action.CORRECT, Action.RECORD_CALL}),
}
# The assignee's own actions.
ASSIGNEE_ACTIONS = frozenset({Action.START, Action.SUBMIT, Action.EXTEND, Action.PHOTO,
                              Action.PLAN})
ASSIGNEE_ONLY = frozenset({Action.START, Action.SUBMIT, Action.EXTEND})
# Roles whose tasks are scored in the monthly evaluation: they never correct their own inputs.
SCORED_ROLES = frozenset({Role.GRID_OFFICER, Role.ROAD_CHIEF, Role.COMMUNITY_HEAD,
                          Role.STREET_LEADER, Role.HANDLER})
# The people who supervise a place: the console's workbench is theirs.
SUPERVISOR_ROLES = frozenset({Role.DISTRICT_SUPERVISOR, Role.STREET_LEADER})
FIELD_ROLES = frozenset({Role.GRID_OFFICER, Role.ROAD_CHIEF, Role.HANDLER})
LEADER_ROLES = frozenset({Role.DISTRICT_SUPERVISOR, Role.STREET_LEADER, Role.BUREAU_ADMIN})


def _state_ok(action: str, task: Task) -> bool:
    """Whether the workflow lets the action happen in the task's present state (the services
    still decide, with their own codes; this is for showing only what can be done now)."""
    status = task.status
    if action == Action.START:
        return status == Status.ASSIGNED
    if action == Action.SUBMIT:
        return status == Status.IN_PROGRESS
    if action == Action.EXTEND:
        return (status in CLOCK_RUNNING and task.deadline is not None
                and task.extension_requested_until is None)
    if action == Action.ASSIGN:
        return status in (Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
    if action == Action.DECIDE_EXTENSION:
        return status in OPEN_STATUSES and task.extension_requested_until is not None
    if action == Action.HOLD:
        return status in CLOCK_RUNNING
    if action == Action.RESUME:
        return status == Status.ON_HOLD
    if action == Action.VOID:
        return status == Status.REPORTED
    if action == Action.URGE:
        return status in CLOCK_RUNNING and task.assignee_id is not None
    if action == Action.VERIFY:
        return status == Status.SUBMITTED
    if action in (Action.PHOTO, Action.PLAN, Action.EDIT, Action.RECORD_CALL):
        return status in OPEN_STATUSES
    if action == Action.REQUIRE_PLAN:
        return status in (Status.REPORTED, Status.ASSIGNED) and not task.plan_required
    if action in (Action.CAMPAIGN, Action.CORRECT):
        return status != Status.VOID
    return False


# -- sources ------------------------------------------------------------------------------------

class Channel:
    PHONE = "phone"  # /m/ and the API with an officer's token
    API = "api"
    DESK = "desk"  # the console's registration desk (立案)
    OPEN311 = "open311"


# What the registration desk takes down: finds by others, by the channel they came through.
DESK_SOURCES = (Source.HOTLINE, Source.CITY_INSPECTION, Source.THIRD_PARTY, Source.MEDIA,
                Source.CITIZEN)


# -- duties -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Held:
    """One duty as authority needs it."""

    role: str
    region_id: int | None
    grid_id: int | None
    road_id: int | None
    department_id: int | None
    valid_from: datetime
    valid_to: datetime | None

    def valid_at(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or self.valid_to > at)


_HELD = ("role", "region_id", "grid_id", "road_id", "department_id", "valid_from", "valid_to")


def officer_columns() -> str:
    """The columns of a user's officer (``o``) and each of their duties (``d``), for a read
    that joins them (``officer_joins``) to what it reads anyway, e.g. the API token's user."""
    q = connection.ops.quote_name
    column = {f.attname: f.column for f in Duty._meta.concrete_fields}
    return ", ".join([raw.columns(Officer, "o"), *(f"d.{q(column[name])}" for name in _HELD)])


def officer_joins() -> str:
    """Officers (``o``) with their duties (``d``): a row each, one row of NULLs for an officer
    without any; joined on ``o.user_id``."""
    q = connection.ops.quote_name
    return (f"{q(Officer._meta.db_table)} o LEFT JOIN {q(Duty._meta.db_table)} d "
            "ON d.officer_id = o.id")


def remember_officer(user: User, found: Sequence[Sequence[Any]]
                     ) -> tuple[Officer | None, list[Held]]:
    """Keep on ``user`` (for ``Authority``) their officer and duties as ``officer_columns``
    read them (the rows' last columns; none: no officer), so neither is read again."""
    n = len(Officer._meta.concrete_fields) + len(_HELD)
    mine = [row[len(row) - n:] for row in found if row[len(row) - n] is not None]
    officer = raw.instances(Officer, [mine[0][:n - len(_HELD)]])[0] if mine else None
    if officer is not None:
        Officer.user.field.set_cached_value(officer, user)
    Officer._meta.get_field("user").remote_field.set_cached_value(user, officer)
    rows = [Held(*raw.convert(Duty, _HELD, row[n - len(_HELD):])) for row in mine
            if row[n - len(_HELD)] is not None]
    # A cache on the user object, which declares no such attribute.
    user._authority_duties = (duty_generation(), rows)  # type: ignore[attr-defined]
    return officer, rows


def _officer_and_duties(user: AnyUser | None) -> tuple[Officer | None, list[Held]]:
    """The user's officer and all their duties (any time), kept on the user object (one per
    request) until any duty changes in this process. Neither known yet (a user fresh from the
    token or session): both in one statement, the officer joined to their duties."""
    if user is None or not user.is_authenticated:
        return None, []
    generation = duty_generation()
    cached = getattr(user, "_authority_duties", None)
    reverse = Officer._meta.get_field("user").remote_field  # user.officer's cache
    if reverse.is_cached(user):
        officer = officer_of(user)
        if officer is None:
            return None, []
        if cached is not None and cached[0] == generation:
            return officer, cached[1]
        rows = [Held(*row) for row in Duty.objects.filter(officer=officer)
                .order_by("role", "pk").values_list(*_HELD)]
    else:
        # Hand-written (tasks_app.rows): every report asks, and compiling the queryset cost
        # more than the database's answer.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {officer_columns()} FROM {officer_joins()} "
                           "WHERE o.user_id = %s ORDER BY d.role, d.id", [user.pk])
            return remember_officer(user, cursor.fetchall())
    # A cache on the user object, which declares no such attribute.
    user._authority_duties = (generation, rows)  # type: ignore[attr-defined]
    return officer, rows


@dataclass(frozen=True)
class Area:
    """The places and departments a user's duties cover."""

    grids: frozenset[int] = frozenset()
    roads: frozenset[int] = frozenset()
    departments: frozenset[int] = frozenset()
    # Regions by the role held there: {role: {region ids}}.
    regions: dict[str, frozenset[int]] = field(default_factory=dict)

    def regions_for(self, roles: Iterable[str]) -> frozenset[int]:
        found: set[int] = set()
        for role in roles:
            found |= self.regions.get(role, frozenset())
        return frozenset(found)

    @property
    def all_regions(self) -> frozenset[int]:
        return self.regions_for(self.regions)

    def grid_filter(self, roles: Iterable[str] | None = None) -> Q:
        """A filter on Grid: the grids of this area (its own and those under its regions)."""
        regions = self.all_regions if roles is None else self.regions_for(roles)
        q = Q(pk__in=list(self.grids)) if roles is None and self.grids else Q(pk__in=[])
        if regions:
            q |= regions_below(sorted(regions))
        return q


# -- the answers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = ""
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _refuse(reason: str, code: str = "forbidden") -> Decision:
    return Decision(False, code, reason)


def _refusal(action: str) -> str:
    return {
        Action.START: _("Only the assignee can start this task."),
        Action.SUBMIT: _("Only the assignee can submit this task."),
        Action.EXTEND: _("Only the assignee can ask for more time on this task."),
        Action.PHOTO: _("You cannot add photos to this task."),
        Action.PLAN: _("Only the assignee or a supervisor can write the plan."),
        Action.ASSIGN: _("Only a supervisor can assign tasks."),
        Action.DECIDE_EXTENSION: _("Only a supervisor can decide on extensions."),
        Action.HOLD: _("Only a supervisor can put a task on hold or resume it."),
        Action.RESUME: _("Only a supervisor can put a task on hold or resume it."),
        Action.VOID: _("Only a supervisor can void a report."),
        Action.URGE: _("Only a supervisor can urge a task."),
        Action.CAMPAIGN: _("Only a supervisor can add a task to a campaign."),
        Action.EDIT: _("Only a supervisor can edit a task."),
        Action.VERIFY: _("Only an inspector or a supervisor can verify."),
        Action.CORRECT: _("Only the bureau can correct a task's category or source."),
        Action.RECORD_CALL: _("Only the registration desk of the task's area can record a "
                              "call on it."),
        Action.REQUIRE_PLAN: _("Only a supervisor can require a plan."),
    }.get(action, _("You may not do this."))


class Authority:
    """What one user may see and do at one instant."""

    def __init__(self, user: AnyUser | None, at: datetime | None = None) -> None:
        self.user = user
        self.at = at or clock.now()
        self.is_superuser = bool(user is not None and user.is_authenticated
                                 and getattr(user, "is_superuser", False)
                                 and user.is_active)
        self.officer, every = _officer_and_duties(user)
        held = [d for d in every if d.valid_at(self.at)]
        self.duties: tuple[Held, ...] = tuple(held)
        self.roles: frozenset[str] = frozenset(d.role for d in held)
        regions: dict[str, set[int]] = {}
        for d in held:
            if d.region_id is not None:
                regions.setdefault(d.role, set()).add(d.region_id)
        self.area = Area(
            grids=frozenset(d.grid_id for d in held if d.grid_id is not None),
            roads=frozenset(d.road_id for d in held if d.road_id is not None),
            departments=frozenset(d.department_id for d in held if d.department_id is not None),
            regions={role: frozenset(ids) for role, ids in regions.items()},
        )

    # -- who they are ---------------------------------------------------------------------------

    def holds(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_supervisor(self) -> bool:
        """District supervisors and street leaders: the console's workbench is theirs."""
        return self.is_superuser or self.holds(*SUPERVISOR_ROLES)

    @property
    def is_bureau_admin(self) -> bool:
        return self.is_superuser or self.holds(Role.BUREAU_ADMIN)

    @property
    def is_verifier(self) -> bool:
        return self.is_superuser or any(Action.VERIFY in REGION_ROLE_ACTIONS.get(r, ())
                                        for r in self.roles)

    @property
    def uses_console(self) -> bool:
        """Whether the console has anything for them (the rest work from the phone)."""
        return self.is_superuser or self.holds(*SUPERVISOR_ROLES, Role.BUREAU_ADMIN)

    # -- what they see --------------------------------------------------------------------------

    def task_filter(self) -> Q | None:
        """None means every task (superusers); never an empty Q() for anyone else."""
        if self.is_superuser:
            return None
        if self.officer is None or self.user is None:
            return Q(pk__in=[])
        area = self.area
        q = Q(assignee=self.officer) | Q(reporter=self.user)
        if area.grids:
            q |= Q(grid_id__in=sorted(area.grids))
        if area.roads:
            q |= Q(road_id__in=sorted(area.roads))
        if area.departments:
            q |= Q(department_id__in=sorted(area.departments))
        regions = area.all_regions
        if regions:
            q |= self._region_grids(sorted(regions))
        return q

    # Roles held over a community or a street: few enough grids to list (tens to hundreds).
    SMALL_REGION_ROLES = frozenset({Role.COMMUNITY_HEAD, Role.STREET_LEADER})
    SMALL_REGION_GRIDS = 400

    def _region_grids(self, regions: list[int]) -> Q:
        """Tasks in the grids under ``regions``. For a community or a street, the grid ids as a
        literal list (one small query, once per Authority): PostgreSQL then reads those grids'
        tasks through the grid index, where a subquery through the region tables is estimated
        at a tenth of every grid and turns counting a community's tasks into a scan of the
        whole task table. A district (supervisors, inspectors) stays a subquery: its thousands
        of grids are most of the table anyway."""
        cached = getattr(self, "_region_grid_q", None)
        if cached is not None and cached[0] == regions:
            return cached[1]
        under = Grid.objects.filter(regions_below(regions)).values("pk")
        q = Q(grid__in=under)
        if set(self.area.regions) <= self.SMALL_REGION_ROLES:
            ids = list(under.order_by("pk").values_list("pk", flat=True)
                       [: self.SMALL_REGION_GRIDS + 1])
            if len(ids) <= self.SMALL_REGION_GRIDS:
                q = Q(grid_id__in=ids)
        self._region_grid_q = (regions, q)
        return q

    def tasks(self) -> QuerySet[Task]:
        q = self.task_filter()
        return Task.objects.all() if q is None else Task.objects.filter(q)

    def grids(self) -> QuerySet[Grid]:
        """The grids of their area: theirs, and those under their regions."""
        if self.is_superuser:
            return Grid.objects.all()
        return Grid.objects.filter(self.area.grid_filter())

    # -- what they may do -----------------------------------------------------------------------

    def _task_regions(self, task: Task) -> set[int]:
        community = task.grid.community
        street = community.parent
        found = {community.pk}
        if street is not None:
            found.add(street.pk)
            if street.parent_id is not None:
                found.add(street.parent_id)
        return found

    def _regional(self, action: str, task: Task) -> bool:
        roles = [r for r, actions in REGION_ROLE_ACTIONS.items() if action in actions]
        regions = self.area.regions_for(roles)
        return bool(regions) and bool(regions & self._task_regions(task))

    def _is_assignee(self, task: Task) -> bool:
        return self.officer is not None and task.assignee_id == self.officer.pk

    def scores_for(self, task: Task) -> bool:
        """Whether a unit they answer for is scored on this task (so they may not correct it)."""
        area = self.area
        if task.grid_id in area.grids or (task.road_id and task.road_id in area.roads):
            return True
        if task.department_id and task.department_id in area.departments:
            return True
        scored = area.regions_for(SCORED_ROLES)
        return bool(scored & self._task_regions(task))

    def can(self, action: str, task: Task) -> Decision:
        """Whether their duties let them take ``action`` on ``task`` (not whether the task's
        state allows it: see ``available``)."""
        if action not in Action.ALL:
            return _refuse(_("You may not do this."))
        if (action == Action.VERIFY and self.user is not None
                and task.status == Status.SUBMITTED and submitter_of(task) == self.user.pk):
            return _refuse(_("Nobody verifies a fix they submitted themselves."))
        if action == Action.CORRECT and not self.is_superuser and self.scores_for(task):
            return _refuse(_("A unit cannot correct the category or source it is scored on."))
        if action in ASSIGNEE_ONLY:
            # Only the assignee starts, submits or asks for more time: nobody does it for them.
            return ALLOWED if self._is_assignee(task) else _refuse(_refusal(action))
        if self.is_superuser:
            return ALLOWED
        if action in ASSIGNEE_ACTIONS and self._is_assignee(task):
            return ALLOWED
        if action == Action.PHOTO and self.user is not None \
                and task.reporter_id == self.user.pk:
            return ALLOWED
        if self._regional(action, task):
            return ALLOWED
        return _refuse(_refusal(action))

    def sees_citizen_contact(self, task: Task) -> bool:
        """Whether they may see the phone and e-mail a citizen left with a report: the
        supervisors of the task's place (district supervisor, street leader), to call back."""
        if self.is_superuser:
            return True
        return bool(self.area.regions_for(SUPERVISOR_ROLES) & self._task_regions(task))

    def require(self, action: str, task: Task) -> None:
        """Raise the domain error of a refusal (the services' entry point)."""
        decision = self.can(action, task)
        if not decision:
            raise DomainError(decision.code, decision.reason)

    def available(self, task: Task) -> list[str]:
        """The actions they may take on the task now, in ``Action.ALL`` order."""
        return [a for a in Action.ALL if _state_ok(a, task) and self.can(a, task)]

    # -- reporting ------------------------------------------------------------------------------

    def report_sources(self, channel: str) -> tuple[str, ...]:
        """The sources a report by them may carry through ``channel``, the default first.

        A third-party evaluator's find is a third-party find, an inspector's an inspector's, an
        officer's a patrol find (主动发现);
        the registration desk takes down others' finds by the channel they came through."""
        if channel == Channel.OPEN311:
            # The client's source is set by the bureau on its Open311 client record.
            return (Source.CITIZEN, *(s for s in DESK_SOURCES if s != Source.CITIZEN))
        if channel == Channel.DESK:
            return DESK_SOURCES if self.is_supervisor or self.is_bureau_admin else ()
        own: tuple[str, ...] = ()
        if self.holds(Role.EVALUATOR):
            own = (Source.THIRD_PARTY,)
        elif self.holds(Role.INSPECTOR):
            own = (Source.INSPECTOR,)
        elif self.officer is not None or self.is_superuser:
            own = (Source.PATROL,)
        if channel == Channel.API and (self.is_supervisor or self.is_bureau_admin):
            own = own + tuple(s for s in DESK_SOURCES if s not in own)
        return own

    def report_source(self, channel: str, asked: str | None = None) -> str:
        """The source of their report: the one asked for if they may claim it, else refused."""
        allowed = self.report_sources(channel)
        if not allowed:
            raise DomainError("forbidden", _("You cannot register problems here."))
        if asked in (None, ""):
            return allowed[0]
        if asked not in allowed:
            raise DomainError("forbidden", _("A report through this channel cannot claim the "
                                             "source “%(source)s”.") % {"source": asked})
        return str(asked)

    # -- patrols (巡查) ----------------------------------------------------------------------------

    def can_patrol(self) -> Decision:
        """Road chiefs and grid officers record patrols of their roads and grids."""
        if self.holds(Role.ROAD_CHIEF, Role.GRID_OFFICER):
            return ALLOWED
        return _refuse(_("Only road chiefs and grid officers record patrols."))

    def patrol_filter(self) -> Q | None:
        """The patrols they may open: their own (None: all, for superusers). Supervisors read
        coverage by place, not officers' routes."""
        if self.is_superuser:
            return None
        return Q(officer=self.officer) if self.officer is not None else Q(pk__in=[])

    def patrol_scope(self) -> tuple[QuerySet[Grid], list[int] | None]:
        """The grids and roads whose patrol coverage they see: the places of their duties, and
        under their regions every grid and each road running through one (roads None: all)."""
        if self.is_superuser:
            return Grid.objects.all(), None
        grids, roads = set(self.area.grids), set(self.area.roads)
        if self.area.all_regions:
            from gridmgmt.services import roads_crossing

            under = list(Grid.objects.filter(regions_below(sorted(self.area.all_regions)))
                         .values_list("pk", flat=True))
            grids.update(under)
            roads |= roads_crossing(under)
        # A few hundred grids as the ids just read (the same as ``grids()``): the coverage's
        # statement then filters them as a list instead of joining the region tables again
        # (a street leader's 107 places 13 -> 8 ms at a million tasks). A district's thousands
        # stay the subquery: three thousand parameters took longer to send and plan (+25 ms).
        if len(grids) <= self.SMALL_REGION_GRIDS:
            return Grid.objects.filter(pk__in=sorted(grids)), sorted(roads)
        return self.grids(), sorted(roads)

    # -- evaluation -----------------------------------------------------------------------------

    def evaluation_districts(self) -> list[int] | None:
        """The districts whose monthly ranking they may read (rankings are open within a
        district: a street leader sees every street of it). None means all (superusers)."""
        if self.is_superuser:
            return None
        found: set[int] = set()
        for d in self.duties:
            if d.role in (Role.DISTRICT_SUPERVISOR, Role.BUREAU_ADMIN) and d.region_id:
                found.add(d.region_id)
        streets = self.area.regions_for([Role.STREET_LEADER])
        if streets:
            found |= set(Region.objects.filter(pk__in=streets, parent__isnull=False)
                         .values_list("parent_id", flat=True))
        return sorted(found)

    def can_see_evaluation(self, district_id: int | None = None) -> bool:
        districts = self.evaluation_districts()
        if districts is None:
            return True
        return bool(districts) if district_id is None else district_id in districts

    # -- publishing and the review meeting (每月一会一点评一奖罚) ----------------------------

    def can_publish_evaluation(self) -> Decision:
        """Bureau administrators publish a month (superusers too); nobody who is scored."""
        if self.is_superuser:
            return ALLOWED
        if not self.holds(Role.BUREAU_ADMIN) or self.holds(*SCORED_ROLES):
            return _refuse(_("Only a bureau administrator can publish the evaluation."))
        return ALLOWED

    def answers_for(self, level: str, unit_id: int) -> bool:
        """Whether a unit they answer for is this one, or contains it (a street leader answers
        for his street's communities and grids too)."""
        if self.is_superuser:
            return False
        area = self.area
        if level == "department":
            return unit_id in area.departments
        if level == "road":
            return unit_id in area.roads
        scored = area.regions_for(SCORED_ROLES)
        if level == "grid":
            grid = Grid.objects.filter(pk=unit_id).values_list(
                "community_id", "community__parent_id").first()
            return unit_id in area.grids or bool(grid and scored.intersection(grid))
        region = Region.objects.filter(pk=unit_id).values_list("pk", "parent_id").first()
        return bool(region and scored & set(region))

    def _unit_district(self, level: str, unit_id: int) -> int | None:
        if level == "department":
            return Department.objects.filter(pk=unit_id).values_list(
                "district_id", flat=True).first()
        if level == "grid":
            return Grid.objects.filter(pk=unit_id).values_list(
                "community__parent__parent_id", flat=True).first()
        if level == "road":
            return None
        row = Region.objects.filter(pk=unit_id).values_list(
            "level", "parent_id", "parent__parent_id").first()
        if row is None:
            return None
        return row[1] if row[0] == Region.Level.STREET else row[2]

    def can_review(self, level: str, unit_id: int) -> Decision:
        """Write the 点评, decisions and follow-ups of a unit: bureau administrators and district
        supervisors of its district, never on a unit they answer for."""
        if self.is_superuser:
            return ALLOWED
        if not self.holds(Role.BUREAU_ADMIN, Role.DISTRICT_SUPERVISOR):
            return _refuse(_("Only a bureau administrator or a district supervisor can review "
                             "a unit."))
        if self.answers_for(level, unit_id):
            return _refuse(_("Nobody reviews a unit they answer for."))
        district = self._unit_district(level, unit_id)
        if district is not None and not self.can_see_evaluation(district):
            return _refuse(_("You can review the units of your own district."))
        return ALLOWED

    def can_read_review(self, level: str, unit_id: int) -> bool:
        """Reviewers read every review of their district; a unit's leader reads his own."""
        return bool(self.can_review(level, unit_id)) or self.answers_for(level, unit_id)

    def can_hold_meeting(self) -> bool:
        """The meeting pack and the list of every open follow-up: the meeting's organisers."""
        return self.is_superuser or self.holds(Role.BUREAU_ADMIN, Role.DISTRICT_SUPERVISOR)

    def can_complete_follow_up(self, responsible_id: int) -> Decision:
        """The responsible officer marks a follow-up done, or a bureau administrator."""
        if self.is_bureau_admin or (self.officer is not None
                                    and self.officer.pk == responsible_id):
            return ALLOWED
        return _refuse(_("Only the responsible officer or a bureau administrator can mark "
                         "this done."))

    # -- reference data -------------------------------------------------------------------------

    def can_view_reference(self) -> bool:
        return self.is_superuser or self.holds(*SUPERVISOR_ROLES, Role.BUREAU_ADMIN)

    def can_edit_reference(self, model: type[Model], obj: Model | None = None) -> bool:
        """Bureau administrators edit reference data, but never a duty or scheme that decides
        their own scope or score (nor their own officer record, which carries their duties)."""
        if model not in REFERENCE_MODELS:
            return False
        if self.is_superuser:
            return True
        if not self.is_bureau_admin:
            return False
        if obj is not None and self.officer is not None:
            if isinstance(obj, Duty) and obj.officer_id == self.officer.pk:
                return False
            if isinstance(obj, Officer) and obj.pk == self.officer.pk:
                return False
        return not (model is EvaluationScheme and self.holds(*SCORED_ROLES))

    def can_delete_reference(self, model: type[Model], obj: Model | None = None) -> bool:
        """Deleting is for rows nothing else records: a calendar's periods and days, a category's
        Open311 questions. Duties are ended (valid_to), never deleted, so the record shows who
        was responsible when; places, people, categories, schemes, campaigns and clients are
        referenced by tasks, duties or requests and are deactivated or left in place."""
        return model in REFERENCE_DELETABLE and self.can_edit_reference(model, obj)

    def reference_scope(self, model: type[Model]) -> Q | None:
        """The rows of a reference model they may see (None: all of them). Places, people and
        duties are scoped to their area; categories, calendars, departments and schemes are the
        whole bureau's, read-only for everyone but its administrators."""
        if self.is_superuser or self.is_bureau_admin:
            return None
        if not self.can_view_reference():
            return Q(pk__in=[])
        grids = Grid.objects.filter(self.area.grid_filter()).values("pk")
        if model is Grid:
            return Q(pk__in=grids)
        if model is Region:
            regions = sorted(self.area.all_regions)
            return (Q(pk__in=regions) | Q(parent_id__in=regions)
                    | Q(parent__parent_id__in=regions))
        if model is Duty:
            return (Q(grid__in=grids) | Q(region__in=Region.objects.filter(
                self.reference_scope(Region) or Q()).values("pk")))
        if model is Officer:
            return Q(pk__in=Duty.objects.filter(self.reference_scope(Duty) or Q())
                     .values("officer_id"))
        return None


REFERENCE_MODELS: frozenset[type[Model]] = frozenset({
    Region, Grid, Road, Department, Officer, Duty, Category, WorkCalendar, WorkPeriod,
    CalendarDay, EvaluationScheme, Campaign, Open311Client, ServiceAttribute, PatrolRule,
})
REFERENCE_DELETABLE: frozenset[type[Model]] = frozenset({WorkPeriod, CalendarDay, ServiceAttribute})


def of(user: AnyUser | None, *, at: datetime | None = None) -> Authority:
    """The authority of ``user`` at ``at`` (now by default)."""
    return Authority(user, at)


def console_users(at: datetime | None = None) -> QuerySet[Any]:
    """Every active login the console has something for at ``at`` (``Authority.uses_console``):
    superusers and the holders of a supervising or bureau duty then."""
    from django.contrib.auth import get_user_model

    at = at or clock.now()
    duties = Duty.objects.valid_at(at).filter(
        role__in=sorted(SUPERVISOR_ROLES | {Role.BUREAU_ADMIN}))
    return get_user_model().objects.filter(
        Q(is_superuser=True) | Q(officer__in=duties.values("officer_id")),
        is_active=True).order_by("pk")
