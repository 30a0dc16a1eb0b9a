"""Evaluation benchmark: ``evaluate(month, level)`` for each level against one hand-written SQL
statement computing the same figures.

The city is citygen's (default a million tasks over two years, so the month evaluated, the last
full month before the city was built, holds about a twenty-fourth of them, with rework, extensions,
late closures, repeats and departments in a working bureau's proportions). The baseline is one
statement: a GROUP BY over the month and the month before (as ``evaluate()`` needs last month
for the rank change), the rework events, the citizens' ratings (one in three of the month's
closed citizen, hotline and media finds is rated, added once), every unit of the level
(units with nothing registered or due listed unranked, 无数据), the rates, the composite score
from the active scheme, the rank and the change. Departments are those responsible at the
month's end or at closure, read from the event log by a correlated subquery per task and month,
as ``evaluate()`` reads them.

Before anything is timed, the statement's figures are checked equal to ``evaluate()``'s for
every unit: counts, points, rates, score, rank, last month's rank and the change. Then each is
run once to warm the cache and five times timed, the two sides alternated in rounds; figures
are medians in milliseconds, with the
number of SQL queries ``evaluate()`` made. Target: ``evaluate()`` within 2x of the statement.

Then publishing (``measure_publish``): ``evaluation_publish`` of the same month by a superuser
against the same work by hand (every level's statement for every scope, then one bulk INSERT of
the same snapshot rows), their snapshot rows checked equal first; each run rolled back, the
sides alternated, ``ANALYZE`` of every table before. Target: within 2x (issue 11).
"""

from __future__ import annotations

import json
import statistics
import time
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import citygen

RUNS = 5
TARGET = 2.0

_PLACE_JOIN = ("JOIN gridmgmt_grid g ON g.id = t.grid_id "
               "JOIN gridmgmt_region c ON c.id = g.community_id")
# The department responsible for task ``{t}`` at min(month end ``{e}``, its closure), from the
# event log: the last dispatching event's department, else its assignee's, else the task's.
_DEPARTMENT_AT = """(SELECT coalesce((ev.extra ->> 'department')::int, o.department_id,
                          {t}.department_id)
   FROM tasks_app_taskevent ev
   LEFT JOIN gridmgmt_officer o ON o.id = (ev.extra ->> 'assignee')::int
   WHERE ev.task_id = {t}.id AND ev.created_at < {e}
     AND ev.created_at <= coalesce({t}.closed_at, {e})
     AND (ev.kind IN ('assigned', 'reassigned')
          OR (ev.kind = 'reported' AND (ev.extra -> 'auto_dispatched' = 'true'::jsonb
                                        OR ev.extra -> 'fixed_on_spot' = 'true'::jsonb)))
   ORDER BY ev.created_at DESC, ev.id DESC LIMIT 1)"""
# level → (the unit of a task ``t`` in tk, the joins it needs, the unit per month in fl, the
# unit of a rework event's task ``t`` in month ``mo``, the units)
LEVELS = {
    "street": ("c.parent_id", _PLACE_JOIN, "tk.unit", "c.parent_id",
               "SELECT id, name FROM gridmgmt_region WHERE level = 'street'"),
    "community": ("g.community_id", "JOIN gridmgmt_grid g ON g.id = t.grid_id", "tk.unit",
                  "g.community_id",
                  "SELECT id, name FROM gridmgmt_region WHERE level = 'community'"),
    "grid": ("t.grid_id", "", "tk.unit", "t.grid_id", "SELECT id, name FROM gridmgmt_grid"),
    "road": ("t.road_id", "", "tk.unit", "t.road_id", "SELECT id, name FROM gridmgmt_road"),
    "department": ("NULL::int", "", _DEPARTMENT_AT.format(t="tk", e="mo.e"),
                   _DEPARTMENT_AT.format(t="t", e="mo.e"),
                   "SELECT id, name FROM gridmgmt_department"),
}
# Within one district (``%(district)s``): its tasks are those in its grids (as ``evaluate()``'s
# ``district=`` scopes them), its units as ``evaluate()`` lists them. The grids as an array
# (computed once): as a join or an IN (subquery) the planner underestimates the district's grids
# through community and street and walks every task by the grid index (3-6 s a statement).
_IN_DISTRICT = """ AND t.grid_id = ANY(ARRAY(
  SELECT dg.id FROM gridmgmt_grid dg JOIN gridmgmt_region dc ON dc.id = dg.community_id
  JOIN gridmgmt_region ds ON ds.id = dc.parent_id WHERE ds.parent_id = %(district)s))"""
