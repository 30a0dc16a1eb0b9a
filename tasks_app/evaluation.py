"""The monthly evaluation (综合考评) per street, community, grid, road and department.

One aggregate query per level and month computes every task indicator (plus one for rework
events and one for citizens' ratings), so the cost is a scan of the month's tasks through the
date indexes, not a query per unit: ``evaluate()`` makes a fixed number of queries whatever the
level or the size of the city (the units, the scheme, the published-month look-ups, and the
figures, rework and ratings of the month and of the month before, both months' rework events
by one statement, or the month before's snapshot rows when it is published).

The rules as implemented (DESIGN.md section 3, "Monthly evaluation"), for a month [start, end):

* Void tasks count nowhere.
* **Attribution to the unit at the time.** Places by the task's grid (street, community, grid),
  roads by the task's road. Departments by the department responsible at the month's end, or at
  closure for a task closed before it: the last dispatching event of the log (``assigned``,
  ``reassigned``, or ``reported`` when the report dispatched the task) at or before
  min(end, closed_at), read in SQL as a correlated subquery. Its department is the event's
  ``extra["department"]``; for older events without it, the department of the officer named as
  ``extra["assignee"]``; for older reports that dispatched without saying to whom, the task's
  department. A task nobody was responsible for at that instant (dispatched only later) counts
  for no department. A reassignment after the month therefore changes nothing in that month.
* registered = reported in the month. closed = closed in the month. due = a deadline in the
  month, unless the task was closed before the month began, plus every task closed in the
  month: a task closed on 30 September whose deadline the National Day break pushed to
  8 October is due (and closed) in September only.
* A deadline counts (for ``due`` and ``overdue``) only while it is real: a task on hold since
  before its deadline has its clock stopped, and the stored deadline will move when it is
  resumed, so it is neither due nor overdue by that stored value.
* on_time = closed in the month with the fix submitted by the deadline (``closed_late`` is
  judged by submission; the clock stops while a fix waits for verification).
* overdue = a real deadline in the month that has passed (by the month's end, or by now for the
  current month) without a fix submitted in time. A late fix waiting for verification is
  overdue; a fix submitted in time and verified later is not. Since the stored deadline is the
  last one, a task late at all is overdue in exactly one month: its deadline's.
* extended = due and granted at least one extension. patrol = registered from patrol (主动发现).
  third_party = registered from third_party, city_inspection or inspector finds.
  self_fixed (主动处置) = registered from patrol and fixed in time by the month's end (fix
  submitted before the end and by the deadline, and not since found late).
* **群众满意度** (public satisfaction): the ratings citizens gave in the month (``public.Rating``,
  by ``rated_at``) on the unit's tasks, attributed as the tasks are (departments at the month's
  end); rated = ratings given, satisfied = 满意 or 基本满意; the rate is satisfied/rated. In
  the score it counts against full satisfaction, weight x (rate - 1): a unit nobody rated loses
  nothing (citizens, not the unit, decide whether to rate), and dissatisfaction costs points.
  Void tasks' ratings count nowhere.
* Rates (six decimals, halves up; null without a denominator): 结案率 closed/due, 按期结案率
  on_time/due, 返工率 rework events/closed, 延期率 extended/due, 主动发现率 patrol/registered,
  主动处置率 self_fixed/registered, 第三方发现率 third_party/registered, 群众满意度
  satisfied/rated. Rework events are those
  of the month, attributed to their task's unit as above.
* **Deduction points** (扣分): a problem found by others (every source but patrol) costs its
  category's points, x 2 for a repeat, in the month it was registered; a self-found one costs
  nothing for that. Any task that is late (closed late, or still overdue at the month's end,
  whoever found it) costs half those points (x 2 for a repeat) once: in the month of its
  deadline, which is both the first month at whose end it is still overdue and, for a task
  closed late within that month, the month of its late closure. Summed over the months every
  task costs its points at most once and its late half at most once, and a month's points no
  longer change after it ends.
* Score = the active scheme's base + Σ weight x indicator (rates, overdue, repeats, points;
  satisfaction as above),
  rounded to cents halves up. Units with something registered or due are ranked by score (equal
  scores share a rank, then by name); a unit with nothing registered or due is 无数据
  (``has_data`` false: no rates, no score, no rank) and listed after the ranked ones by name.
  ``previous_rank`` is the unit's rank last month whenever it was ranked then;
  ``score_change`` needs both months ranked. Last month is read as it was published when it
  is (its current snapshot, same district scope: the ranks, scores and 末位 flags the review
  meeting read, whatever changed since), else computed live like this month.
* A future month is refused (``FutureMonth``, a ValueError); the current month is provisional
  (``evaluation_status``), its "month's end" being now.
* ``district`` scopes a level to one district: its places; the departments of the district (or
  of none) and the roads that hold a task in the district, counting the tasks in the district's
  grids; ranks are within that scope. Without a district every road is listed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Officer, Region, Road

from .models import EvaluationScheme, Source, Task, TaskEvent
from .workflow import Status

SIX = Decimal("0.000001")
LEVELS = ("street", "community", "grid", "road", "department")
LEVEL_LABELS = {"street": _("Streets"), "community": _("Communities"), "grid": _("Grids"),
                "road": _("Roads"), "department": _("Departments")}
# How a task reaches the unit of each place level (departments: ``_department_at``).
UNIT_KEY = {
    "street": "grid__community__parent_id",
    "community": "grid__community_id",
    "grid": "grid_id",
    "road": "road_id",
}
# Finds by others than the unit itself: charged their points when registered.
THIRD_PARTY_SOURCES = (Source.THIRD_PARTY, Source.CITY_INSPECTION, Source.INSPECTOR)
COUNTS = ("registered", "due", "closed", "on_time", "extended", "patrol", "self_fixed",
          "third_party", "overdue", "repeats", "high_deduction", "rework", "rated", "satisfied")
RATES = {  # rate: (numerator, denominator)
    "closed_rate": ("closed", "due"),
    "on_time_rate": ("on_time", "due"),
    "rework_rate": ("rework", "closed"),
    "extension_rate": ("extended", "due"),
    "patrol_rate": ("patrol", "registered"),
    "self_fixed_rate": ("self_fixed", "registered"),
    "third_party_rate": ("third_party", "registered"),
    "satisfaction_rate": ("satisfied", "rated"),
}
# Rates scored against a full 100 %: weight x (rate - 1), nothing when there is no rate.
SHORTFALL_RATES = frozenset({"satisfaction_rate"})
DISPATCHING = (TaskEvent.Kind.ASSIGNED, TaskEvent.Kind.REASSIGNED)


class FutureMonth(ValueError):
    """The month has not begun: there is nothing to evaluate yet."""


@dataclass
class Row:
    level: str
    unit_id: int
    name: str
    registered: int = 0
    due: int = 0
    closed: int = 0
    on_time: int = 0
    extended: int = 0
    patrol: int = 0
    self_fixed: int = 0
    third_party: int = 0
    overdue: int = 0
    repeats: int = 0
    high_deduction: int = 0
    rework: int = 0
    rated: int = 0  # citizens' satisfaction ratings given in the month
    satisfied: int = 0  # of them 满意 or 基本满意
    points: Decimal = Decimal("0")
    rates: dict[str, float | None] = field(default_factory=dict)
    score: Decimal | None = Decimal("0")
    rank: int | None = None
    previous_rank: int | None = None
    score_change: Decimal | None = None
    has_data: bool = True  # False: 无数据, nothing registered or due; no score, no rank
    last_two_months: bool = False  # 末位 x2: ranked last this month and the month before

    def as_dict(self) -> dict:
        """Plain JSON values. Rates have six decimals (see ``rate``), so a figure reads the
        same in the API, the CSV and the XLSX (which keeps 16 digits)."""
        out = asdict(self)
        rates = out.pop("rates")
        out.update(rates)
        out["points"] = float(self.points)
        out["score"] = None if self.score is None else float(self.score)
        out["score_change"] = None if self.score_change is None else float(self.score_change)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Row:
        """The row ``as_dict()`` gave (a published snapshot's): fields by name, Decimals back
        from their floats' shortest text, any other key a rate. Fields the dict lacks (added
        after it was frozen) keep their defaults."""
        names = {f.name: f for f in fields(cls)}
        values: dict = {"rates": {}}
        for key, value in data.items():
            f = names.get(key)
            if f is None:
                values["rates"][key] = value
            elif "Decimal" in str(f.type) and value is not None:
                values[key] = Decimal(str(value))
            elif key != "rates":
                values[key] = value
        return cls(**values)


def month_bounds(month: str | date) -> tuple[datetime, datetime]:
    """[start, end) of a month in the bureau's time zone; ``month`` is 'YYYY-MM' or a date."""
    if isinstance(month, str):
        try:
            year, mon = (int(p) for p in month.split("-"))
            first = date(year, mon, 1)
        except ValueError as exc:
            raise ValueError(f"Not a month (YYYY-MM): {month!r}") from exc
    else:
        first = month.replace(day=1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    tz = ZoneInfo(settings.TIME_ZONE)
    return (datetime(first.year, first.month, 1, tzinfo=tz),
            datetime(nxt.year, nxt.month, 1, tzinfo=tz))


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    prev = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    return f"{prev:%Y-%m}"


def evaluation_status(month: str) -> str:
    """'final' for a month that has ended, 'provisional' for the current month (its figures
    move until the month ends), 'future' for a month that has not begun."""
    start, end = month_bounds(month)
    now = clock.now()
    if start > now:
        return "future"
    return "provisional" if end > now else "final"


def check_month(month: str) -> str:
    """``evaluation_status(month)``, refusing a future month with ``FutureMonth``."""
    status = evaluation_status(month)
    if status == "future":
        today = timezone.localtime(clock.now()).date()
        raise FutureMonth(str(_("%(month)s has not begun (today is %(today)s): there is nothing "
                                "to evaluate yet.") % {"month": month, "today": today}))
    return status


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _points_expression(prefix: str = ""):
    """Category points, x 2 for a repeat."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)
    repeat = Case(When(**{f"{prefix}repeat_of__isnull": False}, then=Value(Decimal(2))),
                  default=Value(Decimal(1)), output_field=money)
    return ExpressionWrapper(F(f"{prefix}category__points") * repeat, output_field=money)


def _scoped(qs, district: int | None, prefix: str = ""):
    if district is None:
        return qs
    # The district's grids as a list of ids (one small query), not a join through grid,
    # community and street: PostgreSQL cannot estimate that three-table path (it guessed a tenth
    # of the grids of a one-district city) and then walked every task of every grid by the
    # grid index, two years of them, instead of the month's by date: 2.4 s a query at a
    # million tasks instead of 0.1 s.
    grids = list(Grid.objects.filter(community__parent__parent_id=district)
                 .values_list("pk", flat=True))
    return qs.filter(**{f"{prefix}grid_id__in": grids})


def _department_at(end: datetime, prefix: str = ""):
    """The department responsible for a task at min(``end``, its closure), from the event log:
    an expression over the task (``prefix`` "" on Task, "task__" on TaskEvent)."""
    task_id = OuterRef(f"{prefix}pk" if prefix == "" else "task_id")
    dispatching = (Q(kind__in=DISPATCHING)
                   | Q(kind=TaskEvent.Kind.REPORTED, extra__auto_dispatched=True)
                   | Q(kind=TaskEvent.Kind.REPORTED, extra__fixed_on_spot=True))
    officer = (Officer.objects.filter(pk=OuterRef("assignee_ref")).order_by()
               .values("department_id")[:1])
    events = (
        TaskEvent.objects.filter(dispatching, task_id=task_id, created_at__lt=end,
                                 created_at__lte=Coalesce(OuterRef(f"{prefix}closed_at"),
                                                          Value(end)))
        .annotate(assignee_ref=Cast(KT("extra__assignee"), IntegerField()))
        .order_by("-created_at", "-pk")
        .values(unit=Coalesce(Cast(KT("extra__department"), IntegerField()),
                              Subquery(officer), OuterRef(f"{prefix}department_id"),
                              output_field=IntegerField()))[:1]
    )
    return Subquery(events, output_field=IntegerField())


def _unit(level: str, end: datetime, prefix: str = ""):
    if level == "department":
        return _department_at(end, prefix)
    return F(f"{prefix}{UNIT_KEY[level]}")


def _has_unit(level: str, prefix: str = "") -> Q:
    """The rows that can have a unit of ``level``: a task off every road counts for no road
    (its row would be dropped), so the road level reads only the tasks on a road."""
    return Q(**{f"{prefix}road_id__isnull": False}) if level == "road" else Q()


class _Conditions:
    """The month's conditions on a task (``prefix`` reaches the task from another model)."""

    def __init__(self, start: datetime, end: datetime, prefix: str = ""):
        p = prefix

        def q(**kw) -> Q:
            return Q(**{f"{p}{k}": v for k, v in kw.items()})

        self.registered = _in(f"{p}reported_at", start, end)
        self.closed = _in(f"{p}closed_at", start, end)
        # A task held since before its deadline has its clock stopped: the stored deadline is
        # not real until the hold ends and moves it.
        self.deadline = _in(f"{p}deadline", start, end) & ~q(
            status=Status.ON_HOLD, hold_started_at__lt=F(f"{p}deadline"))
        self.due = (self.deadline & ~q(closed_at__lt=start)) | self.closed
        # A fix made by the deadline: verified and not late, or submitted in time and waiting.
        self.fixed_in_time = q(status=Status.CLOSED, closed_late=False) | q(
            status=Status.SUBMITTED, submitted_at__lte=F(f"{p}deadline"))
        self.overdue = (self.deadline & q(deadline__lt=min(end, clock.now()))
                        & ~self.fixed_in_time)
        self.charged = self.registered & ~q(source=Source.PATROL)
        self.self_fixed = (self.registered & q(source=Source.PATROL, submitted_at__lt=end)
                           & self.fixed_in_time)


def _task_figures(level: str, start: datetime, end: datetime,
                  district: int | None = None) -> dict[int, dict]:
    c = _Conditions(start, end)
    points = _points_expression()
    rows = (
        _scoped(Task.objects.exclude(status=Status.VOID), district)
        .filter(c.registered | c.due, _has_unit(level))
        .annotate(unit=_unit(level, end))
        .values("unit")
        .annotate(
            registered=Count("pk", filter=c.registered),
            due=Count("pk", filter=c.due),
            closed=Count("pk", filter=c.closed),
            on_time=Count("pk", filter=c.closed & Q(closed_late=False)),
            extended=Count("pk", filter=c.due & Q(extension_count__gt=0)),
            patrol=Count("pk", filter=c.registered & Q(source=Source.PATROL)),
            self_fixed=Count("pk", filter=c.self_fixed),
            third_party=Count("pk", filter=c.registered & Q(source__in=THIRD_PARTY_SOURCES)),
            overdue=Count("pk", filter=c.overdue),
            repeats=Count("pk", filter=c.registered & Q(repeat_of__isnull=False)),
            high_deduction=Count("pk", filter=c.registered & Q(category__high_deduction=True)),
            points_registered=Sum(points, filter=c.charged),
            points_late=Sum(points, filter=c.overdue),
        )
        .order_by()
    )
    out = {}
    for r in rows:
        unit = r.pop("unit")
        if unit is None:
            continue
        late = Decimal(r.pop("points_late") or 0) / 2
        r["points"] = Decimal(r.pop("points_registered") or 0) + late
        out[unit] = r
    return out


def _rework(level: str, start: datetime, end: datetime,
            district: int | None = None) -> dict[int, int]:
    rows = (_scoped(TaskEvent.objects.filter(_has_unit(level, "task__"),
                                             kind=TaskEvent.Kind.REWORK, created_at__gte=start,
                                             created_at__lt=end), district, "task__")
            .annotate(unit=_unit(level, end, "task__")).values("unit")
            .annotate(n=Count("pk")).order_by())
    return {r["unit"]: r["n"] for r in rows if r["unit"] is not None}


def _rework_months(level: str, months: list[tuple[datetime, datetime]],
                   district: int | None = None) -> list[dict[int, int]]:
    """``_rework`` of consecutive months (``months`` in order, each [start, end)) in one
    statement, a dict a month: each event counts in the month it falls in, for its task's unit
    at that month's end. The months' events are disjoint, so this reads what one statement a
    month would read, and saves the other statements' plans and parallel workers."""
    first, last = months[0][0], months[-1][1]
    month_of = Case(*(When(created_at__lt=end, then=Value(i))
                      for i, (_, end) in enumerate(months)), output_field=IntegerField())
    # A place's or road's unit is a column whatever the month; a department is read at the end
    # of the event's month.
    unit = (Case(*(When(created_at__lt=end, then=_unit(level, end, "task__"))
                   for _, end in months), output_field=IntegerField())
            if level == "department" else _unit(level, last, "task__"))
    rows = (_scoped(TaskEvent.objects.filter(_has_unit(level, "task__"),
                                             kind=TaskEvent.Kind.REWORK, created_at__gte=first,
                                             created_at__lt=last), district, "task__")
            .annotate(unit=unit, month=month_of).values("unit", "month")
            .annotate(n=Count("pk")).order_by())
    out: list[dict[int, int]] = [{} for _ in months]
    for r in rows:
        if r["unit"] is not None:
            out[r["month"]][r["unit"]] = r["n"]
    return out


def _ratings(level: str, start: datetime, end: datetime,
             district: int | None = None) -> dict[int, dict[str, int]]:
    """The citizens' ratings given in the month per unit: rated, and satisfied (满意 or
    基本满意). One query over the month's ratings (``rated_at`` is indexed)."""
    from .public.models import Rating

    rows = (_scoped(Rating.objects.filter(_has_unit(level, "task__"), rated_at__gte=start,
                                          rated_at__lt=end)
                    .exclude(task__status=Status.VOID), district, "task__")
            .annotate(unit=_unit(level, end, "task__")).values("unit")
            .annotate(rated=Count("pk"),
                      satisfied=Count("pk", filter=Q(level__gte=Rating.Level.FAIRLY)))
            .order_by())
    return {r.pop("unit"): r for r in rows if r["unit"] is not None}


def _units(level: str, district: int | None = None) -> dict[int, str]:
    qs: QuerySet  # of the level's model
    if level == "department":
        qs = Department.objects.all()
        if district is not None:
            qs = qs.filter(Q(district_id=district) | Q(district__isnull=True))
        return dict(qs.values_list("pk", "name"))
    if level == "road":
        # Roads have no district: within one, those that hold a task in its grids (one EXISTS
        # per road through the road's index, stopping at the first task).
        qs = Road.objects.all()
        if district is not None:
            qs = qs.filter(Exists(Task.objects.filter(
                road=OuterRef("pk"), grid__community__parent__parent_id=district)))
        return dict(qs.values_list("pk", "name"))
    if level == "grid":
        qs = Grid.objects.all()
        if district is not None:
            qs = qs.filter(community__parent__parent_id=district)
        return dict(qs.values_list("pk", "name"))
    qs = Region.objects.filter(level=level)
    if district is not None:
        qs = qs.filter(**({"parent_id": district} if level == "street"
                          else {"parent__parent_id": district}))
    return dict(qs.values_list("pk", "name"))


def active_scheme() -> EvaluationScheme:
    scheme = EvaluationScheme.objects.filter(is_active=True).first()
    return scheme or EvaluationScheme(name="default")  # the model's defaults, unsaved


def weights(scheme: EvaluationScheme) -> dict[str, Decimal]:
    """The scheme's base and weights as exact decimals (an unsaved default holds floats)."""
    names = ["base", *(f"w_{key}" for key in RATES), "w_overdue", "w_repeats", "w_points"]
    return {name: Decimal(str(getattr(scheme, name))) for name in names}


def score(row: Row, scheme: EvaluationScheme | dict[str, Decimal]) -> Decimal:
    w = scheme if isinstance(scheme, dict) else weights(scheme)
    total = w["base"]
    for key, (num, den) in RATES.items():
        value = _exact_rate(getattr(row, num), getattr(row, den)) if getattr(row, den) else None
        if value is not None:
            total += w[f"w_{key}"] * (value - 1 if key in SHORTFALL_RATES else value)
    total += w["w_overdue"] * row.overdue + w["w_repeats"] * row.repeats
    total += w["w_points"] * row.points
    # 四舍五入: halves round away from zero (as PostgreSQL's round() does), not to even.
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=65536)
def _exact_rate(num: int, den: int) -> Decimal:
    return (Decimal(num) / Decimal(den)).quantize(SIX, rounding=ROUND_HALF_UP)


