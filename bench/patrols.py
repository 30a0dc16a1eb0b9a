"""``python -m bench patrols [--tasks N] [--days D]``: patrol coverage at a million tasks and 10,000
patrols a day.

The city of bench/citygen.py gets ``D`` days (default 30) of patrols written set-based: 10,000 a
day by the grid officers and road chiefs on duty, each with eight GPS check-ins and the grid or
road it covered (one ``PatrolPlace`` row; one patrol in three of a road chief also crosses a grid),
and a tenth of the places left unpatrolled for the last three days, so some are overdue.
Every table is ANALYZEd after the build. Then the coverage selector
(``tasks_app.patrols.selectors.coverage``: places, rules and one aggregate, every road and grid
of the district, as a district supervisor sees it) is timed against one hand-written SQL
statement giving the same answer (every place with its last patrol and its patrols this week),
sides alternated, the median of each reported. Target: the selector within 2x the statement.
"""

from __future__ import annotations

import json
import statistics
import time

RUNS = 15
TARGET = 2  # the selector within 2x the statement
PER_DAY = 10_000
CHECK_INS = 8

BUILD = """
DELETE FROM patrols_patrolalert;
DELETE FROM patrols_patrolfinding;
DELETE FROM patrols_patrolplace;
DELETE FROM patrols_checkin;
DELETE FROM patrols_patrol;
CREATE TEMP TABLE bench_patroller AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS n, officer_id, grid_id, road_id
  FROM gridmgmt_duty WHERE role IN ('grid_officer', 'road_chief') AND valid_to IS NULL;
-- Patrol p: its officer and place by a hash of p; the last three days skip a tenth of places.
INSERT INTO patrols_patrol (id, officer_id, status, started_at, ended_at, distance_m,
                            check_in_count, last_lng, last_lat, last_at)
SELECT p, d.officer_id, 'ended', s, s + interval '50 minutes', 2400, %(check_ins)s, 120.1, 30.2,
       s + interval '50 minutes'
FROM (SELECT p, %(now)s::timestamptz - (p::float / %(per_day)s) * interval '1 day'
             - interval '1 hour' AS s,
             (hashtext(p::text) & 2147483647) %% (SELECT count(*) FROM bench_patroller) AS k
      FROM generate_series(1, %(patrols)s) AS p) AS x
JOIN bench_patroller d ON d.n = x.k
WHERE NOT (x.s > %(now)s::timestamptz - interval '3 days'
           AND coalesce(d.grid_id, d.road_id) %% 10 = 0);
INSERT INTO patrols_checkin (patrol_id, kind, lng, lat, accuracy_m, at, counted, grid_id,
                             road_id, key, received_at)
SELECT pt.id, 'point', 120.1 + i * 0.0005, 30.2, 8, pt.started_at + i * interval '6 minutes',
       true, d.grid_id, d.road_id, '', pt.started_at + i * interval '6 minutes'
FROM patrols_patrol pt
JOIN bench_patroller d ON d.officer_id = pt.officer_id
 AND d.n = (hashtext(pt.id::text) & 2147483647) %% (SELECT count(*) FROM bench_patroller)
CROSS JOIN generate_series(0, %(check_ins)s - 1) AS i;
INSERT INTO patrols_patrolplace (patrol_id, road_id, grid_id, first_at, last_at)
SELECT DISTINCT ON (patrol_id, road_id, grid_id) patrol_id, road_id, grid_id,
       min(at) OVER w, max(at) OVER w
FROM patrols_checkin WINDOW w AS (PARTITION BY patrol_id, road_id, grid_id);
-- A road chief's patrol crosses a grid too, one in three.
INSERT INTO patrols_patrolplace (patrol_id, road_id, grid_id, first_at, last_at)
SELECT v.patrol_id, NULL, 1 + (hashtext(v.patrol_id::text) & 2147483647) %% %(grids)s,
       v.first_at, v.last_at
FROM patrols_patrolplace v WHERE v.road_id IS NOT NULL AND v.patrol_id %% 3 = 0;
SELECT setval(pg_get_serial_sequence('patrols_patrol', 'id'), %(patrols)s + 1);
"""