UNITS_IN_DISTRICT = {
    "street": "SELECT id, name FROM gridmgmt_region WHERE level = 'street' "
              "AND parent_id = %(district)s",
    "community": "SELECT c.id, c.name FROM gridmgmt_region c JOIN gridmgmt_region s "
                 "ON s.id = c.parent_id WHERE c.level = 'community' "
                 "AND s.parent_id = %(district)s",
    "grid": "SELECT g.id, g.name FROM gridmgmt_grid g JOIN gridmgmt_region c "
            "ON c.id = g.community_id JOIN gridmgmt_region s ON s.id = c.parent_id "
            "WHERE s.parent_id = %(district)s",
    "road": "SELECT r.id, r.name FROM gridmgmt_road r WHERE EXISTS (SELECT 1 "
            "FROM tasks_app_task t WHERE t.road_id = r.id" + _IN_DISTRICT + ")",
    "department": "SELECT id, name FROM gridmgmt_department "
                  "WHERE district_id = %(district)s OR district_id IS NULL",
}
COUNTS = ["registered", "due", "closed", "on_time", "extended", "patrol", "self_fixed",
          "third_party", "overdue", "repeats", "high_deduction", "rework", "rated",
          "satisfied"]
RATES = ["closed_rate", "on_time_rate", "rework_rate", "extension_rate", "patrol_rate",
         "self_fixed_rate", "third_party_rate", "satisfaction_rate"]

