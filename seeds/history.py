"""Three months of rectification tasks, replayed through the real services.

Each task has a life (a generator): it yields the instant of its next step, and the replay runs
every step of every task in time order under ``clock.frozen``. So deadlines, events, repeats and
their escalations are exactly what the services produce, and steps that would fall after now
simply have not happened yet: that is how open, overdue and waiting tasks arise. The ladder's
time escalations come from one sweep as of now, at the end (see ``generate``).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from shapely import LineString

from gridmgmt import clock
from gridmgmt.errors import DomainError
from gridmgmt.models import Department, Grid, Officer, Region, Road, Role
from gridmgmt.selectors import officers_holding
from gridmgmt.services import locate
from gridmgmt.worktime import Unit, clock_for
from tasks_app import escalation, services
from tasks_app.models import Campaign, Category, Source, Task
from tasks_app.workflow import Status

from . import data, geo
from .photos import photo

DAYS = 90
RANDOM_TASKS = 290
RECENT_TASKS = 30  # the last few days are busier on screen: open tasks of every kind
WAITING = 4  # reports still waiting for a supervisor to register them
HOTSPOTS = 10
RIVER = [(0, 3.3), (2.5, 3.55), (5, 3.2), (8, 3.42)]  # 中河, in lattice units
RIVER_NAME = "中河"

# How common each problem is; the rest count 3.
CATEGORY_WEIGHT = {
    "GARBAGE_OVERFLOW": 12, "EXPOSED_GARBAGE": 8, "STREET_VENDING": 10, "SHARED_BIKES": 9,
    "ILLEGAL_PARKING": 9, "GRAFFITI": 7, "OUTSIDE_SHOP": 6, "ROAD_DUST": 5, "DEAD_CORNER": 5,
    "ILLEGAL_ADS": 4, "OTHER": 6, "ILLEGAL_CONSTRUCTION": 3, "MANHOLE_MISSING": 2,
    "FALLEN_TREE": 1,
}
SOURCE_WEIGHT: dict[str, int] = {
    Source.PATROL: 34, Source.INSPECTOR: 15, Source.THIRD_PARTY: 12,
    Source.CITY_INSPECTION: 8, Source.CITIZEN: 15, Source.HOTLINE: 11, Source.MEDIA: 5,
}
# After dispatch. on_time/late/rework end closed; the others stop somewhere on the way.
LIFE_WEIGHT = {
    "on_time": 44, "late": 10, "rework": 7, "spot": 12, "extension": 5, "ext_refused": 2,
    "ext_waiting": 2, "hold": 4, "long_hold": 2, "stalled": 4, "idle": 2, "reassign": 5,
}
STUCK = {"stalled", "idle", "long_hold"}
# (life, how many, working hours ago): see History._showcase. Short limits only (2-4 working
# hours), so every step of these lives fits in the time given.
SHOWCASE = [("ext_waiting", 2, 16), ("long_hold", 2, 16), ("idle", 1, 16), ("stalled", 2, 16),
            ("reassign", 2, 16), ("ext_refused", 2, 24), ("hold", 2, 80), ("late", 2, 60),
            ("rework", 2, 60), ("extension", 2, 60)]
SHOWCASE_CATEGORIES = ["GARBAGE_OVERFLOW", "STREET_VENDING", "SHARED_BIKES", "EXPOSED_GARBAGE",
                       "ROAD_DUST", "ILLEGAL_PARKING", "RIVER_DEBRIS"]
HOTSPOT_CATEGORIES = ["GARBAGE_OVERFLOW", "STREET_VENDING", "SHARED_BIKES", "ILLEGAL_PARKING",
                      "EXPOSED_GARBAGE", "OUTSIDE_SHOP", "RIVER_DEBRIS", "GRAFFITI"]
REASSIGN_TO = {"STREET_VENDING": "ZF", "OUTSIDE_SHOP": "ZF", "SHARED_BIKES": "ZF"}  # else 环卫


@dataclass
class Plan:
    at: datetime
    category: Category
    lng: float
    lat: float
    address: str
    source: str
    reporter: object | None
    dispatch: str  # auto, manual, void, waiting
    life: str


def _street(grid: Grid) -> Region:
    street = grid.community.parent
    assert street is not None  # every seeded community lies in a street
    return street


def _assignee(task: Task) -> Officer:
    assert task.assignee is not None  # asked once the task is dispatched
    return task.assignee


class History:
    def __init__(self, *, now: datetime, seed: int = data.SEED) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.refused: list[str] = []
        self.users = get_user_model().objects.in_bulk(field_name="username")
        self.categories = {c.code: c for c in Category.objects.select_related(
            "default_department")}
        self.spec = {cat.code: cat for cat in data.CATEGORIES}
        self.supervisors = [self.user(u) for u, _ in data.SUPERVISORS]
        self.leaders = {code: self.user(u) for code, _, u, _ in data.STREETS}
        self.handlers = {dept: Officer.objects.get(user__username=u)
                         for u, _, dept in data.HANDLERS}
        self.campaigns = list(Campaign.objects.prefetch_related("categories"))
        self.roads = [(name, LineString([geo.lattice_point(c, r) for c, r in pts]))
                      for _, name, pts in data.ROADS]
        self.river = LineString([geo.lattice_point(c, r) for c, r in RIVER])
        self.compounds = data.COMPOUNDS
        self.clocks: dict[str, object] = {}

    def user(self, username: str):
        return self.users[username]

    # -- planning ---------------------------------------------------------------------------------
    def _pick(self, weights: dict[str, int]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def _report_time(self, days_ago: float) -> datetime:
        day = (self.now - timedelta(days=days_ago)).astimezone(self.tz).date()
        # Most problems are found in the daytime, a few late in the evening.
        hour = self.rng.choices(range(7, 22),
                                weights=[3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 3, 2, 2, 1])[0]
        at = datetime(day.year, day.month, day.day, hour, self.rng.randrange(60),
                      self.rng.randrange(60), tzinfo=self.tz)
        return min(at, self.now - timedelta(minutes=self.rng.randint(20, 240)))

    def _point(self, code: str) -> tuple[float, float, str]:
        """A point for this kind of problem, and the kind of place it is (road, river, block)."""
        x0, y0, x1, y1 = geo.bounds()
        if code == "RIVER_DEBRIS":
            line, where = self.river, RIVER_NAME
        elif self.spec[code].on_road:
            where, line = self.rng.choice(self.roads)
        else:
            m = 0.0003
            return self.rng.uniform(x0 + m, x1 - m), self.rng.uniform(y0 + m, y1 - m), ""
        p = line.interpolate(self.rng.uniform(0.02, 0.98), normalized=True)
        off = 0.00012  # about 12 m: on the carriageway or the pavement beside it
        lng = min(max(p.x + self.rng.uniform(-off, off), x0 + 1e-5), x1 - 1e-5)
        lat = min(max(p.y + self.rng.uniform(-off, off), y0 + 1e-5), y1 - 1e-5)
        return lng, lat, where

    def _address(self, grid: Grid, where: str) -> str:
        if where == RIVER_NAME:
            return f"{RIVER_NAME}{grid.community.name}段"
        if where:
            return f"{where}{self.rng.randint(1, 400)}号附近"
        compound = self.rng.choice(self.compounds[grid.community.code])
        return f"{compound}{self.rng.randint(1, 30)}幢旁"

    def _reporter(self, source: str, grid: Grid, road: Road | None, at: datetime):
        if source == Source.PATROL:
            # On a road, the road chief is as likely to come across it as the grid officer.
            chief = officers_holding(role=Role.ROAD_CHIEF, at=at, road=road).first()
            if chief is not None and self.rng.random() < 0.4:
                return chief.user
            # The staffing gap's grid has no officer lately: its community head reports there.
            finder = officers_holding(role=Role.GRID_OFFICER, at=at, grid=grid).first() \
                or officers_holding(role=Role.COMMUNITY_HEAD, at=at, grid=grid).first()
            assert finder is not None  # the seeds give every community its head
            return finder.user
        if source == Source.INSPECTOR:
            names = ["inspector01", "inspector02"]
            if _street(grid).code == "SFQ-DH":
                names.append("inspector04")
            return self.user(self.rng.choice(names))
        if source == Source.THIRD_PARTY:
            return self.user(data.THIRD_PARTY_INSPECTOR)
        if source == Source.CITY_INSPECTION:
            return self.user(data.CITY_INSPECTION_DESK)
        return None  # citizens, the hotline and the media come in without an account

    def plan(self, *, code: str, at: datetime, lng: float | None = None,
             lat: float | None = None, where: str = "", address: str = "",
             life: str | None = None, dispatch: str | None = None) -> Plan:
        category = self.categories[code]
        if lng is None or lat is None:
            lng, lat, where = self._point(code)
        loc = locate(lng, lat)
        if category.auto_dispatch:
            dispatch = "auto"
        else:
            dispatch = dispatch or self._pick({"manual": 55, "void": 35, "waiting": 10})
            if dispatch == "waiting" and at < self.now - timedelta(days=3):
                dispatch = "manual"  # nobody leaves a report undispatched for weeks
        if life is None:
            life = self._pick({k: v for k, v in LIFE_WEIGHT.items()
                               if dispatch == "auto" or k not in ("spot", "reassign")})
            # Tasks nobody touches for weeks and requests nobody answers exist, but are rarer
            # the older they get: a supervisor chases them.
            age = self.now - at
            if life in STUCK and age > timedelta(days=21) and self.rng.random() < 0.7:
                life = self.rng.choice(["late", "on_time"])
            if life == "ext_waiting" and age > timedelta(days=5):
                life = "extension"
        if life == "spot" and not self.spec[code].fixable_on_spot:
            life = "on_time"
        source: str
        if life == "spot":
            source = Source.PATROL
        elif dispatch != "auto":
            source = self._pick({Source.CITIZEN: 4, Source.HOTLINE: 4, Source.MEDIA: 1,
                                 Source.PATROL: 2, Source.INSPECTOR: 1})
        else:
            source = self._pick(SOURCE_WEIGHT)
        reporter = self._reporter(source, loc.grid, loc.road, at)
        return Plan(at=at, category=category, lng=loc.lng, lat=loc.lat,
                    address=address or self._address(loc.grid, where), source=source,
                    reporter=reporter, dispatch=dispatch, life=life)

    def _working_hours_ago(self, hours: float) -> datetime:
        """A daytime report instant at least ``hours`` of working time before now, however many
        weekends and holidays lie in between."""
        clk = self._clock(Unit.WORK_HOURS)
        for half_days in range(2 * DAYS):
            at = self._report_time(half_days / 2)
            if clk.between(at, self.now) >= hours * 3600:
                return at
        raise ValueError("The work calendar has hardly any working time in the last months.")

    def _showcase(self, manual: list[str]) -> list[Plan]:
        """The rarer states, placed far enough back in working time that their steps have
        surely happened, so they are on screen whatever the day the seeds are loaded."""
        out = []
        for life, count, hours_ago in SHOWCASE:
            for _ in range(count):
                code = self.rng.choice(SHOWCASE_CATEGORIES)
                out.append(self.plan(code=code, life=life,
                                     at=self._working_hours_ago(hours_ago)))
        for _ in range(2):
            out.append(self.plan(code=self.rng.choice(manual), dispatch="void",
                                 at=self._working_hours_ago(16)))
        # Fixed on the spot minutes ago: verification needs at least half a working hour.
        out += [self.plan(code=self.rng.choice(SHOWCASE_CATEGORIES[:4]), life="spot",
                          at=self.now - timedelta(minutes=20))]
        return out

    def plans(self) -> list[Plan]:
        codes = [cat.code for cat in data.CATEGORIES]
        weights = [CATEGORY_WEIGHT.get(c, 3) for c in codes]
        out = [self.plan(code=self.rng.choices(codes, weights=weights)[0],
                         at=self._report_time(self.rng.uniform(0, days)))
               for days in [DAYS] * RANDOM_TASKS + [4] * RECENT_TASKS]
        manual = [c.code for c in self.categories.values() if not c.auto_dispatch]
        out += [self.plan(code=self.rng.choice(manual), dispatch="waiting",
                          at=self._report_time(self.rng.uniform(0, 2))) for _ in range(WAITING)]
        out += self._showcase(manual)
        for n in range(HOTSPOTS):
            # The same problem coming back to the same spot every few days (重复问题).
            code = HOTSPOT_CATEGORIES[n % len(HOTSPOT_CATEGORIES)]
            lng, lat, where = self._point(code)
            days_ago = self.rng.uniform(30, DAYS - 2)
            address = ""
            for _ in range(self.rng.randint(3, 5)):
                if days_ago < 0.2:
                    break
                # Within about 15 m of the first report: well inside the 50 m repeat radius.
                jl = lng + self.rng.uniform(-0.00012, 0.00012)
                jt = lat + self.rng.uniform(-0.0001, 0.0001)
                life = self.rng.choice(["on_time", "on_time", "late", "rework", "spot"])
                occurrence = self.plan(code=code, at=self._report_time(days_ago), lng=jl, lat=jt,
                                       where=where, address=address, life=life)
                address = occurrence.address
                out.append(occurrence)
                days_ago -= self.rng.uniform(3, 8)
        return out

    # -- the replay -------------------------------------------------------------------------------
    def replay(self, plans: list[Plan]) -> None:
        queue: list[tuple[datetime, int, Generator[datetime, None, None]]] = []
        for i, plan in enumerate(plans):
            life = self._life(plan)
            heapq.heappush(queue, (next(life), i, life))
        while queue:
            when, i, life = heapq.heappop(queue)
            if when > self.now:
                continue  # not happened yet
            try:
                with clock.frozen(when):
                    upcoming = life.send(None)
            except StopIteration:
                continue
            except DomainError as exc:
                self.refused.append(f"{plans[i].category.code} at {when:%Y-%m-%d %H:%M}: {exc}")
                continue
            # Two steps of one task never share an instant: the event log stays ordered.
            upcoming = max(upcoming, when + timedelta(minutes=self.rng.randint(3, 30)))
            heapq.heappush(queue, (upcoming, i, life))

    # -- one task's life --------------------------------------------------------------------------
    def _clock(self, unit: str):
        # The calendar does not change during the replay: load it once, not on every step.
        if unit not in self.clocks:
            self.clocks[unit] = clock_for(unit, self.now.date())
        return self.clocks[unit]

    def _when(self, task: Task, share: float) -> datetime:
        """``share`` of the way from now to the deadline in the category's own clock; past the
        deadline when above 1, counted in whole time limits."""
        assert task.deadline is not None  # asked of dispatched tasks only
        clk = self._clock(task.category.time_unit)
        now = clock.now()
        if share <= 1:
            return clk.add(now, max(clk.between(now, task.deadline), 0.0) * share)
        span = max(clk.between(task.dispatched_at, task.deadline), 3600.0)
        return clk.add(max(now, task.deadline), span * (share - 1))

    def _work_hours_later(self, hours: float) -> datetime:
        now = clock.now()
        return self._clock(Unit.WORK_HOURS).add(now, hours * 3600)

    def _verification_time(self) -> datetime:
        # Inspectors mostly check within the day; some fixes wait a day or two for them.
        slow = self.rng.random() < 0.2
        return self._work_hours_later(self.rng.uniform(9, 25) if slow else
                                      self.rng.uniform(0.5, 8))

    def _supervisor(self, task: Task):
        street = _street(task.grid)
        return self.rng.choice([*self.supervisors, self.leaders[street.code]])

    def _verifier(self, task: Task):
        street = _street(task.grid)
        names = ["inspector01", "inspector02", "inspector03"]
        if street.code == "SFQ-DH":
            names.append("inspector04")
        pool = [self.user(n) for n in names] + [self.leaders[street.code]]
        return self.rng.choice(pool)

    def _note(self, kind: str) -> str:
        return self.rng.choice(data.NOTES[kind])

    def _campaign(self, category: Category, at: datetime) -> Campaign | None:
        day = at.astimezone(self.tz).date()
        for c in self.campaigns:
            if c.starts_on <= day <= c.deadline and category in c.categories.all():
                return c
        return None

    def _report(self, plan: Plan) -> Task:
        code = plan.category.code
        spot = plan.life == "spot"
        with_photo = spot or (plan.source in (Source.PATROL, Source.INSPECTOR,
                                              Source.THIRD_PARTY) and self.rng.random() < 0.5)
        place = plan.address.removesuffix("附近").removesuffix("旁")
        return services.task_report(
            reporter=plan.reporter, category=plan.category, lng=plan.lng, lat=plan.lat,
            title=f"{place}{plan.category.name}", address=plan.address, source=plan.source,
            description=self.rng.choice(data.DESCRIPTIONS[code]),
            photos=[photo("before", self.rng.randrange(4))] if with_photo else None,
            fixed_on_spot=spot,
            after_photos=[photo("after", self.rng.randrange(4))] if spot else None,
            campaign=self._campaign(plan.category, plan.at),
        )

    def _manual_assignee(self, task: Task) -> tuple[Officer, Department | None]:
        dept = self.spec[task.category.code].department
        if dept:
            return self.handlers[dept], self.handlers[dept].department
        return self._grid_officer(task.grid), None

    def _grid_officer(self, grid: Grid) -> Officer:
        # The staffing gap's grid has nobody: a neighbouring grid's officer is sent instead.
        officer = officers_holding(role=Role.GRID_OFFICER, at=clock.now(), grid=grid).first() \
            or Officer.objects.filter(duties__role=Role.GRID_OFFICER, duties__valid_to=None,
                                      duties__grid__community=grid.community).first()
        assert officer is not None  # the seeds staff every other grid of its community
        return officer

    def _reassign_target(self, task: Task) -> tuple[Officer, Department | None]:
        if _assignee(task).department_id:  # a department hands it back to the grid
            return self._grid_officer(task.grid), None
        handler = self.handlers[REASSIGN_TO.get(task.category.code, "HW")]
        return handler, handler.department

    def _life(self, plan: Plan) -> Generator[datetime, None, None]:
        rng, life = self.rng, plan.life
        yield plan.at
        task = self._report(plan)

        if task.status == Status.REPORTED:
            if plan.dispatch == "waiting":
                return
            yield self._work_hours_later(rng.uniform(0.3, 6))
            if plan.dispatch == "void":
                services.task_void(task=task, actor=self._supervisor(task),
                                   reason=self._note("void"))
                return
            assignee, dept = self._manual_assignee(task)
            task = services.task_assign(task=task, actor=self._supervisor(task),
                                        assignee=assignee, department=dept)

        if task.status == Status.SUBMITTED:  # fixed on the spot: only verification is left
            yield self._verification_time()
            services.task_verify(task=task, actor=self._verifier(task), approved=True,
                                 note=self._note("verify"))
            return

        if life == "reassign":
            yield self._when(task, rng.uniform(0.05, 0.25))
            assignee, dept = self._reassign_target(task)
            task = services.task_assign(task=task, actor=self._supervisor(task),
                                        assignee=assignee, department=dept,
                                        note=self._note("reassign"))
        if life == "idle":
            return
        yield self._when(task, rng.uniform(0.03, 0.3))
        # 一套方案: the assignee writes the plan when starting; a before photo where required.
        needs_photo = task.category.before_photo_required and not task.photos.filter(
            kind="before").exists()
        task = services.task_start(
            task=task, actor=_assignee(task).user,
            plan=f"{_assignee(task).name}负责，现场处置{task.category.name}，"
                 f"{timezone.localtime(task.deadline):%m月%d日%H:%M}前完成并拍照反馈。"
            if task.deadline else "",
            photos=[photo("before", rng.randrange(4))] if needs_photo else None)
        if life == "stalled":
            return

        if life in ("hold", "long_hold"):
            yield self._when(task, rng.uniform(0.2, 0.6))
            task = services.task_hold(task=task, actor=self._supervisor(task),
                                      reason=self._note("hold"))
            if life == "long_hold":
                return
            yield self._work_hours_later(rng.uniform(8, 60))
            task = services.task_resume(task=task, actor=self._supervisor(task))

        if life in ("extension", "ext_refused", "ext_waiting"):
            yield self._when(task, rng.uniform(0.4, 0.9))
            until = self._when(task, rng.uniform(2.0, 3.5))
            task = services.task_request_extension(task=task, actor=_assignee(task).user,
                                                   until=until, reason=self._note("extension"))
            if life == "ext_waiting":
                return
            yield self._work_hours_later(rng.uniform(0.5, 8))
            approved = life == "extension"
            task = services.task_decide_extension(
                task=task, actor=self._supervisor(task), approved=approved,
                note="" if approved else self._note("refuse"))

        late = life == "late" or (life == "ext_refused" and rng.random() < 0.5)
        yield self._when(task, rng.uniform(1.1, 2.6) if late else rng.uniform(0.25, 0.95))
        task = services.task_submit(task=task, actor=_assignee(task).user,
                                    note=self._note("submit"),
                                    photos=[photo("after", rng.randrange(4))])
        if life == "rework":
            yield self._work_hours_later(rng.uniform(0.5, 6))
            task = services.task_verify(task=task, actor=self._verifier(task), approved=False,
                                        note=self._note("rework"))
            yield self._work_hours_later(rng.uniform(1, 12))
            task = services.task_submit(task=task, actor=_assignee(task).user,
                                        note=self._note("submit"),
                                        photos=[photo("after", rng.randrange(4))])
        yield self._verification_time()
        services.task_verify(task=task, actor=self._verifier(task), approved=True,
                             note=self._note("verify"))


def generate(*, now: datetime) -> tuple[list[str], dict[str, int]]:
    """Plan and replay the tasks, then sweep once as of now. Returns the steps the services
    refused (none, unless a rule changed under the seeds) and what the sweep crossed."""
    history = History(now=now)
    history.replay(history.plans())
    # One sweep, as if the system had just been switched on: lights and the ladder of the open
    # tasks are current. Sweeps are not replayed through the past, or the outbox would start
    # with hundreds of stale alerts about problems closed weeks ago.
    swept = escalation.sweep(now).as_dict()
    return history.refused, swept
