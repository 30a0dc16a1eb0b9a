"""Sweep benchmark: the escalation sweep against ONE hand-written SQL statement (data-modifying
CTEs) that leaves the same end state: task lights, levels, 督办 and next checks, the Escalation
rows and the outbox rows with their recipients.

Before timing, each side runs once in a transaction that is rolled back and the rows it leaves
are compared: the whole task table (every column of every row), and every Escalation and
Notification row it added (every column but the id). Then rounds of one run of each side, which
side goes first alternating, each in a transaction rolled back (every run sees the same
crossings) after a VACUUM of the tables they write; figures are medians, in milliseconds.
``ANALYZE`` of every table first.
"""

from __future__ import annotations

import json
import os
import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import citygen

ROUNDS = 7

# The sweep as one statement, the way a DBA would write it by hand. It reads each due task once
# (locked, as the sweep does), writes it once, and inserts the escalations (levels 0 to the one
# crossed) and the outbox rows (the ladder of DESIGN.md: the assignee; from level 1 the road
# chief of a task on a road and the community head; from 2 the street leader; at 3 the
# district supervisors, as their duties stand at ``now``).
HAND_WRITTEN = """
WITH due AS (
    SELECT id, escalation_level AS was,
           CASE WHEN escalation_level < 3 AND level3_at <= %(now)s THEN 3
                WHEN escalation_level < 2 AND level2_at <= %(now)s THEN 2
                WHEN escalation_level < 1 AND deadline <= %(now)s THEN 1
                WHEN escalation_level < 0 AND yellow_at <= %(now)s THEN 0
                ELSE escalation_level END AS lvl
    FROM tasks_app_task
    WHERE next_escalation_at <= %(now)s AND status IN ('assigned', 'in_progress')
    ORDER BY id
    FOR UPDATE
), moved AS (
    UPDATE tasks_app_task t SET
        escalation_level = due.lvl,
        supervised = t.supervised OR (due.lvl = 3 AND due.was < 3),
        light = CASE WHEN t.deadline <= %(now)s THEN 'red'
                     WHEN t.yellow_at <= %(now)s THEN 'yellow' ELSE 'green' END,
        next_escalation_at = LEAST(
            CASE WHEN t.deadline <= %(now)s THEN NULL
                 WHEN t.yellow_at <= %(now)s THEN t.deadline ELSE t.yellow_at END,
            CASE due.lvl WHEN -1 THEN t.yellow_at WHEN 0 THEN t.deadline
                         WHEN 1 THEN t.level2_at WHEN 2 THEN t.level3_at END)
    FROM due WHERE t.id = due.id
    RETURNING t.id, t.assignee_id, t.road_id, t.grid_id, due.was, due.lvl
), crossed AS (
    SELECT * FROM moved WHERE lvl > was
), esc AS (
    INSERT INTO tasks_app_escalation (task_id, level, reason, crossed_at)
    SELECT c.id, l.level, 'time', %(now)s FROM crossed c, generate_series(0, c.lvl) AS l(level)
    ON CONFLICT DO NOTHING
    RETURNING 1
), place AS (
    SELECT c.id, c.lvl, c.assignee_id, c.road_id, g.community_id,
           cm.parent_id AS street_id, st.parent_id AS district_id
    FROM crossed c
    LEFT JOIN gridmgmt_grid g ON g.id = c.grid_id
    LEFT JOIN gridmgmt_region cm ON cm.id = g.community_id
    LEFT JOIN gridmgmt_region st ON st.id = cm.parent_id
), duty AS (
    SELECT role, road_id, region_id, officer_id FROM gridmgmt_duty
    WHERE valid_from <= %(now)s AND (valid_to IS NULL OR valid_to > %(now)s)
      AND role IN ('road_chief', 'community_head', 'street_leader', 'district_supervisor')
), told AS (
    SELECT id, lvl, assignee_id AS officer_id FROM place WHERE assignee_id IS NOT NULL
    UNION SELECT p.id, p.lvl, d.officer_id FROM place p
          JOIN duty d ON d.role = 'road_chief' AND d.road_id = p.road_id WHERE p.lvl >= 1
    UNION SELECT p.id, p.lvl, d.officer_id FROM place p
          JOIN duty d ON d.role = 'community_head' AND d.region_id = p.community_id
          WHERE p.lvl >= 1
    UNION SELECT p.id, p.lvl, d.officer_id FROM place p
          JOIN duty d ON d.role = 'street_leader' AND d.region_id = p.street_id WHERE p.lvl >= 2
    UNION SELECT p.id, p.lvl, d.officer_id FROM place p
          JOIN duty d ON d.role = 'district_supervisor' AND d.region_id = p.district_id
          WHERE p.lvl >= 3
), outbox AS (
    INSERT INTO tasks_app_notification (kind, task_id, level, period, recipient_id, email,
                                        context, status, attempts, last_error, next_attempt_at,
                                        created_at)
    SELECT CASE WHEN t.lvl = 0 THEN 'yellow_warning' ELSE 'escalation' END, t.id, t.lvl, '',
           t.officer_id, o.email, '{}'::jsonb, 'pending', 0, '', %(now)s, %(now)s
    FROM told t JOIN gridmgmt_officer o ON o.id = t.officer_id
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM crossed), (SELECT count(*) FROM esc),
       (SELECT count(*) FROM outbox)
"""


