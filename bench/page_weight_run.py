"""``python -m bench page_weight [--tasks 200]``: bench/page_weight.py in the harness's format.

The script builds its own throw-away SQLite world, so it runs in a subprocess of its own, twice:
the officer's list with ``--tasks`` open tasks (the figure; 200 by default, as the target says)
and with none (the baseline: what the page shell and its assets weigh before any task is on it).
Both read one collectstatic (production's compressed manifest storage) made by the first.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).with_name("page_weight.py")


def _measure(tasks: int, static_root: str) -> dict:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--tasks", str(tasks),
                           "--static-root", static_root],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):  # 1 only says the target was missed
        raise SystemExit(f"page_weight.py failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(args) -> int:
    from bench import server
    from bench.page_weight import DEFAULT_TASKS

    tasks = DEFAULT_TASKS if args.tasks is None else args.tasks
    with tempfile.TemporaryDirectory(prefix="page-weight-static-") as static_root:
        # Each world starts from an empty cache (both are SQLite worlds with the same ids).
        server.flush_redis()
        full = _measure(tasks, static_root)
        server.flush_redis()
        empty = _measure(0, static_root)
    kb = full["transferred_bytes"] / 1024
    print(json.dumps({
        "bench": "page_weight", "page": "/m/", "tasks": tasks,
        "tasks_shown": full["tasks_shown"],
        "figure": f"bytes a first visit downloads for /m/ with {tasks} tasks, as served",
        "figure_value": round(kb, 1), "unit": "KB",
        "transferred_bytes": full["transferred_bytes"],
        "html_bytes": full["html_bytes"], "html_sent": full["html_sent"],
        "html_encoding": full["html_encoding"],
        "baseline": "the same page with no tasks",
        "baseline_value": round(empty["transferred_bytes"] / 1024, 1),
        "baseline_bytes": empty["transferred_bytes"],
        "ratio": round(full["transferred_bytes"] / empty["transferred_bytes"], 2),
        "target": "< 60 KB", "target_bytes": full["target_bytes"], "met": full["ok"],
        "assets_sent": {url: a["body"] for url, a in full["assets"].items()},
        "assets_encoding": {url: a["encoding"] for url, a in full["assets"].items()},
        "warm_pages": full["warm_pages"], "warm_bytes": full["warm_bytes"],
    }, ensure_ascii=False))
    return 0 if full["ok"] else 1
