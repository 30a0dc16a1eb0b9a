"""Sweep memory benchmark: the peak memory of one escalation sweep at 1M tasks with
``--crossings`` crossings (default 2,000), against the same process idle.

The parent builds the city (or takes the one the sweep benchmark left); a fresh child process
(``python -m bench.sweep_memory``) sets Django up, opens its database connection and runs one
query (idle: its peak RSS is the baseline), then sweeps as of the city's instant in a
transaction it rolls back. Figures: peak RSS (``ru_maxrss``) before and after the sweep, and
the peak of Python allocations (``tracemalloc``) during the idle query and during the sweep.
Target: the sweeping process's peak RSS at most 1.5x the idle one's (a sweep holds its
crossings, never the table: a sweep that read every task of a million would more than double
it).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

from bench import citygen

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(at: str) -> None:
    from datetime import datetime

    import django

    django.setup()
    from django.db import transaction

    from tasks_app import escalation
    from tasks_app.models import Task

    tracemalloc.start()
    Task.objects.filter(pk=1).exists()
    idle_traced = tracemalloc.get_traced_memory()[1]
    idle_rss = _rss_mb()
    tracemalloc.reset_peak()
    with transaction.atomic():
        result = escalation.sweep(datetime.fromisoformat(at))
        transaction.set_rollback(True)
    sweep_traced = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"idle_rss_mb": round(idle_rss, 1), "sweep_rss_mb": round(_rss_mb(), 1),
                      "idle_traced_mb": round(idle_traced / 2**20, 2),
                      "sweep_traced_mb": round(sweep_traced / 2**20, 2),
                      "crossed": sum(result.crossed.values()), "alerts": result.alerts}))


def run(args) -> int:
    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total, crossings=args.crossings)
    at = citygen.reference_now().isoformat()
    proc = subprocess.run([sys.executable, "-m", "bench.sweep_memory", at], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps({
        "bench": "sweep_memory", "tasks": total, "crossings": args.crossings,
        "crossed": m["crossed"], "alerts": m["alerts"], "build_s": round(built, 1),
        "figure": "peak RSS of a process that swept, MB", "sweep_rss_mb": m["sweep_rss_mb"],
        "baseline": "the same process before the sweep (Django set up, connected)",
        "idle_rss_mb": m["idle_rss_mb"],
        "ratio": round(m["sweep_rss_mb"] / m["idle_rss_mb"], 2), "target": "<= 1.5",
        "sweep_traced_peak_mb": m["sweep_traced_mb"],
        "idle_traced_peak_mb": m["idle_traced_mb"],
    }))
    return 0


if __name__ == "__main__":
    child(sys.argv[1])