SQL = """
WITH mo (m, s, e, upto) AS (
  VALUES (0, %(s0)s::timestamptz, %(e0)s::timestamptz, least(%(e0)s::timestamptz, %(now)s)),
         (1, %(s1)s::timestamptz, %(e1)s::timestamptz, least(%(e1)s::timestamptz, %(now)s))
), tk AS (
  SELECT {unit} AS unit, t.id, t.department_id, t.status, t.source, t.reported_at, t.deadline,
         t.closed_at, t.closed_late, t.submitted_at, t.hold_started_at, t.extension_count,
         t.repeat_of_id IS NOT NULL AS rep, k.high_deduction,
         k.points * CASE WHEN t.repeat_of_id IS NOT NULL THEN 2 ELSE 1 END AS pts
  FROM tasks_app_task t JOIN tasks_app_category k ON k.id = t.category_id {join}
  WHERE t.status <> 'void'{scope}
    AND ((t.reported_at >= %(s1)s AND t.reported_at < %(e0)s)
         OR (t.deadline >= %(s1)s AND t.deadline < %(e0)s)
         OR (t.closed_at >= %(s1)s AND t.closed_at < %(e0)s))
), fl AS (
  SELECT mo.m, {unit_fl} AS u, tk.*,
         tk.reported_at >= mo.s AND tk.reported_at < mo.e AS reg,
         -- a deadline counts unless the task is held since before it (its clock is stopped)
         coalesce(tk.deadline >= mo.s AND tk.deadline < mo.e AND NOT coalesce(
           tk.status = 'on_hold' AND tk.hold_started_at < tk.deadline, false), false) AS dl,
         coalesce(tk.closed_at < mo.s, false) AS closed_before,
         coalesce(tk.closed_at >= mo.s AND tk.closed_at < mo.e, false) AS cl,
         coalesce(tk.deadline >= mo.s AND tk.deadline < mo.upto, false) AS passed,
         coalesce(tk.submitted_at < mo.e, false) AS submitted_by_end,
         coalesce((tk.status = 'closed' AND NOT tk.closed_late)
                  OR (tk.status = 'submitted' AND tk.submitted_at <= tk.deadline), false) AS fixed
  FROM tk CROSS JOIN mo
  WHERE (tk.reported_at >= mo.s AND tk.reported_at < mo.e)
     OR (tk.deadline >= mo.s AND tk.deadline < mo.e)
     OR (tk.closed_at >= mo.s AND tk.closed_at < mo.e)
), f AS (
  SELECT m, u AS unit,
         count(*) FILTER (WHERE reg) AS registered,
         count(*) FILTER (WHERE (dl AND NOT closed_before) OR cl) AS due,
         count(*) FILTER (WHERE cl) AS closed,
         count(*) FILTER (WHERE cl AND NOT closed_late) AS on_time,
         count(*) FILTER (WHERE ((dl AND NOT closed_before) OR cl) AND extension_count > 0)
           AS extended,
         count(*) FILTER (WHERE reg AND source = 'patrol') AS patrol,
         count(*) FILTER (WHERE reg AND source = 'patrol' AND submitted_by_end AND fixed)
           AS self_fixed,
         count(*) FILTER (WHERE reg AND source IN ('third_party', 'city_inspection',
                                                   'inspector')) AS third_party,
         count(*) FILTER (WHERE passed AND dl AND NOT fixed) AS overdue,
         count(*) FILTER (WHERE reg AND rep) AS repeats,
         count(*) FILTER (WHERE reg AND high_deduction) AS high_deduction,
         coalesce(sum(pts) FILTER (WHERE reg AND source <> 'patrol'), 0)
           + coalesce(sum(pts) FILTER (WHERE passed AND dl AND NOT fixed), 0) / 2 AS points
  FROM fl WHERE u IS NOT NULL
  GROUP BY m, u
), rev AS MATERIALIZED (  -- the two months' rework events first, then their tasks
  SELECT ev.task_id, ev.created_at FROM tasks_app_taskevent ev
  WHERE ev.kind = 'rework' AND ev.created_at >= %(s1)s AND ev.created_at < %(e0)s
), rw AS (
  SELECT mo.m, {unit_rw} AS unit, count(*) AS n
  FROM rev ev
  JOIN mo ON ev.created_at >= mo.s AND ev.created_at < mo.e
  JOIN tasks_app_task t ON t.id = ev.task_id{scope} {join}
  GROUP BY 1, 2
), rat AS (  -- citizens' ratings given in the two months, on tasks that are not void
  SELECT mo.m, {unit_rw} AS unit, count(*) AS rated,
         count(*) FILTER (WHERE ra.level >= 2) AS satisfied
  FROM public_rating ra
  JOIN mo ON ra.rated_at >= mo.s AND ra.rated_at < mo.e
  JOIN tasks_app_task t ON t.id = ra.task_id AND t.status <> 'void'{scope} {join}
  GROUP BY 1, 2
), r AS (
  SELECT mm.m, u.id, u.name,
         coalesce(f.registered, 0) AS registered, coalesce(f.due, 0) AS due,
         coalesce(f.closed, 0) AS closed, coalesce(f.on_time, 0) AS on_time,
         coalesce(f.extended, 0) AS extended, coalesce(f.patrol, 0) AS patrol,
         coalesce(f.self_fixed, 0) AS self_fixed,
         coalesce(f.third_party, 0) AS third_party, coalesce(f.overdue, 0) AS overdue,
         coalesce(f.repeats, 0) AS repeats, coalesce(f.high_deduction, 0) AS high_deduction,
         coalesce(rw.n, 0) AS rework, coalesce(rat.rated, 0) AS rated,
         coalesce(rat.satisfied, 0) AS satisfied, coalesce(f.points, 0) AS points
  FROM ({units}) AS u CROSS JOIN (VALUES (0), (1)) AS mm (m)
  LEFT JOIN f ON f.unit = u.id AND f.m = mm.m
  LEFT JOIN rw ON rw.unit = u.id AND rw.m = mm.m
  LEFT JOIN rat ON rat.unit = u.id AND rat.m = mm.m
), q AS (
  SELECT r.*, registered + due > 0 AS has_data,
         CASE WHEN due > 0 THEN round(closed::numeric / due, 6) END AS closed_rate,
         CASE WHEN due > 0 THEN round(on_time::numeric / due, 6) END AS on_time_rate,
         CASE WHEN closed > 0 THEN round(rework::numeric / closed, 6) END AS rework_rate,
         CASE WHEN due > 0 THEN round(extended::numeric / due, 6) END AS extension_rate,
         CASE WHEN registered > 0 THEN round(patrol::numeric / registered, 6) END
           AS patrol_rate,
         CASE WHEN registered > 0 THEN round(self_fixed::numeric / registered, 6) END
           AS self_fixed_rate,
         CASE WHEN registered > 0 THEN round(third_party::numeric / registered, 6) END
           AS third_party_rate,
         CASE WHEN rated > 0 THEN round(satisfied::numeric / rated, 6) END
           AS satisfaction_rate
  FROM r
), sc AS (
  SELECT q.*, CASE WHEN has_data THEN round(%(base)s::numeric
    + coalesce(%(w_closed_rate)s * closed_rate, 0) + coalesce(%(w_on_time_rate)s * on_time_rate, 0)
    + coalesce(%(w_rework_rate)s * rework_rate, 0)
    + coalesce(%(w_extension_rate)s * extension_rate, 0)
    + coalesce(%(w_patrol_rate)s * patrol_rate, 0)
    + coalesce(%(w_self_fixed_rate)s * self_fixed_rate, 0)
    + coalesce(%(w_third_party_rate)s * third_party_rate, 0)
    + coalesce(%(w_satisfaction_rate)s * (satisfaction_rate - 1), 0)
    + %(w_overdue)s * overdue + %(w_repeats)s * repeats + %(w_points)s * points, 2) END AS score
  FROM q
), rk AS (
  SELECT sc.*, CASE WHEN has_data
                 THEN rank() OVER (PARTITION BY m, has_data ORDER BY score DESC) END AS rnk
  FROM sc
), lr AS (  -- 末位: ranked last of the month, when at least two are ranked
  SELECT rk.*, coalesce(rnk = max(rnk) OVER (PARTITION BY m)
                        AND count(rnk) OVER (PARTITION BY m) >= 2, false) AS last_ranked
  FROM rk
)
SELECT c.id, c.name, {columns}, c.points, {rates}, c.score, c.rnk, c.has_data,
       p.rnk AS previous_rank, c.score - p.score AS score_change,
       c.last_ranked AND p.last_ranked AS last_two_months
FROM lr c JOIN lr p ON p.id = c.id AND p.m = 1
WHERE c.m = 0
ORDER BY c.has_data DESC, c.score DESC, c.name
"""


