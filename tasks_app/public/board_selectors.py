"""Reads for the public board (公示): what the bureau chose to publish about a district, street or
community, for one month.

What is public is a setting: the reports of ``PUBLIC_SOURCES`` (citizens', the hotline's and the
media's by default) and, with ``PUBLIC_SHOW_CLOSED_RESULTS``, every closed result whatever found
it. A void report is never shown (its reason is a supervisor's note). No function here reads a
task's title, description, plan, events, reporter, assignee or any contact: the board is built
from categories, places, times and after photos only, so nothing internal can leak through it.

Cheap by construction: a unit's grid ids are read once as a list, and every task query is bounded
by them and by the month's date range (the reported_at and closed_at indexes), never a count
over all tasks. ``board`` caches the whole figure set per unit and month for a short time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from gridmgmt import clock
from gridmgmt.models import Grid, Region

from ..evaluation import month_bounds
from ..models import (
    EvaluationPublication,
    EvaluationSnapshotRow,
    Photo,
    Task,
    TaskEvent,
    UnitReview,
)
from ..workflow import OPEN_STATUSES, Status

RECENT_RESULTS = 12
MAP_MARKERS = 500
# The ranking level shown on a unit's board: a district ranks its streets, a street its
# communities, a community its grids.
RANKED_LEVEL: dict[str, str] = {Region.Level.DISTRICT: "street", Region.Level.STREET: "community",
                                 Region.Level.COMMUNITY: "grid"}


class AnyOf(Func):
    """``column = ANY(%s::bigint[])``: the values as ONE typed array parameter on PostgreSQL.
    A district's 3,000 grid ids as an IN list cost more to compile, send and plan than the
    query costs to run; an untyped array hides its size from the planner, which then walks every
    task by the grid index (bench/public_board.py). ``IN (…)`` on other databases."""

    output_field = BooleanField()

    def __init__(self, expression, values: list[int]):
        super().__init__(expression)
        self.values = [int(v) for v in values]

    def as_sql(self, compiler, connection, *args, **kwargs):
        lhs, params = compiler.compile(self.source_expressions[0])
        if not self.values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            db_type = self.source_expressions[0].output_field.db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", [*params, self.values]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.values))})", [*params, *self.values]


def in_grids(grid_ids: list[int]) -> AnyOf:
    """The tasks of these grids (a unit's grid ids, read once as a list)."""
    return AnyOf(F("grid_id"), grid_ids)


def public_q(prefix: str = "") -> Q:
    """The tasks the public may see: published sources, and closed results if the setting says
    so; never a void one."""
    p = prefix
    shown = Q(**{f"{p}source__in": list(settings.PUBLIC_SOURCES)})
    if settings.PUBLIC_SHOW_CLOSED_RESULTS:
        shown |= Q(**{f"{p}status": Status.CLOSED})
    return shown & ~Q(**{f"{p}status": Status.VOID})


def public_tasks():
    return Task.objects.filter(public_q())


# -- places -------------------------------------------------------------------------------------

def districts() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"))


def unit_grid_ids(unit: Region) -> list[int]:
    """The grids inside a district, street or community, as a plain list (one query), so the
    task queries filter by grid id without joining the region tree."""
    grids = Grid.objects.all()
    if unit.level == Region.Level.COMMUNITY:
        grids = grids.filter(community=unit)
    elif unit.level == Region.Level.STREET:
        grids = grids.filter(community__parent=unit)
    else:
        grids = grids.filter(community__parent__parent=unit)
    return list(grids.order_by("pk").values_list("pk", flat=True))


def district_of(unit: Region) -> Region:
    node = unit
    while node.parent is not None:  # at most two steps: community → street → district
        node = node.parent
    return node


def month_of(now: datetime | None = None) -> str:
    return f"{timezone.localtime(now or clock.now()):%Y-%m}"


# -- the figures --------------------------------------------------------------------------------

def category_figures(grid_ids: list[int], start: datetime, end: datetime) -> list[dict]:
    """This month's public problems per category: reported in the month, of those still open,
    closed in the month, and closed on time (the fix submitted by the deadline). One grouped
    query over the month's rows of the unit's grids."""
    reported = Q(reported_at__gte=start, reported_at__lt=end)
    closed = Q(closed_at__gte=start, closed_at__lt=end, status=Status.CLOSED)
    rows = (public_tasks().filter(in_grids(grid_ids)).filter(reported | closed)
            .values("category_id", "category__name", "category__code", "category__time_limit",
                    "category__time_unit")
            .annotate(reported=Count("pk", filter=reported),
                      open=Count("pk", filter=reported & Q(status__in=list(OPEN_STATUSES))),
                      closed=Count("pk", filter=closed),
                      on_time=Count("pk", filter=closed & Q(closed_late=False)))
            .order_by("category__code"))
    return [{"category": r["category__name"], "code": r["category__code"],
             "time_limit": r["category__time_limit"], "time_unit": r["category__time_unit"],
             "reported": r["reported"], "open": r["open"], "closed": r["closed"],
             "on_time": r["on_time"]} for r in rows]


def totals(figures: list[dict]) -> dict:
    keys = ("reported", "open", "closed", "on_time")
    out = {k: sum(f[k] for f in figures) for k in keys}
    out["on_time_rate"] = (round(100 * out["on_time"] / out["closed"]) if out["closed"]
                           else None)
    return out


def accepted_fix_photos() -> QuerySet[Photo]:
    """The after photos of the fix that was accepted: a fix sent back for rework (返工) keeps its
    photos in the task's history, but they show what was refused, so they are never published.
    A photo is of the accepted fix unless the task was sent back after it was taken (the same
    rule as ``task_submit``'s: a new submission needs a photo taken since work resumed)."""
    refused = TaskEvent.objects.filter(task_id=OuterRef("task_id"), kind=TaskEvent.Kind.REWORK,
                                       created_at__gte=OuterRef("created_at"))
    return Photo.objects.filter(kind=Photo.Kind.AFTER).exclude(Exists(refused))


RESULT_FIELDS = ("pk", "code", "category__name", "grid__community__name", "address",
                 "reported_at", "closed_at", "closed_late")


def recent_results(grid_ids: list[int], start: datetime, end: datetime,
                   limit: int = RECENT_RESULTS) -> list[dict]:
    """The month's latest closed public results with their after photos' ids (two queries)."""
    tasks = list(public_tasks().filter(in_grids(grid_ids), status=Status.CLOSED,
                                       closed_at__gte=start, closed_at__lt=end)
                 .order_by("-closed_at", "-pk").values(*RESULT_FIELDS)[:limit])
    photos: dict[int, list[int]] = {}
    for task_id, photo_id in (accepted_fix_photos().filter(task__in=[t["pk"] for t in tasks])
                              .order_by("created_at", "pk").values_list("task_id", "pk")):
        photos.setdefault(task_id, []).append(photo_id)
    return [result_dict(t, photos.get(t["pk"], [])) for t in tasks]


def result_dict(task: dict, photo_ids: list[int]) -> dict:
    """What the board says about one closed result: no title, description, plan or person."""
    return {"id": task["pk"], "code": task["code"] or "", "category": task["category__name"],
            "community": task["grid__community__name"], "address": task["address"],
            "reported_at": task["reported_at"], "closed_at": task["closed_at"],
            "on_time": not task["closed_late"], "photos": photo_ids}


def map_markers(grid_ids: list[int], start: datetime, end: datetime,
                limit: int = MAP_MARKERS) -> list[dict]:
    """The month's public problems as map points (reported or closed in the month), newest
    first, at most ``limit``."""
    reported = Q(reported_at__gte=start, reported_at__lt=end)
    closed = Q(closed_at__gte=start, closed_at__lt=end, status=Status.CLOSED)
    rows = (public_tasks().filter(in_grids(grid_ids)).filter(reported | closed)
            .order_by("-reported_at", "-pk")
            .values_list("pk", "lng", "lat", "status", "category__name")[:limit])
    return [{"id": pk, "lng": round(lng, 6), "lat": round(lat, 6),
             "closed": status == Status.CLOSED, "category": name}
            for pk, lng, lat, status, name in rows]


@dataclass
class Ranking:
    month: str
    level: str
    rows: list[dict] = field(default_factory=list)
    unit_row: dict | None = None
    reviews: list[dict] = field(default_factory=list)


def published_ranking(unit: Region, before: str) -> Ranking | None:
    """The latest published month up to ``before`` (never a live, unpublished ranking): the
    ranking of the units under ``unit`` within its district, the unit's own row where it is
    ranked itself, and the review's comments (点评) and decisions for those units. Read from
    the publication's frozen snapshot rows, as every page of a published month is."""
    publication = (EvaluationPublication.objects.filter(superseded_at__isnull=True,
                                                        month__lte=before)
                   .order_by("-month").only("pk", "month", "levels").first())
    if publication is None:
        return None
    district = district_of(unit)
    level = RANKED_LEVEL[unit.level]
    ranking = Ranking(month=publication.month, level=level)
    if level in publication.levels:
        inside = None if unit.level == Region.Level.DISTRICT else _children_ids(unit, level)
        ranking.rows = _snapshot(publication, level, district.pk, inside)
    own_level = unit.level if unit.level != Region.Level.DISTRICT else None
    if own_level and own_level in publication.levels:
        own = _snapshot(publication, own_level, district.pk, [unit.pk])
        ranking.unit_row = own[0] if own else None
    units = [(level, r["unit_id"]) for r in ranking.rows]
    if own_level:
        units.append((own_level, unit.pk))
    ranking.reviews = _reviews(publication.month, units)
    return ranking


def _snapshot(publication: EvaluationPublication, level: str, district: int,
              units: list[int] | None) -> list[dict]:
    """The publication's rows of ``level`` in the district, in published order (``units``:
    only these)."""
    rows = EvaluationSnapshotRow.objects.filter(publication=publication, level=level,
                                                district_id=district)
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    return [_row_dict(unit_id, name, rank, score, data) for unit_id, name, rank, score, data
            in rows.order_by("position").values_list("unit_id", "name", "rank", "score", "data")]


def _children_ids(unit: Region, level: str) -> list[int]:
    if level == "grid":
        return list(Grid.objects.filter(community=unit).values_list("pk", flat=True))
    return list(Region.objects.filter(parent=unit).values_list("pk", flat=True))


def _row_dict(unit_id: int, name: str, rank: int | None, score, data: dict) -> dict:
    return {"unit_id": unit_id, "name": name, "rank": rank, "score": score,
            "registered": data.get("registered", 0), "due": data.get("due", 0),
            "closed": data.get("closed", 0), "on_time": data.get("on_time", 0),
            "on_time_rate": data.get("on_time_rate"), "closed_rate": data.get("closed_rate"),
            "has_data": data.get("has_data", True)}


def _reviews(month: str, units: list[tuple[str, int]]) -> list[dict]:
    """The meeting's comments and decisions on these units (never the follow-ups, which name
    officers, nor who wrote or decided). A decision's kind stays a code: the board is cached
    for every language, the page names it in the reader's."""
    if not units:
        return []
    wanted = set(units)
    # Every review of these levels and ids, the pairs kept here: one short query, where an OR
    # of (level, unit) pairs costs more to build than to run.
    reviews = [r for r in UnitReview.objects.filter(
        month=month, level__in={level for level, _u in units},
        unit_id__in={u for _level, u in units}).order_by("level", "unit_name")
        if (r.level, r.unit_id) in wanted]
    if not reviews:
        return []
    prefetch_related_objects(reviews, "decisions")
    return [{"unit": r.unit_name, "level": r.level, "comment": r.comment,
             "decisions": [{"kind": d.kind, "amount": d.amount,
                            "points": d.points, "reason": d.reason}
                           for d in r.decisions.all()]}
            for r in reviews if r.comment or r.decisions.all()]


# -- the whole board ----------------------------------------------------------------------------

def board_data(unit: Region, month: str) -> dict:
    """Every figure of a unit's board for ``month`` (the work behind a cache miss)."""
    start, end = month_bounds(month)
    grid_ids = unit_grid_ids(unit)
    figures = category_figures(grid_ids, start, end)
    return {"month": month, "figures": figures, "totals": totals(figures),
            "results": recent_results(grid_ids, start, end),
            "markers": map_markers(grid_ids, start, end),
            "ranking": published_ranking(unit, month)}


def cache_key(unit: Region, month: str) -> str:
    sources = ",".join(sorted(settings.PUBLIC_SOURCES))
    return (f"public:board:{unit.pk}:{month}:{sources}:"
            f"{int(settings.PUBLIC_SHOW_CLOSED_RESULTS)}")


def board(unit: Region, month: str) -> dict:
    """``board_data`` cached per unit and month for ``PUBLIC_BOARD_CACHE_SECONDS``."""
    key = cache_key(unit, month)
    data = cache.get(key)
    if data is None:
        data = board_data(unit, month)
        cache.set(key, data, settings.PUBLIC_BOARD_CACHE_SECONDS)
    return data


def children(unit: Region) -> list[Region]:
    return list(Region.objects.filter(parent=unit).order_by("code"))


def photo_for_public(photo_id: int) -> Photo | None:
    """An after photo of a closed public result's accepted fix, or None: the only photos the
    board serves."""
    return (accepted_fix_photos().filter(pk=photo_id)
            .filter(public_q("task__"), task__status=Status.CLOSED)
            .select_related("task").first())


def result(task_id: int) -> dict | None:
    """One closed public result, with its after photos; None if it is not public."""
    task = (public_tasks().filter(pk=task_id, status=Status.CLOSED)
            .values(*RESULT_FIELDS, "category__time_limit", "category__time_unit",
                    "grid__community_id", "grid__community__parent__name").first())
    if task is None:
        return None
    photo_ids = list(accepted_fix_photos().filter(task_id=task_id)
                     .order_by("created_at", "pk").values_list("pk", flat=True))
    out = result_dict(task, photo_ids)
    out["time_limit"] = task["category__time_limit"]
    out["time_unit"] = task["category__time_unit"]
    out["community_id"] = task["grid__community_id"]
    out["street"] = task["grid__community__parent__name"] or ""
    return out