# The hand-written answer: every grid and road with its last patrol and its patrols this week.
BASELINE = """
SELECT 'grid', g.id, g.code, g.name, v.last, coalesce(v.n_week, 0)
FROM gridmgmt_grid g LEFT JOIN (
  SELECT grid_id, max(last_at) AS last, count(*) FILTER (WHERE last_at >= %(week)s) AS n_week
  FROM patrols_patrolplace WHERE grid_id IS NOT NULL GROUP BY grid_id) v ON v.grid_id = g.id
UNION ALL
SELECT 'road', r.id, r.code, r.name, v.last, coalesce(v.n_week, 0)
FROM gridmgmt_road r LEFT JOIN (
  SELECT road_id, max(last_at) AS last, count(*) FILTER (WHERE last_at >= %(week)s) AS n_week
  FROM patrols_patrolplace WHERE road_id IS NOT NULL GROUP BY road_id) v ON v.road_id = r.id
"""

TABLES = ("patrols_patrol", "patrols_checkin", "patrols_patrolplace", "patrols_patrolrule",
          "gridmgmt_grid", "gridmgmt_road", "gridmgmt_duty", "gridmgmt_region",
          "tasks_app_task")


def build(days: int, now) -> dict:
    from django.db import connection, transaction

    from gridmgmt.models import Grid

    start = time.perf_counter()
    params = {"now": now, "per_day": PER_DAY, "patrols": PER_DAY * days,
              "check_ins": CHECK_INS, "grids": Grid.objects.count()}
    with transaction.atomic(), connection.cursor() as c:
        for statement in BUILD.split(";\n"):
            if statement.strip():
                c.execute(statement, params)
    built = time.perf_counter() - start
    with connection.cursor() as c:
        for table in TABLES:
            c.execute(f"VACUUM ANALYZE {table}")  # fresh statistics for every table
        c.execute("SELECT (SELECT count(*) FROM patrols_patrol), "
                  "(SELECT count(*) FROM patrols_checkin), "
                  "(SELECT count(*) FROM patrols_patrolplace), "
                  "(SELECT count(*) FROM tasks_app_task)")
        patrols, check_ins, places, tasks = c.fetchone()
    return {"build_s": round(built, 1), "patrols": patrols, "check_ins": check_ins,
            "places_rows": places, "tasks": tasks}


def run(args) -> int:
    from django.db import connection

    from bench import citygen
    from gridmgmt.models import Grid
    from tasks_app.patrols.selectors import coverage, week_start

    total = args.tasks or 1_000_000
    citygen.build_reference()
    citygen.ensure_tasks(total)
    now = citygen.reference_now()
    days = getattr(args, "days", None) or 30
    size = build(days, now)
    print(json.dumps({"city": size}), flush=True)

    def ours():
        return coverage(grids=Grid.objects.all(), roads=None, now=now)

    def theirs():
        with connection.cursor() as c:
            c.execute(BASELINE, {"week": week_start(now)})
            return c.fetchall()

    mine, sql = ours(), theirs()
    got = {(p.kind, p.pk): (p.last_at, p.patrols_week) for p in mine}
    want = {(kind, pk): (last, n) for kind, pk, _code, _name, last, n in sql}
    assert got == want, "the selector and the statement disagree"
    overdue = sum(p.overdue for p in mine)
    times = {"selector": [], "sql": []}
    for i in range(RUNS * 2):  # alternate the sides: ABAB… and BABA… halves
        side = ("selector", "sql")[(i + i // RUNS) % 2]
        fn = ours if side == "selector" else theirs
        t = time.perf_counter()
        fn()
        times[side].append((time.perf_counter() - t) * 1000)
    sel, base = statistics.median(times["selector"]), statistics.median(times["sql"])
    print(json.dumps({
        "bench": "patrols", "tasks": total,
        "figure": "coverage of every road and grid (ms, median)", "figure_ms": round(sel, 1),
        "baseline": "one hand-written statement, same answer", "baseline_ms": round(base, 1),
        "ratio": round(sel / base, 2), "target": f"<= {TARGET}",
        "places": len(mine), "overdue": overdue, "days": days,
        "per_day": PER_DAY}), flush=True)
    return 0 if sel <= TARGET * base else 1
