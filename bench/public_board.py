"""Public board benchmark: the board (公示) of the whole district, the work behind a cache miss
(``board_selectors.board_data``: the month's published problems by category, recent results with
their after photos, the map's points and the published ranking), against hand-written SQL for the
same figures.

The city is citygen's (default a million tasks over two years in one district of 3,000 grids).
The month before the city's instant is published first (``evaluation_publish`` by a superuser,
with a review of two streets, all rolled back at the end), so the ranking and its review are read
as the public reads them. Two months are measured:
the city's current month (partial, as the board opens by default) and the month before (full).

The baseline is the statements a person would write: the district's grid ids, then one GROUP BY
per category over the month's rows of those grids (passed as one typed array), the twelve latest
closed results with their after photos' ids, the map's 500 newest points, and the published
ranking (the current publication, its street rows, the reviews). Before anything is
timed, every figure of both sides is checked equal. Then each side runs once to warm the cache and
five times timed, the sides alternated in rounds (which goes first alternating too); figures are
medians in milliseconds, with the number of SQL queries ``board_data`` made. The Django cache is
not involved: ``board_data`` is what a cache miss runs. Target: within 2x of the statements.
"""

from __future__ import annotations

import json
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import citygen

RUNS = 5
TARGET = 2.0

# The district's grids, read first; the statements take them as one typed array (the fastest
# form measured: an ARRAY(subquery) hides their number from the planner, which then walks every
# task by the grid index, 4-7x slower at 100k; a literal IN list costs its text).
GRIDS_SQL = """SELECT g.id FROM gridmgmt_grid g JOIN gridmgmt_region c ON c.id = g.community_id
  JOIN gridmgmt_region s ON s.id = c.parent_id WHERE s.parent_id = %(district)s"""
_PUBLIC = """t.grid_id = ANY(%(grids)s::bigint[]) AND t.status <> 'void'
  AND (t.source = ANY(%(sources)s) OR (%(closed_results)s AND t.status = 'closed'))"""
_REPORTED = "(t.reported_at >= %(s)s AND t.reported_at < %(e)s)"
_CLOSED = "(t.status = 'closed' AND t.closed_at >= %(s)s AND t.closed_at < %(e)s)"

FIGURES_SQL = f"""
SELECT k.name, k.code, k.time_limit, k.time_unit,
       count(*) FILTER (WHERE {_REPORTED}) AS reported,
       count(*) FILTER (WHERE {_REPORTED} AND t.status = ANY(%(open)s)) AS open,
       count(*) FILTER (WHERE {_CLOSED}) AS closed,
       count(*) FILTER (WHERE {_CLOSED} AND NOT t.closed_late) AS on_time
FROM tasks_app_task t JOIN tasks_app_category k ON k.id = t.category_id
WHERE {_PUBLIC} AND ({_REPORTED} OR {_CLOSED})
GROUP BY k.id ORDER BY k.code"""

RESULTS_SQL = f"""
SELECT t.id, coalesce(t.code, ''), k.name, c.name, t.address, t.reported_at, t.closed_at,
       NOT t.closed_late,
       ARRAY(SELECT p.id FROM tasks_app_photo p WHERE p.task_id = t.id AND p.kind = 'after'
             ORDER BY p.created_at, p.id)
FROM tasks_app_task t JOIN tasks_app_category k ON k.id = t.category_id
JOIN gridmgmt_grid g ON g.id = t.grid_id JOIN gridmgmt_region c ON c.id = g.community_id
WHERE {_PUBLIC} AND {_CLOSED}
ORDER BY t.closed_at DESC, t.id DESC LIMIT %(results)s"""

MARKERS_SQL = f"""
SELECT t.id, t.lng, t.lat, t.status = 'closed', k.name
FROM tasks_app_task t JOIN tasks_app_category k ON k.id = t.category_id
WHERE {_PUBLIC} AND ({_REPORTED} OR {_CLOSED})
ORDER BY t.reported_at DESC, t.id DESC LIMIT %(markers)s"""

PUBLICATION_SQL = """
SELECT id, month, levels FROM tasks_app_evaluationpublication
WHERE superseded_at IS NULL AND month <= %(month)s ORDER BY month DESC LIMIT 1"""
ROWS_SQL = """
SELECT data FROM tasks_app_evaluationsnapshotrow
WHERE publication_id = %(publication)s AND level = 'street' AND district_id = %(district)s
ORDER BY position"""
REVIEWS_SQL = """
SELECT r.unit_name, r.level, r.comment,
       coalesce(json_agg(json_build_object('kind', d.kind, 'amount', d.amount, 'points',
                d.points, 'reason', d.reason) ORDER BY d.decided_at, d.id)
                FILTER (WHERE d.id IS NOT NULL), '[]')
FROM tasks_app_unitreview r LEFT JOIN tasks_app_decision d ON d.review_id = r.id
WHERE r.month = %(month)s AND r.level = 'street' AND r.unit_id = ANY(%(units)s)
GROUP BY r.id ORDER BY r.level, r.unit_name"""


