"""The monthly report e-mail (月度考评通报), sent on the 1st for the month before.

Each street leader is told their street's rank, its indicators against last month and against
the district average, the categories that cost it the most deduction points and its repeat
hotspots (places with three or more occurrences). Each district supervisor gets the district's
overview and the ranking tables. An officer holding both duties gets one e-mail with both.

The rows go through the notification outbox: one per (month, recipient), so running the job
twice, or two workers at once, mails nobody twice. The figures are computed once when the rows
are created and kept in the row (a snapshot of what was evaluated on the 1st): a send retried
hours later says the same, and twenty leaders cost one evaluation per district, not twenty.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from gridmgmt import clock
from gridmgmt.models import Duty, Grid, Officer, Region, Role

from .evaluation import RATES, evaluate, month_bounds, points_by_category, previous_month, rate
from .exports import COLUMNS, NO_DATA
from .models import Notification, Task
from .selectors import Hotspot, hotspot_rows, hotspots_from

WORST_CATEGORIES = 3
HOTSPOT_MIN = 3  # occurrences that make a place a hotspot (DESIGN.md, Repeats)
# The indicators a leader reads, in order: (field, how it is shown).
INDICATORS = [
    ("score", "score"), ("registered", "count"), ("due", "count"), ("closed", "count"),
    ("closed_rate", "rate"), ("on_time_rate", "rate"), ("rework_rate", "rate"),
    ("extension_rate", "rate"), ("patrol_rate", "rate"), ("self_fixed_rate", "rate"),
    ("third_party_rate", "rate"), ("satisfaction_rate", "rate"),
    ("overdue", "count"), ("repeats", "count"), ("high_deduction", "count"),
    ("points", "points"),
]
LABELS = {name: label for name, label, _fmt in COLUMNS}
SUMMED = ("registered", "due", "closed", "on_time", "extended", "patrol", "self_fixed",
          "third_party", "overdue", "repeats", "high_deduction", "rework", "rated", "satisfied",
          "points")


def report_month(now: datetime) -> str:
    """The month a report sent at ``now`` is about: the one before, in the bureau's time."""
    return previous_month(f"{timezone.localtime(now):%Y-%m}")


# -- figures ----------------------------------------------------------------------------------

def district_figures(rows: list[dict]) -> dict[str, dict]:
    """The district from its streets' rows: ``total`` (counts and points summed, rates over the
    whole district) and ``average`` (per street: counts, points and score averaged; rates are
    the district's, i.e. each street weighted by its tasks)."""
    n = len(rows) or 1
    total: dict = {k: sum(r[k] for r in rows) for k in SUMMED}
    total["points"] = round(total["points"], 2)
    for key, (num, den) in RATES.items():
        total[key] = rate(total[num], total[den])
    scores = [r["score"] for r in rows if r["score"] is not None]  # 无数据 streets have none
    total["score"] = round(sum(scores) / len(scores), 2) if scores else None
    average = {k: round(total[k] / n, 1) for k in SUMMED}
    average.update({key: total[key] for key in RATES}, score=total["score"])
    return {"total": total, "average": average}


def _jsonable(items: list[dict]) -> list[dict]:
    return [{**i, "points": float(i["points"])} for i in items]


class _DistrictRepeats:
    """A district's repeat rows for the month (``selectors.hotspot_rows``), read once and shared
    by its streets' and its communities' hotspots. The scope is the district's grid ids as a
    list (one small query): a join through community and street is misestimated by PostgreSQL
    into a walk of every task of every grid (13 s at a million tasks, against about 1 s), and
    one read replaces a read per community (300 of them in a 3,000-grid district)."""

    def __init__(self, district_id: int, start: datetime, end: datetime):
        self.start = start
        grids = Grid.objects.filter(community__parent__parent_id=district_id).values_list(
            "pk", "community_id", "community__parent_id")
        self.community = {pk: community for pk, community, _street in grids}
        self.street = {pk: street for pk, _community, street in grids}
        scope = Task.objects.filter(grid_id__in=sorted(self.community), reported_at__lt=end)
        # Each row ends with its grid id, so a row's community and street are known here.
        self.rows = hotspot_rows(since=start, tasks=scope, extra=("grid_id",))

    def hotspots(self, rows: list[tuple] | None = None) -> list[Hotspot]:
        return hotspots_from(self.rows if rows is None else rows, since=self.start,
                             min_count=HOTSPOT_MIN)

    def of_community(self, community_id: int) -> list[Hotspot]:
        """The hotspots among this community's tasks alone (its rows, in the same order)."""
        return self.hotspots([r for r in self.rows if self.community[r[-1]] == community_id])


def _spot(h: Hotspot) -> dict:
    return {"category": h.category, "grid": h.grid, "occurrences": h.occurrences,
            "open": h.open, "latest": f"{timezone.localtime(h.latest_at):%Y-%m-%d}"}


def _repeats(cache: dict[int, _DistrictRepeats], district_id: int, month: str
             ) -> _DistrictRepeats:
    if district_id not in cache:
        cache[district_id] = _DistrictRepeats(district_id, *month_bounds(month))
    return cache[district_id]