def baseline_sql(level: str, district: bool = False) -> str:
    """The statement for ``level``; with ``district``, scoped to ``%(district)s``."""
    unit, join, unit_fl, unit_rw, units = LEVELS[level]
    if district:
        units = UNITS_IN_DISTRICT[level]
    return SQL.format(unit=unit, join=join, unit_fl=unit_fl, unit_rw=unit_rw, units=units,
                      scope=_IN_DISTRICT if district else "",
                      columns=", ".join(f"c.{n}" for n in COUNTS),
                      rates=", ".join(f"c.{n}" for n in RATES))


def baseline(level: str, params: dict) -> list[dict]:
    """The statement's rows; ``params`` with a ``district`` scope them to it."""
    with connection.cursor() as c:
        c.execute(baseline_sql(level, "district" in params), params)
        names = [d.name for d in c.description]
        return [dict(zip(names, row, strict=True)) for row in c.fetchall()]


def parameters(month: str, now) -> dict:
    from tasks_app.evaluation import active_scheme, month_bounds, previous_month

    s0, e0 = month_bounds(month)
    s1, e1 = month_bounds(previous_month(month))
    scheme = active_scheme()
    weights = {f"w_{r}": Decimal(getattr(scheme, f"w_{r}")) for r in RATES}
    weights.update({k: Decimal(getattr(scheme, k)) for k in ("base", "w_overdue", "w_repeats",
                                                             "w_points")})
    return {"s0": s0, "e0": e0, "s1": s1, "e1": e1, "now": now, **weights}