def baseline(params: dict) -> dict:
    """The board's figures by hand: the grids, three statements over the month's tasks, the
    publication (and its rows and reviews when a month is published)."""
    with connection.cursor() as c:
        c.execute(GRIDS_SQL, params)
        params = {**params, "grids": [pk for (pk,) in c.fetchall()]}
        c.execute(FIGURES_SQL, params)
        figures = [{"category": name, "code": code, "time_limit": limit, "time_unit": unit,
                    "reported": r, "open": o, "closed": cl, "on_time": ot}
                   for name, code, limit, unit, r, o, cl, ot in c.fetchall()]
        c.execute(RESULTS_SQL, params)
        results = [{"id": pk, "code": code, "category": cat, "community": comm,
                    "address": addr, "reported_at": rep, "closed_at": clo, "on_time": ok,
                    "photos": list(photos)}
                   for pk, code, cat, comm, addr, rep, clo, ok, photos in c.fetchall()]
        c.execute(MARKERS_SQL, params)
        markers = [{"id": pk, "lng": round(lng, 6), "lat": round(lat, 6), "closed": closed,
                    "category": name} for pk, lng, lat, closed, name in c.fetchall()]
        c.execute(PUBLICATION_SQL, params)
        found = c.fetchone()
        ranking = None
        if found:
            publication, month, levels = found
            levels = json.loads(levels) if isinstance(levels, str) else levels
            rows: list[dict] = []
            if "street" in levels:
                c.execute(ROWS_SQL, {**params, "publication": publication})
                rows = [_row(json.loads(d) if isinstance(d, str) else d)
                        for (d,) in c.fetchall()]
            c.execute(REVIEWS_SQL, {"month": month, "units": [r["unit_id"] for r in rows]})
            reviews = [{"unit": unit, "level": level, "comment": comment,
                        "decisions": [_decision(d) for d in (
                            json.loads(ds) if isinstance(ds, str) else ds)]}
                       for unit, level, comment, ds in c.fetchall()]
            ranking = {"month": month, "level": "street", "rows": rows, "unit_row": None,
                       "reviews": [r for r in reviews if r["comment"] or r["decisions"]]}
    closed = sum(f["closed"] for f in figures)
    on_time = sum(f["on_time"] for f in figures)
    totals = {"reported": sum(f["reported"] for f in figures),
              "open": sum(f["open"] for f in figures), "closed": closed, "on_time": on_time,
              "on_time_rate": round(100 * on_time / closed) if closed else None}
    return {"month": params["month"], "figures": figures, "totals": totals, "results": results,
            "markers": markers, "ranking": ranking}


def _decision(d: dict) -> dict:
    def number(v):
        return None if v is None else Decimal(str(v))

    return {"kind": d["kind"], "amount": number(d["amount"]), "points": number(d["points"]),
            "reason": d["reason"]}


def _row(d: dict) -> dict:
    return {"unit_id": d["unit_id"], "name": d["name"], "rank": d["rank"],
            "score": None if d["score"] is None else Decimal(str(d["score"])),
            "registered": d["registered"], "due": d["due"], "closed": d["closed"],
            "on_time": d["on_time"], "on_time_rate": d.get("on_time_rate"),
            "closed_rate": d.get("closed_rate"), "has_data": d["has_data"]}


def _comparable(board: dict) -> dict:
    """``board_data``'s answer as plain values (its ranking is a dataclass)."""
    ranking = board["ranking"]
    if ranking is not None:
        ranking = {"month": ranking.month, "level": ranking.level, "rows": ranking.rows,
                   "unit_row": ranking.unit_row, "reviews": ranking.reviews}
    return {**board, "ranking": ranking}


def parameters(district, month: str) -> dict:
    from tasks_app.evaluation import month_bounds
    from tasks_app.public.board_selectors import MAP_MARKERS, RECENT_RESULTS
    from tasks_app.workflow import OPEN_STATUSES

    s, e = month_bounds(month)
    return {"district": district.pk, "month": month, "s": s, "e": e,
            "sources": list(settings.PUBLIC_SOURCES),
            "closed_results": bool(settings.PUBLIC_SHOW_CLOSED_RESULTS),
            "open": [str(x) for x in OPEN_STATUSES], "results": RECENT_RESULTS,
            "markers": MAP_MARKERS}


