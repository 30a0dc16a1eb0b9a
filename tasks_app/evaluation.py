"""The monthly evaluation (综合考评) per street, community, grid and department.

One aggregate query per level computes every task indicator (plus one for rework events), so the
cost is a scan of the month's tasks through the date indexes, not a query per unit. Places are
attributed by the task's grid; departments by the department the task was assigned to (set at
dispatch and reassignment, so a person who changes department mid-month leaves their earlier
tasks with the department that held them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock
from gridmgmt.models import Department, Grid, Region

from .models import EvaluationScheme, Source, Task, TaskEvent
from .workflow import Status

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
        out = asdict(self)
        rates = out.pop("rates")
        out.update(rates)
        out["points"] = float(self.points)
        out["score"] = float(self.score)
        out["score_change"] = None if self.score_change is None else float(self.score_change)
        return out


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
    money = DecimalField(max_digits=12, decimal_places=2)
    repeat = Case(When(repeat_of__isnull=False, then=Value(Decimal(2))), default=Value(Decimal(1)),
                  output_field=money)
    late = Case(When(closed_late=True, then=Value(Decimal("1.5"))), default=Value(Decimal(1)),
                output_field=money)
    return F("category__points") * repeat * late


def _task_figures(level: str, start: datetime, end: datetime) -> dict[int, dict]:
    key = UNIT_KEY[level]
    registered = _in("reported_at", start, end)
    due = _in("deadline", start, end) | _in("closed_at", start, end)
    closed = _in("closed_at", start, end)
    rows = (
        Task.objects.exclude(status=Status.VOID)
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
            overdue=Count("pk", filter=_in("deadline", start, min(end, clock.now())) & (
                Q(closed_late=True) | Q(closed_at__isnull=True) | Q(closed_at__gte=end))),
            repeats=Count("pk", filter=registered & Q(repeat_of__isnull=False)),
            high_deduction=Count("pk", filter=registered & Q(category__high_deduction=True)),
            points=Sum(_points_expression(), filter=registered),
        )
        .order_by()
    )
    return {r.pop(key): r for r in rows if r[key] is not None}


def _rework(level: str, start: datetime, end: datetime) -> dict[int, int]:
    key = f"task__{UNIT_KEY[level]}"
    rows = (TaskEvent.objects.filter(kind=TaskEvent.Kind.REWORK, created_at__gte=start,
                                     created_at__lt=end)
            .values(key).annotate(n=Count("pk")).order_by())
    return {r[key]: r["n"] for r in rows if r[key] is not None}


def _units(level: str) -> dict[int, str]:
    if level == "department":
        return dict(Department.objects.values_list("pk", "name"))
    if level == "grid":
        return dict(Grid.objects.values_list("pk", "name"))
    return dict(Region.objects.filter(level=level).values_list("pk", "name"))


def active_scheme() -> EvaluationScheme:
    scheme = EvaluationScheme.objects.filter(is_active=True).first()
    return scheme or EvaluationScheme(name="default")  # the model's defaults, unsaved


def score(row: Row, scheme: EvaluationScheme) -> Decimal:
    total = Decimal(scheme.base)
    for rate in RATES:
        value = row.rates.get(rate)
        if value is not None:
            total += Decimal(getattr(scheme, f"w_{rate}")) * Decimal(str(round(value, 6)))
    total += Decimal(scheme.w_overdue) * row.overdue + Decimal(scheme.w_repeats) * row.repeats
    total += Decimal(scheme.w_points) * row.points
    return total.quantize(Decimal("0.01"))


def _compute(level: str, month: str, scheme: EvaluationScheme) -> list[Row]:
    start, end = month_bounds(month)
    figures = _task_figures(level, start, end)
    rework = _rework(level, start, end)
    rows = []
    for unit_id, name in _units(level).items():
        row = Row(level=level, unit_id=unit_id, name=name)
        for k, v in figures.get(unit_id, {}).items():
            setattr(row, k, v if k != "points" else Decimal(v or 0))
        row.rework = rework.get(unit_id, 0)
        row.rates = {rate: (getattr(row, num) / getattr(row, den) if getattr(row, den) else None)
                     for rate, (num, den) in RATES.items()}
        row.score = score(row, scheme)
        rows.append(row)
    rows.sort(key=lambda r: (-r.score, r.name))
    for i, row in enumerate(rows):
        # Equal scores share a rank (1, 2, 2, 4).
        row.rank = rows[i - 1].rank if i and row.score == rows[i - 1].score else i + 1
    return rows


def evaluate(month: str, level: str = "street") -> list[Row]:
    """Every unit of ``level`` for ``month`` ('YYYY-MM'), best first, with last month's change."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    scheme = active_scheme()
    rows = _compute(level, month, scheme)
    before = {r.unit_id: r for r in _compute(level, previous_month(month), scheme)}
    for row in rows:
        prev = before.get(row.unit_id)
        if prev is not None and prev.registered + prev.due:
            row.previous_rank = prev.rank
            row.score_change = row.score - prev.score
    return rows