def check_equal(level: str, rows, sql_rows: list[dict]) -> None:
    """Every figure of every unit, exactly; raises AssertionError naming the first difference."""
    by_id = {r["id"]: r for r in sql_rows}
    assert len(by_id) == len(rows), (level, len(by_id), len(rows))
    for row in rows:
        got = by_id[row.unit_id]
        want = {n: getattr(row, n) for n in COUNTS}
        want.update(points=row.points, score=row.score, rnk=row.rank, has_data=row.has_data,
                    last_two_months=row.last_two_months,
                    previous_rank=row.previous_rank, score_change=row.score_change,
                    **{n: row.rates[n] for n in RATES})
        have = {n: got[n] for n in want}
        for n in RATES:
            have[n] = None if have[n] is None else float(have[n])
        assert have == want, (level, row.unit_id, {k: (have[k], want[k]) for k in want
                                                    if have[k] != want[k]})


def _alternated_ms(figure, baseline) -> tuple[float, float]:
    """Medians of RUNS timed runs of each side, the sides alternated in rounds (and which goes
    first alternating too), after one warm-up run of each."""
    figure()
    baseline()
    times: dict = {figure: [], baseline: []}
    for i in range(RUNS):
        for fn in ((figure, baseline) if i % 2 == 0 else (baseline, figure)):
            start = time.perf_counter()
            fn()
            times[fn].append((time.perf_counter() - start) * 1000)
    return statistics.median(times[figure]), statistics.median(times[baseline])


# Ratings (群众满意度) for the month's closed citizen, hotline and media finds: one in three,
# the level and the day after closure drawn from the task id, as citizens would give them.
_RATINGS = """
INSERT INTO public_rating (task_id, level, comment, rated_at)
SELECT t.id, 1 + (hashint8(t.id) & 2147483647) %% 3, '', t.closed_at + interval '1 day'
FROM tasks_app_task t
WHERE t.status = 'closed' AND t.source IN ('citizen', 'hotline', 'media')
  AND t.closed_at >= %(s1)s AND t.closed_at + interval '1 day' < %(now)s
  AND t.id %% 3 = 0
  AND NOT EXISTS (SELECT 1 FROM public_rating r WHERE r.task_id = t.id)"""


def _ensure_ratings(params: dict) -> int:
    with connection.cursor() as c:
        c.execute(_RATINGS, params)
        c.execute("SELECT count(*) FROM public_rating")
        return c.fetchone()[0]


def _month_before(now) -> str:
    local = timezone.localtime(now)
    year, mon = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


def _month_size(params: dict) -> dict:
    with connection.cursor() as c:
        c.execute("SELECT count(*) FILTER (WHERE reported_at >= %(s0)s AND reported_at < %(e0)s),"
                  " count(*) FILTER (WHERE (deadline >= %(s0)s AND deadline < %(e0)s) OR "
                  "(closed_at >= %(s0)s AND closed_at < %(e0)s)), count(*) "
                  "FROM tasks_app_task WHERE status <> 'void'", params)
        registered, due, total = c.fetchone()
    return {"month_registered": registered, "month_due": due, "tasks_not_void": total}


# -- publishing ---------------------------------------------------------------------------------