def check_equal(month: str, product: dict, by_hand: dict) -> None:
    product = _comparable(product)
    if product != by_hand:
        for key in product:
            if product[key] != by_hand.get(key):
                raise AssertionError(f"{month}: {key} differs:\n board_data: "
                                     f"{str(product[key])[:600]}\n by hand:    "
                                     f"{str(by_hand.get(key))[:600]}")
        raise AssertionError(f"{month}: the answers differ")


def _alternated_ms(figure, base) -> tuple[list[float], list[float]]:
    figure()
    base()
    times: dict = {figure: [], base: []}
    for i in range(RUNS):
        for fn in ((figure, base) if i % 2 == 0 else (base, figure)):
            start = time.perf_counter()
            fn()
            times[fn].append((time.perf_counter() - start) * 1000)
    return times[figure], times[base]


def _month_of(now, back: int = 0) -> str:
    local = timezone.localtime(now)
    year, mon = local.year, local.month - back
    while mon < 1:
        year, mon = year - 1, mon + 12
    return f"{year:04d}-{mon:02d}"


def _size(params: dict) -> dict:
    with connection.cursor() as c:
        c.execute(GRIDS_SQL, params)
        params = {**params, "grids": [pk for (pk,) in c.fetchall()]}
        c.execute(f"SELECT count(*) FILTER (WHERE {_REPORTED}), count(*) FILTER (WHERE {_CLOSED})"
                  f" FROM tasks_app_task t WHERE {_PUBLIC} AND ({_REPORTED} OR {_CLOSED})",
                  params)
        reported, closed = c.fetchone()
    return {"month_public_reported": reported, "month_public_closed": closed}


def run(args) -> int:
    from django.contrib.auth import get_user_model

    from gridmgmt import clock
    from gridmgmt.models import Region
    from tasks_app.evaluation_services import decision_add, evaluation_publish, review_write
    from tasks_app.public import board_selectors

    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    now = citygen.reference_now()
    district = Region.objects.get(level=Region.Level.DISTRICT)
    with connection.cursor() as c:
        c.execute("SHOW jit")
        jit = c.fetchone()[0]
    with clock.frozen(now), transaction.atomic():
        actor = get_user_model().objects.create_superuser("bench-board", None, None)
        start = time.perf_counter()
        published = _month_of(now, 1)
        evaluation_publish(month=published, actor=actor, reason="")
        published_s = time.perf_counter() - start
        # The review meeting's word on two streets, as the board shows it.
        for street in Region.objects.filter(parent=district).order_by("code")[:2]:
            review_write(month=published, level="street", unit_id=street.pk, actor=actor,
                         comment=f"{street.name}: 点评")
            decision_add(month=published, level="street", unit_id=street.pk, actor=actor,
                         kind="reward", reason="按期结案", amount=Decimal("500"))
        with connection.cursor() as c:
            c.execute("ANALYZE tasks_app_evaluationpublication")
            c.execute("ANALYZE tasks_app_evaluationsnapshotrow")
        for month in (_month_of(now), _month_of(now, 1)):
            params = parameters(district, month)
            check_equal(month, board_selectors.board_data(district, month), baseline(params))
            with CaptureQueriesContext(connection) as queries:
                board_selectors.board_data(district, month)
            figures, bases = _alternated_ms(
                lambda month=month: board_selectors.board_data(district, month),
                lambda params=params: baseline(params))
            figure, base = statistics.median(figures), statistics.median(bases)
            print(json.dumps({
                "bench": "public_board", "tasks": total, "month": month,
                "page": "district board (cache miss)", **_size(params),
                "grids": len(board_selectors.unit_grid_ids(district)),
                "build_s": round(built, 1), "publish_s": round(published_s, 1), "jit": jit,
                "debug": settings.DEBUG,
                "figure": "board_selectors.board_data(district, month), no cache",
                "figure_ms": round(figure, 1), "figure_runs_ms": [round(t) for t in figures],
                "baseline": "hand-written SQL: a GROUP BY per category, latest results, map "
                            "points, the published ranking; same figures",
                "baseline_ms": round(base, 1), "baseline_runs_ms": [round(t) for t in bases],
                "ratio": round(figure / base, 2), "target": f"<= {TARGET:g}",
                "queries": len(queries.captured_queries), "figures_equal": True}), flush=True)
        transaction.set_rollback(True)  # the publication and its publisher
    return 0
