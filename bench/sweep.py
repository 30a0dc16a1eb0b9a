"""Sweep benchmark: the escalation sweep at 100k and at 1M tasks with the same number of
crossings, against one raw SQL UPDATE doing the same light changes on the same data.

Each measurement runs in a transaction that is rolled back, so every repetition sees the same
crossings. Figures: median of five runs, in milliseconds.
"""

from __future__ import annotations

import json
import statistics
import time

from django.db import connection, transaction

from bench import citygen

RUNS = 5


def _timed(fn) -> float:
    times = []
    for _ in range(RUNS):
        with transaction.atomic():
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
            transaction.set_rollback(True)
    return statistics.median(times)


def _raw_light_update(now) -> None:
    with connection.cursor() as c:
        c.execute(
            "UPDATE tasks_app_task SET light = CASE WHEN deadline <= %s THEN 'red' "
            "WHEN yellow_at <= %s THEN 'yellow' ELSE 'green' END "
            "WHERE next_escalation_at <= %s AND status IN ('assigned', 'in_progress')",
            [now, now, now])


def _measure(total: int, crossings: int) -> dict:
    from tasks_app import escalation

    built = citygen.build_tasks(total, crossings=crossings)
    # As of the instant the city was shaped for: exactly ``crossings`` thresholds have passed.
    now = citygen.reference_now()
    sweep_ms = _timed(lambda: escalation.sweep(now))
    raw_ms = _timed(lambda: _raw_light_update(now))
    # Nothing to do: sweep as of a time before any threshold passed.
    with transaction.atomic():
        escalation.sweep(now)
        start = time.perf_counter()
        idle = escalation.sweep(now)
        idle_ms = (time.perf_counter() - start) * 1000
        transaction.set_rollback(True)
    assert sum(idle.crossed.values()) == 0
    return {"tasks": total, "crossings": crossings, "build_s": round(built, 1),
            "sweep_ms": round(sweep_ms, 1), "raw_update_ms": round(raw_ms, 1),
            "idle_sweep_ms": round(idle_ms, 2)}


def run(args) -> int:
    citygen.build_reference()
    sizes = [args.tasks] if args.tasks else [100_000, 1_000_000]
    results = [_measure(n, args.crossings) for n in sizes]
    for r in results:
        print(json.dumps({"bench": "sweep", **r, "figure": "escalation.sweep, ms",
                          "baseline": "one raw SQL UPDATE of the same lights, ms",
                          "ratio": round(r["sweep_ms"] / r["raw_update_ms"], 2)}))
    if len(results) == 2:
        small, big = results
        print(json.dumps({
            "bench": "sweep_growth", "crossings": args.crossings,
            "figure": f"sweep at {big['tasks']} tasks, ms", "sweep_ms": big["sweep_ms"],
            "baseline": f"sweep at {small['tasks']} tasks, ms", "baseline_ms": small["sweep_ms"],
            "ratio": round(big["sweep_ms"] / small["sweep_ms"], 2), "target": "< 1.5"}))
        print(json.dumps({
            "bench": "sweep_idle", "tasks": big["tasks"],
            "figure": "sweep with nothing to do, ms", "idle_sweep_ms": big["idle_sweep_ms"],
            "baseline": f"sweep with {args.crossings} crossings, ms",
            "baseline_ms": big["sweep_ms"],
            "ratio": round(big["idle_sweep_ms"] / big["sweep_ms"], 3), "target": "< 1000 ms"}))
    return 0