PUBLISH_RUNS = 5
_INSERT_PUBLICATION = """
INSERT INTO tasks_app_evaluationpublication (month, version, published_by_id, published_at,
                                             reason, scheme, levels)
VALUES (%s, 1, %s, %s, '', %s, %s) RETURNING id"""
_INSERT_ROWS = """
INSERT INTO tasks_app_evaluationsnapshotrow (publication_id, level, district_id, unit_id,
                                             position, name, rank, score, data)
SELECT %s, * FROM unnest(%s::varchar[], %s::int[], %s::int[], %s::int[], %s::varchar[],
                         %s::int[], %s::numeric[], %s::jsonb[])"""


def _snapshot_data(level: str, r: dict) -> dict:
    """What ``Row.as_dict()`` holds, from a statement's row."""
    def num(v):
        return None if v is None else float(v)

    return {"level": level, "unit_id": r["id"], "name": r["name"],
            **{n: r[n] for n in COUNTS}, "points": float(r["points"]),
            "score": num(r["score"]), "rank": r["rnk"], "previous_rank": r["previous_rank"],
            "score_change": num(r["score_change"]), "has_data": r["has_data"],
            "last_two_months": r["last_two_months"], **{n: num(r[n]) for n in RATES}}


def publish_baseline(month: str, params: dict, scopes: list[int | None], user_id: int,
                     now) -> tuple[int, float, float]:
    """The same work as ``evaluation_publish`` done by hand: the statement of every level for
    every scope, then one publication row and one bulk INSERT of the snapshot rows. Returns
    the rows written and the seconds spent in the statements and in the INSERTs."""
    from tasks_app.evaluation import LEVELS as LEVEL_NAMES

    start = time.perf_counter()
    columns: list[list] = [[] for _ in range(8)]
    for district in scopes:
        scoped = params if district is None else {**params, "district": district}
        for level in LEVEL_NAMES:
            for position, r in enumerate(baseline(level, scoped)):
                for column, value in zip(columns, (
                        level, district, r["id"], position, r["name"], r["rnk"], r["score"],
                        json.dumps(_snapshot_data(level, r))), strict=True):
                    column.append(value)
    selected = time.perf_counter()
    with connection.cursor() as c:
        c.execute(_INSERT_PUBLICATION, [month, user_id, now, json.dumps({"name": "bench"}),
                                        json.dumps(list(LEVEL_NAMES))])
        publication = c.fetchone()[0]
        c.execute(_INSERT_ROWS, [publication, *columns])
    return len(columns[0]), selected - start, time.perf_counter() - selected


class _Rollback(Exception):
    pass


def _timed_rolled_back(fn) -> tuple[float, object]:
    """Seconds ``fn()`` took in a savepoint that is then rolled back (so every run does the same
    work on the same tables), and what it returned."""
    try:
        with transaction.atomic():
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, result


def _snapshot(publication_id: int) -> list[tuple]:
    with connection.cursor() as c:
        c.execute("SELECT level, district_id, position, unit_id, name, rank, score, data "
                  "FROM tasks_app_evaluationsnapshotrow WHERE publication_id = %s "
                  "ORDER BY level, district_id NULLS FIRST, position", [publication_id])
        return c.fetchall()