def _district_snapshot(district: Region, month: str, end: datetime,
                       repeats: dict[int, _DistrictRepeats] | None = None) -> dict:
    """Everything any recipient in this district reads, computed once."""
    streets = [r.as_dict() for r in evaluate(month, "street", district=district.pk)]
    last = [r.as_dict() for r in evaluate(previous_month(month), "street",
                                          district=district.pk)]
    departments = [r.as_dict() for r in evaluate(month, "department", district=district.pk)]
    categories = points_by_category(month, "street", district=district.pk)
    found = _repeats({} if repeats is None else repeats, district.pk, month)
    # Keyed by the street of the latest occurrence (None for a grid outside any street).
    hotspots: dict[int | None, list[dict]] = defaultdict(list)
    latest_street = {r[0]: found.street[r[-1]] for r in found.rows}
    for h in found.hotspots():
        hotspots[latest_street[h.latest_id]].append(_spot(h))
    return {
        "id": district.pk, "name": district.name, "streets": streets, "last": last,
        "departments": departments, "figures": district_figures(streets),
        "last_figures": district_figures(last),
        "categories": {k: _jsonable(v[:WORST_CATEGORIES]) for k, v in categories.items()},
        "hotspots": dict(hotspots),
    }


def street_section(snapshot: dict, street_id: int) -> dict | None:
    now = next((r for r in snapshot["streets"] if r["unit_id"] == street_id), None)
    if now is None:
        return None
    last = next((r for r in snapshot["last"] if r["unit_id"] == street_id), None)
    return {
        "id": street_id, "name": now["name"], "district": snapshot["name"],
        "of": len(snapshot["streets"]), "now": now,
        "last": last if last and (last["registered"] or last["due"]) else None,
        "average": snapshot["figures"]["average"],
        "categories": snapshot["categories"].get(street_id, []),
        "hotspots": snapshot["hotspots"].get(street_id, []),
    }


def district_section(snapshot: dict) -> dict:
    return {"id": snapshot["id"], "name": snapshot["name"],
            "now": snapshot["figures"]["total"], "last": snapshot["last_figures"]["total"],
            "streets": snapshot["streets"], "departments": snapshot["departments"],
            "hotspots": sum(len(v) for v in snapshot["hotspots"].values())}


# -- the outbox rows --------------------------------------------------------------------------

