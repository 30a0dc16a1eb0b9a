"""``python -m bench patrols [--tasks N] [--days D]``: patrol coverage at a million tasks and 10,000
patrols a day.

The city of bench/citygen.py gets ``D`` days (default 30) of patrols written set-based: 10,000 a
day by the grid officers and road chiefs on duty, each with eight GPS check-ins and the grid or
road it covered (one ``PatrolPlace`` row; one patrol in three of a road chief also crosses a grid),
and a tenth of the places left unpatrolled for the last three days, so some are overdue.
Every table is ANALYZEd after the build. Then the coverage selector
(``tasks_app.patrols.selectors.coverage``: the rules, then the roads and the grids with their
latest visit and their visits this week) is timed for three scopes: every place (the overdue
alerts' job), a district supervisor's (the district's grids through the region tables, and the
roads crossing them) and a street leader's. Each is timed against one hand-written SQL statement
giving the same answer for the scope's grid and road ids (every place with its last patrol and
its patrols this week, by index probes), sides alternated, the median of each reported. Target:
the selector within 2x the statement, in every scope.
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

# The hand-written answer: each grid and road of the scope (their ids given) with its latest visit
# and its visits this week, each read by probes of the (place, last_at) indexes.
BASELINE = """
SELECT 'grid', g.id, g.code, g.name,
  (SELECT v.last_at FROM patrols_patrolplace v WHERE v.grid_id = g.id
   ORDER BY v.last_at DESC LIMIT 1),
  (SELECT count(*) FROM patrols_patrolplace v WHERE v.grid_id = g.id AND v.last_at >= %(week)s)
FROM gridmgmt_grid g WHERE g.id = ANY(%(grids)s)
UNION ALL
SELECT 'road', r.id, r.code, r.name,
  (SELECT v.last_at FROM patrols_patrolplace v WHERE v.road_id = r.id
   ORDER BY v.last_at DESC LIMIT 1),
  (SELECT count(*) FROM patrols_patrolplace v WHERE v.road_id = r.id AND v.last_at >= %(week)s)
FROM gridmgmt_road r WHERE r.id = ANY(%(roads)s)
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


def _scopes(now) -> list[tuple[str, object, list[int] | None]]:
    """(who, grids, roads) as the coverage is asked for: every place (the overdue alerts'
    job), and the scopes of the city's first district supervisor and street leader."""
    from gridmgmt.models import Duty, Grid, Role
    from tasks_app import authority

    out: list[tuple[str, object, list[int] | None]] = [("all places", Grid.objects.all(), None)]
    for role in (Role.DISTRICT_SUPERVISOR, Role.STREET_LEADER):
        duty = Duty.objects.valid_at(now).filter(role=role).order_by("pk").first()
        grids, roads = authority.of(duty.officer.user, at=now).patrol_scope()
        out.append((role, grids, roads))
    return out


def _measure(who: str, grids, roads, now) -> dict:
    from django.db import connection

    from gridmgmt.models import Road
    from tasks_app.patrols.selectors import coverage, week_start

    params = {"week": week_start(now), "grids": sorted(grids.values_list("pk", flat=True)),
              "roads": sorted(Road.objects.values_list("pk", flat=True)) if roads is None
              else roads}

    def ours():
        return coverage(grids=grids, roads=roads, now=now)

    def theirs():
        with connection.cursor() as c:
            c.execute(BASELINE, params)
            return c.fetchall()

    mine, sql = ours(), theirs()
    got = {(p.kind, p.pk): (p.last_at, p.patrols_week) for p in mine}
    want = {(kind, pk): (last, n) for kind, pk, _code, _name, last, n in sql}
    assert got == want, f"the selector and the statement disagree for {who}"
    times: dict[str, list[float]] = {"selector": [], "sql": []}
    for i in range(RUNS * 2):  # alternate the sides: ABAB… and BABA… halves
        side = ("selector", "sql")[(i + i // RUNS) % 2]
        fn = ours if side == "selector" else theirs
        t = time.perf_counter()
        fn()
        times[side].append((time.perf_counter() - t) * 1000)
    sel, base = statistics.median(times["selector"]), statistics.median(times["sql"])
    return {"role": who, "figure_ms": round(sel, 1), "baseline_ms": round(base, 1),
            "ratio": round(sel / base, 2), "places": len(mine),
            "overdue": sum(p.overdue for p in mine)}


def run(args) -> int:
    from bench import citygen

    total = args.tasks or 1_000_000
    citygen.build_reference()
    citygen.ensure_tasks(total)
    now = citygen.reference_now()
    days = getattr(args, "days", None) or 30
    size = build(days, now)
    print(json.dumps({"city": size}), flush=True)

    failed = 0
    for who, grids, roads in _scopes(now):
        line = _measure(who, grids, roads, now)
        failed += line["ratio"] > TARGET
        print(json.dumps({
            "bench": "patrols", "tasks": total, "role": line.pop("role"),
            "figure": "coverage of the scope's roads and grids (ms, median)",
            "baseline": "one hand-written statement, same answer (the scope's ids given)",
            "target": f"<= {TARGET}", **line, "days": days, "per_day": PER_DAY}), flush=True)
    return 1 if failed else 0