def rate(num: int, den: int) -> float | None:
    """num / den to six decimals, halves away from zero, computed exactly (no binary float
    on the way); None when there is nothing to divide by."""
    return float(_exact_rate(num, den)) if den else None


def _compute(level: str, month: str, w: dict[str, Decimal], units: dict[int, str],
             district: int | None = None, rework: dict[int, int] | None = None) -> list[Row]:
    """The month's rows, ranked; ``rework`` is the month's rework counts when the caller read
    them already (``_rework_months``)."""
    start, end = month_bounds(month)
    figures = _task_figures(level, start, end, district)
    if rework is None:
        rework = _rework(level, start, end, district)
    ratings = _ratings(level, start, end, district)
    ranked, idle = [], []
    for unit_id, name in units.items():
        row = Row(level=level, unit_id=unit_id, name=name)
        for k, v in figures.get(unit_id, {}).items():
            setattr(row, k, v)
        row.rework = rework.get(unit_id, 0)
        for k, v in ratings.get(unit_id, {}).items():
            setattr(row, k, v)
        row.rates = {key: rate(getattr(row, num), getattr(row, den))
                     for key, (num, den) in RATES.items()}
        if row.registered or row.due:
            row.score = score(row, w)
            ranked.append(row)
        else:  # 无数据: nothing to judge the unit by, so no score and no rank
            row.has_data, row.score = False, None
            idle.append(row)
    ranked.sort(key=lambda r: (-(r.score or Decimal(0)), r.name))  # all scored just above
    for i, row in enumerate(ranked):
        # Equal scores share a rank (1, 2, 2, 4).
        row.rank = ranked[i - 1].rank if i and row.score == ranked[i - 1].score else i + 1
    idle.sort(key=lambda r: r.name)
    return ranked + idle