def _hand_written(now) -> tuple[int, int, int, int]:
    with connection.cursor() as c:
        c.execute(HAND_WRITTEN, {"now": now})
        return c.fetchone()


def _sweep(now):
    from tasks_app import escalation

    return escalation.sweep(now)


def _max_ids() -> tuple[int, int]:
    with connection.cursor() as c:
        c.execute("SELECT (SELECT coalesce(max(id), 0) FROM tasks_app_escalation), "
                  "(SELECT coalesce(max(id), 0) FROM tasks_app_notification)")
        return c.fetchone()


def _end_state(before: tuple[int, int]) -> dict:
    """Every row of the task table (as text, hashed, plus the changed ones in full) and every
    Escalation and Notification row added since ``before`` (all columns but the id)."""
    esc_since, note_since = before
    with connection.cursor() as c:
        c.execute("SELECT md5(string_agg(md5(t::text), '' ORDER BY t.id)), count(*) "
                  "FROM tasks_app_task t")
        tasks_md5, tasks = c.fetchone()
        c.execute("SELECT task_id, level, reason, crossed_at FROM tasks_app_escalation "
                  "WHERE id > %s ORDER BY task_id, level", [esc_since])
        escalations = c.fetchall()
        c.execute("SELECT kind, task_id, level, period, recipient_id, email, context::text, "
                  "status, attempts, last_error, next_attempt_at, claimed_at, sent_at, "
                  "created_at FROM tasks_app_notification WHERE id > %s "
                  "ORDER BY task_id, level, recipient_id, kind", [note_since])
        notifications = c.fetchall()
        c.execute("SELECT (SELECT count(*) FROM tasks_app_escalation), "
                  "(SELECT count(*) FROM tasks_app_notification)")
        totals = c.fetchone()
    return {"tasks": tasks, "tasks_md5": tasks_md5, "escalations": escalations,
            "notifications": notifications, "totals": totals}


def _due_rows(now) -> list[tuple]:
    with connection.cursor() as c:
        c.execute("SELECT t.* FROM tasks_app_task t WHERE next_escalation_at <= %s "
                  "AND status IN ('assigned', 'in_progress') ORDER BY id", [now])
        return c.fetchall()


def _rolled_back(fn):
    with transaction.atomic():
        out = fn()
        transaction.set_rollback(True)
    return out


def _check_equal(now) -> dict:
    """Run each side once, rolled back, and compare what it leaves. Raises on a difference."""
    before = _max_ids()
    due_ids = [row[0] for row in _due_rows(now)]

    def side(fn):
        def run():
            result = fn()
            state = _end_state(before)
            with connection.cursor() as c:
                c.execute("SELECT t.* FROM tasks_app_task t WHERE id = ANY(%s) ORDER BY id",
                          [due_ids])
                state["due_rows"] = c.fetchall()
            return result, state
        return _rolled_back(run)

    swept, a = side(lambda: _sweep(now))
    counts, b = side(lambda: _hand_written(now))
    for key in ("due_rows", "escalations", "notifications", "totals", "tasks", "tasks_md5"):
        if a[key] != b[key]:
            diff = [(x, y) for x, y in zip(a[key], b[key], strict=False) if x != y][:3] \
                if isinstance(a[key], list) else (a[key], b[key])
            raise SystemExit(f"sweep and hand-written statement differ in {key}: {diff}")
    crossed = sum(swept.crossed.values())
    assert (swept.lights_checked, crossed, swept.alerts) == (counts[0], counts[1], counts[3]), \
        (swept.as_dict(), counts)
    return {"due": len(due_ids), "crossed": crossed, "escalations_added": len(a["escalations"]),
            "alerts_added": len(a["notifications"]), "end_state_equal": True}


