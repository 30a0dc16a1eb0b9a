"""The monthly evaluation (综合考评) per street, community, grid and department.

One aggregate query per level computes every task indicator (plus one for rework events), so the
cost is a scan of the month's tasks through the date indexes, not a query per unit. Places are
attributed by the task's grid; departments by the department the task was assigned to (set at
dispatch and reassignment, so a person who changes department mid-month leaves their earlier
tasks with the department that held them).

Readings of DESIGN.md section 3 where it leaves room (what the hand-worked test pins down):

* A task's deadline counts (for ``due`` and ``overdue``) only while it is real: a task on hold
  since before its deadline has its clock stopped, and the stored deadline will move when it is
  resumed, so it is neither due nor overdue by that stored value.
* ``overdue``: the deadline passed within the month (and before now) without a fix made in time.
  Like ``closed_late``, this is judged by submission: a fix submitted by the deadline and waiting
  for verification, or verified after the month, is not overdue.
* Deduction points are the per-task formula (category points, x 2 for a repeat, + half again if
  closed late), each part charged in the month it happens: the points (x 2 for a repeat) in the
  month the task was registered, the late half in the month it was closed late. Summed over the
  months every task costs exactly the formula, and a month's points no longer change after it
  ends, so the report mailed on the 1st and a later export agree.
* ``district`` scopes a level to one district: its places, and the departments of the district
  (or of none), counting the tasks in the district's grids; ranks are within that scope.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Region

from .models import EvaluationScheme, Source, Task, TaskEvent
from .workflow import Status

SIX = Decimal("0.000001")
LEVELS = ("street", "community", "grid", "department")
LEVEL_LABELS = {"street": _("Streets"), "community": _("Communities"), "grid": _("Grids"),
                "department": _("Departments")}
# How a task (or an event's task) reaches the unit of each level.
UNIT_KEY = {
    "street": "grid__community__parent_id",
    "community": "grid__community_id",
    "grid": "grid_id",
    "department": "department_id",
}
COUNTS = ("registered", "due", "closed", "on_time", "extended", "patrol", "third_party",
          "overdue", "repeats", "high_deduction", "rework")
RATES = {  # rate: (numerator, denominator)
    "closed_rate": ("closed", "due"),
    "on_time_rate": ("on_time", "due"),
    "rework_rate": ("rework", "closed"),
    "extension_rate": ("extended", "due"),
    "patrol_rate": ("patrol", "registered"),
    "third_party_rate": ("third_party", "registered"),
}


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
    third_party: int = 0
    overdue: int = 0
    repeats: int = 0
    high_deduction: int = 0
    rework: int = 0
    points: Decimal = Decimal("0")
    rates: dict[str, float | None] = field(default_factory=dict)
    score: Decimal = Decimal("0")
    rank: int = 0
    previous_rank: int | None = None
    score_change: Decimal | None = None

    def as_dict(self) -> dict:
        """Plain JSON values. Rates have six decimals (see ``rate``), so a figure reads the
        same in the API, the CSV and the XLSX (which keeps 16 digits)."""
        out = asdict(self)
        rates = out.pop("rates")
        out.update(rates)
        out["points"] = float(self.points)
        out["score"] = float(self.score)
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


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _points_expression():
    """Category points, x 2 for a repeat (the late half is added where the task closed late)."""
    money = DecimalField(max_digits=12, decimal_places=2)
    repeat = Case(When(repeat_of__isnull=False, then=Value(Decimal(2))), default=Value(Decimal(1)),
                  output_field=money)
    return ExpressionWrapper(F("category__points") * repeat, output_field=money)


def _scoped(qs, district: int | None, prefix: str = ""):
    if district is None:
        return qs
    return qs.filter(**{f"{prefix}grid__community__parent__parent_id": district})


def _task_figures(level: str, start: datetime, end: datetime,
                  district: int | None = None) -> dict[int, dict]:
    key = UNIT_KEY[level]
    registered = _in("reported_at", start, end)
    # A task held since before its deadline has its clock stopped: the stored deadline is not
    # real until the hold ends and moves it.
    deadline = _in("deadline", start, end) & ~Q(status=Status.ON_HOLD,
                                                hold_started_at__lt=F("deadline"))
    due = deadline | _in("closed_at", start, end)
    closed = _in("closed_at", start, end)
    # A fix made by the deadline: verified and not late, or submitted in time and waiting.
    fixed_in_time = Q(status=Status.CLOSED, closed_late=False) | Q(
        status=Status.SUBMITTED, submitted_at__lte=F("deadline"))
    passed = _in("deadline", start, min(end, clock.now()))
    rows = (
        _scoped(Task.objects.exclude(status=Status.VOID), district)
        .filter(registered | due)
        .values(key)
        .annotate(
            registered=Count("pk", filter=registered),
            due=Count("pk", filter=due),
            closed=Count("pk", filter=closed),
            on_time=Count("pk", filter=closed & Q(closed_late=False)),
            extended=Count("pk", filter=due & Q(extension_count__gt=0)),
            patrol=Count("pk", filter=registered & Q(source=Source.PATROL)),
            third_party=Count("pk", filter=registered & Q(
                source__in=[Source.THIRD_PARTY, Source.CITY_INSPECTION])),
            overdue=Count("pk", filter=passed & deadline & ~fixed_in_time),
            repeats=Count("pk", filter=registered & Q(repeat_of__isnull=False)),
            high_deduction=Count("pk", filter=registered & Q(category__high_deduction=True)),
            points_registered=Sum(_points_expression(), filter=registered),
            points_late=Sum(_points_expression(), filter=closed & Q(closed_late=True)),
        )
        .order_by()
    )
    out = {}
    for r in rows:
        unit = r.pop(key)
        if unit is None:
            continue
        late = Decimal(r.pop("points_late") or 0) / 2
        r["points"] = Decimal(r.pop("points_registered") or 0) + late
        out[unit] = r
    return out


def _rework(level: str, start: datetime, end: datetime,
            district: int | None = None) -> dict[int, int]:
    key = f"task__{UNIT_KEY[level]}"
    rows = (_scoped(TaskEvent.objects.filter(kind=TaskEvent.Kind.REWORK, created_at__gte=start,
                                             created_at__lt=end), district, "task__")
            .values(key).annotate(n=Count("pk")).order_by())
    return {r[key]: r["n"] for r in rows if r[key] is not None}


def _units(level: str, district: int | None = None) -> dict[int, str]:
    if level == "department":
        qs = Department.objects.all()
        if district is not None:
            qs = qs.filter(Q(district_id=district) | Q(district__isnull=True))
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
            total += w[f"w_{key}"] * value
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
             district: int | None = None) -> list[Row]:
    start, end = month_bounds(month)
    figures = _task_figures(level, start, end, district)
    rework = _rework(level, start, end, district)
    idle = score(Row(level=level, unit_id=0, name=""), w)  # a unit with nothing this month
    rows = []
    for unit_id, name in units.items():
        row = Row(level=level, unit_id=unit_id, name=name)
        found, row.rework = figures.get(unit_id), rework.get(unit_id, 0)
        if found is None and not row.rework:
            row.rates, row.score = dict.fromkeys(RATES), idle
            rows.append(row)
            continue
        for k, v in (found or {}).items():
            setattr(row, k, v)
        row.rates = {key: rate(getattr(row, num), getattr(row, den))
                     for key, (num, den) in RATES.items()}
        row.score = score(row, w)
        rows.append(row)
    rows.sort(key=lambda r: (-r.score, r.name))
    for i, row in enumerate(rows):
        # Equal scores share a rank (1, 2, 2, 4).
        row.rank = rows[i - 1].rank if i and row.score == rows[i - 1].score else i + 1
    return rows


def evaluate(month: str, level: str = "street", *, district: int | None = None) -> list[Row]:
    """Every unit of ``level`` for ``month`` ('YYYY-MM'), best first, with last month's change;
    ``district`` (a Region id) ranks only that district's units."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    from .evaluation_services import published_rows  # a published month reads its snapshot

    frozen = published_rows(month, level, district=district)
    if frozen is not None:
        return frozen
    w = weights(active_scheme())
    units = _units(level, district)
    rows = _compute(level, month, w, units, district)
    before = {r.unit_id: r for r in _compute(level, previous_month(month), w, units, district)}
    for row in rows:
        prev = before.get(row.unit_id)
        if prev is not None and prev.registered + prev.due:
            row.previous_rank = prev.rank
            row.score_change = row.score - prev.score
    return rows


def points_by_category(month: str, level: str = "street", *, district: int | None = None
                       ) -> dict[int, list[dict]]:
    """Each unit's deduction points in ``month`` per category, charged as ``evaluate()``
    charges them, most points first: {unit id: [{category, points, tasks}, ...]}. One query."""
    key = UNIT_KEY[level]
    start, end = month_bounds(month)
    registered = _in("reported_at", start, end)
    late = _in("closed_at", start, end) & Q(closed_late=True)
    rows = (
        _scoped(Task.objects.exclude(status=Status.VOID), district)
        .filter(registered | late)
        .values(key, "category_id", "category__name")
        .annotate(points_registered=Sum(_points_expression(), filter=registered),
                  points_late=Sum(_points_expression(), filter=late), tasks=Count("pk"))
        .order_by()
    )
    out: dict[int, list[dict]] = {}
    for r in rows:
        if r[key] is None:
            continue
        points = Decimal(r["points_registered"] or 0) + Decimal(r["points_late"] or 0) / 2
        out.setdefault(r[key], []).append(
            {"category": r["category__name"], "points": points, "tasks": r["tasks"]})
    for items in out.values():
        items.sort(key=lambda i: (-i["points"], i["category"]))
    return out
