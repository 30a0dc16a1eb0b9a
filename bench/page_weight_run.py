"""``python -m bench page_weight [--tasks 30]``: bench/page_weight.py in the harness's format.

The script builds its own throw-away SQLite world, so it runs in a subprocess of its own, twice:
the officer's list with ``--tasks`` open tasks (the figure) and with none (the baseline: what the
page shell and its assets weigh before any task is on it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("page_weight.py")


def _measure(tasks: int) -> dict:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--tasks", str(tasks)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):  # 1 only says the target was missed
        raise SystemExit(f"page_weight.py failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(args) -> int:
    tasks = 30 if args.tasks is None else args.tasks
    full, empty = _measure(tasks), _measure(0)
    print(json.dumps({
        "bench": "page_weight", "page": "/m/", "tasks": tasks,
        "tasks_shown": full["tasks_shown"],
        "figure": f"bytes transferred (gzip) for /m/ with {tasks} tasks",
        "transferred_bytes": full["transferred_bytes"], "html_gzip": full["html_gzip"],
        "baseline": "the same page with no tasks", "baseline_bytes": empty["transferred_bytes"],
        "ratio": round(full["transferred_bytes"] / empty["transferred_bytes"], 2),
        "target_bytes": full["target_bytes"], "ok": full["ok"],
        "assets_gzip": {url: a["gzip"] for url, a in full["assets"].items()},
    }, ensure_ascii=False))
    return 0 if full["ok"] else 1