@transaction.atomic
def create_monthly_reports(*, month: str | None = None, now: datetime | None = None) -> int:
    """One outbox row per street leader and district supervisor on duty at ``now``, for
    ``month`` (default: the month before ``now``). Returns how many rows were new."""
    now = now or clock.now()
    month = month or report_month(now)
    _start, end = month_bounds(month)
    _without_jit()
    done = set(Notification.objects.filter(
        kind=Notification.Kind.MONTHLY_REPORT, period=month, task__isnull=True)
        .values_list("recipient_id", flat=True))
    wanted: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"streets": [],
                                                                   "districts": []})
    district_of: dict[int, int] = {}
    for officer_id, role, region_id, parent_id in Duty.objects.valid_at(now).filter(
            role__in=[Role.STREET_LEADER, Role.DISTRICT_SUPERVISOR],
            region__isnull=False).exclude(officer_id__in=done).order_by(
            "officer_id", "region_id").values_list("officer_id", "role", "region_id",
                                                   "region__parent_id"):
        if role == Role.STREET_LEADER:
            if parent_id is not None:
                wanted[officer_id]["streets"].append(region_id)
                district_of[region_id] = parent_id
        else:
            wanted[officer_id]["districts"].append(region_id)
    communities = _community_heads(now, done)
    for officer_id in communities:
        wanted.setdefault(officer_id, {"streets": [], "districts": []})
    if not wanted:
        return 0
    repeats: dict[int, _DistrictRepeats] = {}  # read once per district, shared
    community_sections = _community_sections(month, communities, repeats)
    needed = set(district_of.values()) | {d for w in wanted.values() for d in w["districts"]}
    snapshots = {d.pk: _district_snapshot(d, month, end, repeats)
                 for d in Region.objects.filter(pk__in=needed)}
    emails = dict(Officer.objects.filter(pk__in=wanted).values_list("pk", "email"))
    rows = []
    for officer_id, duties in wanted.items():
        streets = [s for s in (street_section(snapshots[district_of[pk]], pk)
                               for pk in duties["streets"]) if s is not None]
        districts = [district_section(snapshots[pk]) for pk in duties["districts"]
                     if pk in snapshots]
        # 第一责任人: the community head reads his community's figures like a street's.
        streets += [community_sections[pk] for pk in communities.get(officer_id, [])
                    if pk in community_sections]
        if not streets and not districts:
            continue
        rows.append(Notification(
            kind=Notification.Kind.MONTHLY_REPORT, period=month, recipient_id=officer_id,
            email=emails.get(officer_id, ""), created_at=now, next_attempt_at=now,
            context={"month": month, "streets": streets, "districts": districts}))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _without_jit() -> None:
    """No JIT compilation for the rest of this transaction (PostgreSQL). The evaluation's
    statements are estimated expensive (a correlated subquery per task for the departments), so
    PostgreSQL's default JIT compiles and optimises them: at 300k tasks 3.6 s of compiling for
    0.3 s of work on the department query alone, most of the job's time. Results are the same."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _community_heads(now: datetime, done: set[int]) -> dict[int, list[int]]:
    """Community heads on duty at ``now`` (not yet sent this month) → their communities."""
    heads: dict[int, list[int]] = defaultdict(list)
    for officer_id, region_id in Duty.objects.valid_at(now).filter(
            role=Role.COMMUNITY_HEAD, region__level=Region.Level.COMMUNITY).exclude(
            officer_id__in=done).order_by("officer_id", "region_id").values_list(
            "officer_id", "region_id"):
        heads[officer_id].append(region_id)
    return dict(heads)


def _community_sections(month: str, heads: dict[int, list[int]],
                        repeats: dict[int, _DistrictRepeats] | None = None) -> dict[int, dict]:
    """A street-like section per community with a head: its rank among the district's
    communities, its indicators against last month and the communities' average, the
    categories that cost it most and its repeat hotspots."""
    wanted = {pk for ids in heads.values() for pk in ids}
    if not wanted:
        return {}
    repeats = {} if repeats is None else repeats
    districts = dict(Region.objects.filter(pk__in=wanted).values_list(
        "pk", "parent__parent_id"))
    sections: dict[int, dict] = {}
    for district in {d for d in districts.values() if d is not None}:
        name = Region.objects.filter(pk=district).values_list("name", flat=True).first()
        rows = [r.as_dict() for r in evaluate(month, "community", district=district)]
        last = [r.as_dict() for r in evaluate(previous_month(month), "community",
                                              district=district)]
        categories = points_by_category(month, "community", district=district)
        hotspots: dict[int, list[dict]] = {}
        snapshot = {"name": name, "streets": rows, "last": last,
                    "figures": district_figures(rows),
                    "categories": {k: _jsonable(v[:WORST_CATEGORIES])
                                   for k, v in categories.items()},
                    "hotspots": hotspots}
        found = _repeats(repeats, district, month)
        for pk in (c for c, d in districts.items() if d == district):
            hotspots[pk] = [_spot(h) for h in found.of_community(pk)]
            section = street_section(snapshot, pk)
            if section is not None:
                sections[pk] = {**section, "level": "community"}
    return sections


# -- what the e-mail shows ----------------------------------------------------------------------

def _show(value, how: str) -> str:
    if value is None:
        return "—"
    if how == "rate":
        return f"{value * 100:.1f}%"
    if how == "count":
        return f"{value:g}" if isinstance(value, float) else str(value)
    if how == "points":
        return f"{Decimal(str(value)).normalize():f}"
    return f"{value:.2f}"


def _change(value) -> str:
    return "—" if value is None else f"{value:+.2f}"


def _lines(now: dict, last: dict | None, other: dict | None) -> list[dict]:
    return [{"label": LABELS[name], "now": _show(now.get(name), how),
             "last": _show(last.get(name), how) if last else "—",
             "other": _show(other.get(name), how) if other else "—"}
            for name, how in INDICATORS]


def _table(rows: list[dict]) -> list[dict]:
    # A unit without data (无数据) has no rank and no score: the table says so.
    return [{"rank": r["rank"] if r["rank"] is not None else str(NO_DATA), "name": r["name"],
             "score": _show(r["score"], "score"),
             "change": _change(r["score_change"]),
             "closed_rate": _show(r["closed_rate"], "rate"),
             "on_time_rate": _show(r["on_time_rate"], "rate"), "overdue": r["overdue"],
             "repeats": r["repeats"], "points": _show(r["points"], "points")} for r in rows]


def email_context(row: Notification) -> dict:
    """The template context of a monthly report row (see templates/email/monthly_report)."""
    data = row.context or {}
    streets = []
    for s in data.get("streets", []):
        now = s["now"]
        streets.append({
            "level": s.get("level", "street"),
            "name": s["name"], "district": s["district"], "rank": now["rank"], "of": s["of"],
            "previous_rank": now["previous_rank"], "score": _show(now["score"], "score"),
            "change": _change(now["score_change"]),
            "lines": _lines(now, s["last"], s["average"]),
            "categories": [{**c, "points": _show(c["points"], "points")}
                           for c in s["categories"]],
            "hotspots": s["hotspots"],
        })
    districts = [{
        "name": d["name"], "lines": _lines(d["now"], d["last"], None),
        "streets": _table(d["streets"]), "departments": _table(d["departments"]),
        "hotspots": d["hotspots"],
    } for d in data.get("districts", [])]
    month = data.get("month", row.period)
    return {"month": month, "streets": streets, "districts": districts,
            "export_url": f"{settings.SITE_URL.rstrip('/')}{reverse('api:evaluation-export')}"
                          f"?month={month}",
            # The review meeting's printable pack (the console's, for those who hold it).
            "pack_url": f"{settings.SITE_URL.rstrip('/')}"
                        f"{reverse('console:evaluation-pack', args=[month])}"}