def _vacuum() -> None:
    """Every run is rolled back, but leaves a dead version of each row it wrote (and its entry in
    each of the task table's indexes); autovacuum is off on this machine, so without this later
    runs would walk more and more of them. Each round starts from a vacuumed table."""
    with connection.cursor() as c:
        c.execute("VACUUM (INDEX_CLEANUP ON) tasks_app_task, tasks_app_escalation, "
                  "tasks_app_notification")


def _timed(fn) -> float:
    with transaction.atomic():
        start = time.perf_counter()
        fn()
        elapsed = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    return elapsed


def _measure(total: int, crossings: int) -> dict:
    built = citygen.ensure_tasks(total, crossings=crossings)
    with connection.cursor() as c:
        c.execute("ANALYZE")  # every table, as a freshly loaded bureau database should be
    # As of the instant the city was shaped for: exactly ``crossings`` thresholds have passed.
    now = citygen.reference_now()
    _vacuum()
    checked = _check_equal(now)
    with CaptureQueriesContext(connection) as queries:
        _rolled_back(lambda: _sweep(now))
    sides = {"sweep": lambda: _sweep(now), "hand": lambda: _hand_written(now)}
    runs: dict[str, list[float]] = {"sweep": [], "hand": []}
    for i in range(ROUNDS):
        _vacuum()
        order = ["sweep", "hand"] if i % 2 == 0 else ["hand", "sweep"]
        for name in order:
            runs[name].append(_timed(sides[name]))
    # Nothing to do: the same sweep run again once the first has moved everything.
    with transaction.atomic():
        _sweep(now)
        start = time.perf_counter()
        idle = _sweep(now)
        idle_ms = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    assert sum(idle.crossed.values()) == 0
    return {"tasks": total, "crossings": crossings, "build_s": round(built, 1), **checked,
            "figure_ms": round(statistics.median(runs["sweep"]), 1),
            "baseline_ms": round(statistics.median(runs["hand"]), 1),
            "sweep_runs_ms": [round(x) for x in runs["sweep"]],
            "hand_written_runs_ms": [round(x) for x in runs["hand"]],
            "sweep_queries": len(queries.captured_queries) - 2,  # less SAVEPOINT/ROLLBACK
            "idle_sweep_ms": round(idle_ms, 2),
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def run(args) -> int:
    citygen.build_reference()
    sizes = [args.tasks] if args.tasks else [100_000, 1_000_000]
    results = []
    met = True
    for n in sizes:
        r = _measure(n, args.crossings)
        results.append(r)
        ratio = round(r["figure_ms"] / r["baseline_ms"], 2)
        met = met and ratio <= 1.5
        print(json.dumps({
            "bench": "sweep", **r, "figure": "escalation.sweep, ms",
            "baseline": "one hand-written SQL statement (data-modifying CTEs), same end state, ms",
            "ratio": ratio, "target": "<= 1.5", "met": ratio <= 1.5}), flush=True)
    if len(results) == 2:
        small, big = results
        print(json.dumps({
            "bench": "sweep_growth", "crossings": args.crossings,
            "figure": f"sweep at {big['tasks']} tasks, ms", "figure_ms": big["figure_ms"],
            "baseline": f"sweep at {small['tasks']} tasks, ms", "baseline_ms": small["figure_ms"],
            "ratio": round(big["figure_ms"] / small["figure_ms"], 2), "target": "< 1.5"}))
        print(json.dumps({
            "bench": "sweep_idle", "tasks": big["tasks"],
            "figure": "sweep with nothing to do, ms", "idle_sweep_ms": big["idle_sweep_ms"],
            "baseline": f"sweep with {args.crossings} crossings, ms",
            "baseline_ms": big["figure_ms"],
            "ratio": round(big["idle_sweep_ms"] / big["figure_ms"], 3), "target": "< 1000 ms"}))
    return 0 if met else 1