def measure_publish(month: str, params: dict, size: dict, total: int, built: float) -> None:
    """``evaluation_publish`` by a superuser against ``publish_baseline``, each run rolled back,
    the sides alternated (and which goes first in a pair), after one warm-up run of each.
    Before timing, both are run once and their snapshot rows checked equal."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from gridmgmt.models import Region
    from tasks_app.evaluation_services import evaluation_publish

    now = params["now"]
    scopes: list[int | None] = [None, *Region.objects.filter(level=Region.Level.DISTRICT)
                                .order_by("pk").values_list("pk", flat=True)]
    with transaction.atomic():  # the publisher too is rolled back at the end
        actor = get_user_model().objects.create_superuser("bench-publisher", None, None)

        def publish():
            return evaluation_publish(month=month, actor=actor, reason="")

        def by_hand():
            return publish_baseline(month, params, scopes, actor.pk, now)

        # Checked equal first: what publishing froze is what the statements give, row by row.
        def published():
            with CaptureQueriesContext(connection) as queries:
                publication = publish()
            return _snapshot(publication.pk), len(queries.captured_queries)

        def handmade():
            by_hand()
            with connection.cursor() as c:
                c.execute("SELECT id FROM tasks_app_evaluationpublication WHERE month = %s",
                          [month])
                (pk,), = c.fetchall()
            return _snapshot(pk)

        _s, (frozen, queries) = _timed_rolled_back(published)
        _s, expected = _timed_rolled_back(handmade)
        assert len(frozen) == len(expected), (len(frozen), len(expected))
        for mine, theirs in zip(frozen, expected, strict=True):
            assert mine == theirs, (mine, theirs)
        with connection.cursor() as c:
            c.execute("ANALYZE")  # every table's statistics fresh before timing
        _timed_rolled_back(publish)  # warm-up, each side
        _timed_rolled_back(by_hand)
        figures, bases, selects, inserts = [], [], [], []
        for i in range(PUBLISH_RUNS):
            for side in ((publish, by_hand) if i % 2 == 0 else (by_hand, publish)):
                elapsed, result = _timed_rolled_back(side)
                if side is publish:
                    figures.append(elapsed * 1000)
                else:
                    rows, select_s, insert_s = result
                    bases.append(elapsed * 1000)
                    selects.append(select_s * 1000)
                    inserts.append(insert_s * 1000)
        transaction.set_rollback(True)
    figure, base = statistics.median(figures), statistics.median(bases)
    print(json.dumps({
        "bench": "evaluation_publish", "tasks": total, "month": month, **size,
        "scopes": len(scopes), "levels": len(LEVELS), "snapshot_rows": len(frozen),
        "build_s": round(built, 1), "debug": settings.DEBUG,
        "figure": "evaluation_publish(month) by a superuser, rolled back",
        "figure_ms": round(figure, 1), "figure_runs_ms": [round(t) for t in figures],
        "baseline": "the hand-written statement of every level and scope + one bulk INSERT "
                    "of the same snapshot rows",
        "baseline_ms": round(base, 1), "baseline_runs_ms": [round(t) for t in bases],
        "baseline_statements_ms": round(statistics.median(selects), 1),
        "baseline_insert_ms": round(statistics.median(inserts), 1),
        "ratio": round(figure / base, 2), "target": f"<= {TARGET:g}",
        "queries": queries, "snapshot_equal": True}), flush=True)


def run(args) -> int:
    from gridmgmt import clock
    from tasks_app.evaluation import evaluate

    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    now = citygen.reference_now()
    month = _month_before(now)
    params = parameters(month, now)
    size = _month_size(params)
    size["ratings"] = _ensure_ratings(params)
    with connection.cursor() as c:
        c.execute("SHOW jit")
        size["jit"] = c.fetchone()[0]  # the server's setting, for both sides
        c.execute("ANALYZE")  # statistics fresh on every table
    # evaluate() reads the clock for "overdue": the instant the city was shaped for.
    with clock.frozen(now):
        for level in LEVELS:
            rows = evaluate(month, level)
            check_equal(level, rows, baseline(level, params))
            with CaptureQueriesContext(connection) as queries:
                evaluate(month, level)
            figure, base = _alternated_ms(lambda level=level: evaluate(month, level),
                                          lambda level=level: baseline(level, params))
            print(json.dumps({
                "bench": "evaluation", "level": level, "tasks": total, "month": month,
                **size, "units": len(rows), "build_s": round(built, 1),
                "figure": "evaluate(month, level)", "figure_ms": round(figure, 1),
                "baseline": "one hand-written SQL statement (GROUP BY), same figures",
                "baseline_ms": round(base, 1), "ratio": round(figure / base, 2),
                "target": f"<= {TARGET:g}", "queries": len(queries.captured_queries),
                "figures_equal": True}), flush=True)
        measure_publish(month, params, size, total, built)
    return 0