def evaluate(month: str, level: str = "street", *, district: int | None = None) -> list[Row]:
    """Every unit of ``level`` for ``month`` ('YYYY-MM'): the ranked ones best first, then the
    units without data; with last month's rank and change. ``district`` (a Region id) ranks
    only that district's units. A future month raises ``FutureMonth``; whether the month is
    final or provisional is ``evaluation_status(month)``."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    check_month(month)
    # A published month reads its snapshot; so does the month before, for the change.
    from .evaluation_services import current_publications, published_rows

    last = previous_month(month)
    published = current_publications(month, last)
    frozen = published_rows(month, level, district=district, publications=published)
    if frozen is not None:
        return frozen
    w = weights(active_scheme())
    units = _units(level, district)
    # Last month as the review meeting read it: its current snapshot when it is published
    # (whatever changed since, or a republication), else computed live as this month is.
    earlier = published_rows(last, level, district=district, publications=published)
    if earlier is None:
        # Both months live: their rework events in one statement.
        rework_last, rework = _rework_months(level, [month_bounds(last), month_bounds(month)],
                                             district)
        rows = _compute(level, month, w, units, district, rework)
        earlier = _compute(level, last, w, units, district, rework_last)
    else:
        rows = _compute(level, month, w, units, district)
    before = {r.unit_id: r for r in earlier}
    last_twice = last_ranked(rows) & last_ranked(earlier)
    for row in rows:
        row.last_two_months = row.unit_id in last_twice
        prev = before.get(row.unit_id)
        if prev is None or prev.rank is None:
            continue
        row.previous_rank = prev.rank
        if row.score is not None and prev.score is not None:  # a ranked row has its score
            row.score_change = row.score - prev.score
    return rows


def points_by_category(month: str, level: str = "street", *, district: int | None = None
                       ) -> dict[int, list[dict]]:
    """Each unit's deduction points in ``month`` per category, charged as ``evaluate()``
    charges them, most points first: {unit id: [{category, points, tasks}, ...]}. One query."""
    start, end = month_bounds(month)
    c = _Conditions(start, end)
    points = _points_expression()
    rows = (
        _scoped(Task.objects.exclude(status=Status.VOID), district)
        .filter(c.charged | c.overdue)
        .annotate(unit=_unit(level, end))
        .values("unit", "category_id", "category__name")
        .annotate(points_registered=Sum(points, filter=c.charged),
                  points_late=Sum(points, filter=c.overdue), tasks=Count("pk"))
        .order_by()
    )
    out: dict[int, list[dict]] = {}
    for r in rows:
        if r["unit"] is None:
            continue
        charged = Decimal(r["points_registered"] or 0) + Decimal(r["points_late"] or 0) / 2
        out.setdefault(r["unit"], []).append(
            {"category": r["category__name"], "points": charged, "tasks": r["tasks"]})
    for items in out.values():
        items.sort(key=lambda i: (-i["points"], i["category"]))
    return out


# -- longer views: quarters and years, 末位 two months running, single-item rankings ------------

PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def period_months(period: str) -> list[str]:
    """The months of ``period``: 'YYYY-MM' (one), 'YYYY-Qn' (three) or 'YYYY' (twelve)."""
    match = PERIOD.match(period or "")
    if match is None or int(match[1]) < 1:
        raise ValueError(f"Not a period (YYYY-MM, YYYY-Qn or YYYY): {period!r}")
    year = int(match[1])
    if match[3]:
        return [f"{year}-{match[3]}"]
    first, count = ((int(match[2]) - 1) * 3 + 1, 3) if match[2] else (1, 12)
    return [f"{year}-{m:02d}" for m in range(first, first + count)]


def period_status(period: str) -> str:
    """'future' before the period's first month begins, 'provisional' while any of its months
    is (or has not begun), 'final' once all have ended."""
    statuses = [evaluation_status(m) for m in period_months(period)]
    if statuses[0] == "future":
        return "future"
    return "final" if all(s == "final" for s in statuses) else "provisional"


def check_period(period: str) -> str:
    """``period_status(period)``, refusing a future period with ``FutureMonth``."""
    status = period_status(period)
    if status == "future":
        today = timezone.localtime(clock.now()).date()
        raise FutureMonth(str(_("%(month)s has not begun (today is %(today)s): there is nothing "
                                "to evaluate yet.") % {"month": period, "today": today}))
    return status


def _rank(rows: list[Row]) -> list[Row]:
    """Ranked rows best first (equal scores share a rank), then the 无数据 ones by name."""
    ranked = sorted((r for r in rows if r.has_data), key=lambda r: (-(r.score or 0), r.name))
    for i, row in enumerate(ranked):
        row.rank = ranked[i - 1].rank if i and row.score == ranked[i - 1].score else i + 1
    return ranked + sorted((r for r in rows if not r.has_data), key=lambda r: r.name)


def evaluate_period(period: str, level: str = "street", *, district: int | None = None
                    ) -> list[Row]:
    """A quarter's or a year's roll-up: each unit's counts and points summed over the months of
    ``period`` that have begun (each month by ``evaluate()``, so a published month counts as
    published), rates and score recomputed with the active scheme, ranked, 无数据 after. A
    future period raises ``FutureMonth``; ``period_status()`` says whether it is provisional."""
    check_period(period)
    totals: dict[int, Row] = {}
    for month in period_months(period):
        if evaluation_status(month) == "future":
            break
        for row in evaluate(month, level, district=district):
            total = totals.setdefault(row.unit_id, Row(level=level, unit_id=row.unit_id,
                                                       name=row.name))
            total.name = row.name  # the latest month's name
            for key in COUNTS:
                setattr(total, key, getattr(total, key) + getattr(row, key))
            total.points += row.points
    w = weights(active_scheme())
    for row in totals.values():
        row.rates = {key: rate(getattr(row, num), getattr(row, den))
                     for key, (num, den) in RATES.items()}
        row.has_data = bool(row.registered or row.due)
        row.score = score(row, w) if row.has_data else None
    return _rank(list(totals.values()))


def last_ranked(rows: list[Row]) -> set[int]:
    """The units ranked last (末位) among the ranked ones; none when fewer than two are, or
    when every ranked unit shares one rank (all tied: nobody is behind anybody)."""
    ranks = [r.rank for r in rows if r.rank is not None]
    if len(ranks) < 2:
        return set()
    worst = max(ranks)
    if worst == min(ranks):
        return set()
    return {r.unit_id for r in rows if r.rank == worst}


def last_two_months(month: str, level: str = "street", *, district: int | None = None,
                    rows: list[Row] | None = None) -> set[int]:
    """The units ranked last in ``month`` and in the month before (末位 x2), as ``evaluate()``
    flags them (``Row.last_two_months``, frozen with a published month). ``rows`` are the
    month's rows when the caller has them already."""
    if rows is None:
        rows = evaluate(month, level, district=district)
    return {r.unit_id for r in rows if r.last_two_months}


SINGLE_ITEMS = {  # field: how it is read (worst first)
    "repeats": "count", "overdue": "count", "third_party_rate": "rate"}


def single_item_rankings(rows: list[Row], limit: int = 10) -> dict[str, list[tuple[int, Row]]]:
    """The units with data ranked by repeats, overdue and 第三方发现率, worst first (equal
    values share a rank; a unit without a rate is left out), from rows already computed."""
    out: dict[str, list[tuple[int, Row]]] = {}
    for key in SINGLE_ITEMS:
        def value(row: Row, key: str = key) -> float | None:
            return row.rates.get(key) if key in RATES else getattr(row, key)

        ranked = sorted((r for r in rows if r.has_data and value(r) is not None),
                        key=lambda r: (-(value(r) or 0), r.name))
        items: list[tuple[int, Row]] = []
        for i, row in enumerate(ranked[:limit]):
            same = i and value(row) == value(ranked[i - 1])
            items.append((items[-1][0] if same else i + 1, row))
        out[key] = items
    return out
