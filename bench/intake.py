"""Intake benchmark: one report through ``services.task_report`` (locate with the STRtree,
repeat detection, auto-dispatch with the deadline from the work calendar, the first event, and
for a repeat its escalation and alerts) against a bare INSERT of the same task row.

The reports are inspectors' and grid officers' patrol reports at random points of the city; one
in ten lands where a task of the same category was reported a few days earlier, so repeat
detection finds it, as in the city's own proportions. Without photos: storing an upload is file
I/O, not this code.

Each report and each bare INSERT runs in a transaction that is rolled back, so the city stays as
built and neither side pays a commit. Samples alternate between the two sides. Figures: p50 and
p99 in milliseconds, queries per report.
"""

from __future__ import annotations

import json
import random
import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import citygen

WARMUP = 30
SAMPLES = 1000

# The columns a report writes, in the order the bare INSERT sends them.
COLUMNS = [
    "code", "category_id", "source", "title", "description", "lng", "lat", "address",
    "grid_id", "road_id", "reporter_id", "status", "assignee_id", "department_id", "plan",
    "fixed_on_spot", "dispatched_at", "deadline", "yellow_at", "level2_at", "level3_at",
    "next_escalation_at", "light", "escalation_level", "supervised", "repeat_of_id",
    "repeat_seq", "rework_count", "extension_count", "hold_from_status", "held_seconds",
    "version", "reported_at", "closed_late", "updated_at", "campaign_id",
]


class _Rollback(Exception):
    pass


def _pick(rng: random.Random, people, categories, recent, rows: int):
    user, source = rng.choice(people)
    if recent and rng.random() < 0.1:
        category_id, lng, lat = rng.choice(recent)
        return user, source, categories[category_id], lng + 0.00004, lat
    col, row = rng.randrange(citygen.GRID_COLS), rng.randrange(rows)
    lng = citygen.ORIGIN[0] + (col + rng.uniform(0.05, 0.95)) * citygen.CELL
    lat = citygen.ORIGIN[1] + (row + rng.uniform(0.05, 0.95)) * citygen.CELL
    return user, source, rng.choice(list(categories.values())), lng, lat


def _report(args) -> tuple[float, dict, int]:
    from tasks_app import services

    user, source, category, lng, lat = args
    row: dict = {}
    start = time.perf_counter()
    try:
        with transaction.atomic():
            task = services.task_report(reporter=user, category=category, lng=lng, lat=lat,
                                        source=source, title="bench report")
            elapsed = time.perf_counter() - start
            row = {c: getattr(task, c) for c in COLUMNS}
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, row, 1 if row["repeat_of_id"] else 0


def _bare_insert(row: dict) -> float:
    values = dict(row, code=f"X{row['code']}")
    sql = (f"INSERT INTO tasks_app_task ({', '.join(COLUMNS)}) "  # noqa: S608 - our columns
           f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) RETURNING id")
    params = [values[c] for c in COLUMNS]
    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as c:
            c.execute(sql, params)
            c.fetchone()
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def run(args) -> int:
    from datetime import timedelta

    from django.contrib.auth.models import User

    from gridmgmt.models import Grid, Role
    from tasks_app.models import Category, Task

    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    now = citygen.reference_now()
    grids = Grid.objects.count()
    rng = random.Random(7)
    categories = {c.pk: c for c in Category.objects.all()}
    inspectors = list(User.objects.filter(officer__duties__role=Role.INSPECTOR)[:20])
    officers = list(User.objects.filter(officer__duties__role=Role.GRID_OFFICER)[:200])
    people = [(u, "inspector") for u in inspectors] + [(u, "patrol") for u in officers]
    recent = list(Task.objects.filter(reported_at__gte=now - timedelta(days=20))
                  .exclude(status="void").values_list("category_id", "lng", "lat")[:2000])
    picks = [_pick(rng, people, categories, recent, grids // citygen.GRID_COLS)
             for _ in range(WARMUP + SAMPLES)]
    for pick in picks[:WARMUP]:
        _bare_insert(_report(pick)[1])
    with CaptureQueriesContext(connection) as queries:
        _report(picks[WARMUP])
    per_report = sum(1 for q in queries.captured_queries
                     if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")))
    report_s, bare_s, repeats = [], [], 0
    for pick in picks[WARMUP:]:
        elapsed, row, repeat = _report(pick)
        report_s.append(elapsed)
        repeats += repeat
        bare_s.append(_bare_insert(row))
    p50, p99 = _pct(report_s, 50), _pct(report_s, 99)
    b50, b99 = _pct(bare_s, 50), _pct(bare_s, 99)
    print(json.dumps({
        "bench": "intake", "tasks": Task.objects.count(), "grids": grids,
        "samples": SAMPLES, "repeats_found": repeats, "build_s": round(built, 1),
        "figure": "services.task_report p50/p99 ms", "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2), "mean_ms": round(statistics.mean(report_s) * 1000, 2),
        "baseline": "bare INSERT of the same row", "baseline_p50_ms": round(b50, 3),
        "baseline_p99_ms": round(b99, 3), "ratio_p50": round(p50 / b50, 1),
        "ratio_p99": round(p99 / b99, 1), "target": "ratio_p50 <= 3",
        "queries_per_report": per_report,
    }))
    return 0
