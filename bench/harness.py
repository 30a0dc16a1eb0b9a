"""``python -m bench all [--tasks 1000000]``: every benchmark, in sequence, on one city.

Each benchmark runs in a process of its own (``python -m bench <name>``, so each starts from a
fresh Django, a flushed Redis and the same settings), one after the other, never two at once. The
city is built by the first benchmark that needs it (the sweep builds 100k and then the full size,
with its crossings) and reused by the next ones, which roll their writes back; the benchmarks that
measure growth (GROWTH) rebuild it at 100k and back at the full size; the load test changes it,
so it runs last. ``uptime``'s load averages (1, 5, 15 minutes) are recorded
before and after each benchmark.

Every JSON line the benchmarks print goes to ``bench/results/<UTC timestamp>.jsonl`` (the
directory is created on demand), each with ``load_before`` and ``load_after`` added, and
``bench`` when the line had none; the file starts with a ``{"harness": "start", ...}`` line
(commit, machine, city size) and has a ``{"harness": "bench", ...}`` line per benchmark (exit
code, seconds) and a ``{"harness": "end", ...}`` line. ``python -m bench table <file>`` prints
it as one markdown table.

Exit code 0 when every benchmark exited 0 (met its target), else 1; a benchmark that fails does
not stop the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
FULL = 1_000_000
# The order of a run: the sweep first (it builds the city at 100k and then at the full size with
# its crossings, which sweep_memory reuses); benchmarks that only read or roll back next; patrols
# (adds 30 days of patrols, kept) after them; the load test last (it changes tasks and users).
# A benchmark not named here runs before patrols.
ORDER = ["sweep", "sweep_memory", "intake", "api_list", "evaluation", "console",
         "maps_reports", "public_board", "patrols", "page_weight", "load"]
# Benchmarks that measure growth: without --tasks they run at 100k and at 1M (their own default),
# so at the full size they get no --tasks (each rebuilds the city at 100k and back at 1M).
GROWTH = {"sweep", "console", "maps_reports"}


def order(names: list[str]) -> list[str]:
    unknown = ORDER.index("patrols") - 0.5
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else unknown, n))


def command(name: str, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "bench", name]
    if name == "page_weight":
        pass  # its own world: the list with 200 tasks, not the city's size
    elif name in GROWTH and args.tasks == FULL:
        pass  # at the full size it measures 100k and 1M (its growth)
    else:
        cmd += ["--tasks", str(args.tasks)]
    for flag in ("crossings", "seconds", "concurrency", "workers", "days"):
        value = getattr(args, flag)
        if value is not None:
            cmd += [f"--{flag}", str(value)]
    return cmd


def load() -> list[float]:
    """The load averages ``uptime`` prints (1, 5, 15 minutes)."""
    return [round(x, 2) for x in os.getloadavg()]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _machine() -> dict:
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            memory = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "system": platform.platform()}


def run_one(name: str, args: argparse.Namespace, out) -> int:
    cmd = command(name, args)
    before, started = load(), time.monotonic()
    print(f"# {datetime.now(UTC):%H:%M:%S} {' '.join(cmd[2:])} (load {before})", flush=True)
    lines: list[dict] = []
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for text in proc.stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
            if text.lstrip().startswith("{"):
                try:
                    line = json.loads(text)
                except json.JSONDecodeError:
                    continue
                if isinstance(line, dict):
                    lines.append(line)
        code = proc.wait()
    after, seconds = load(), round(time.monotonic() - started, 1)
    for line in lines:
        line.setdefault("bench", name)
        line["load_before"], line["load_after"] = before, after
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.write(json.dumps({"harness": "bench", "name": name, "exit": code, "seconds": seconds,
                          "lines": len(lines), "load_before": before, "load_after": after})
              + "\n")
    out.flush()
    print(f"# {name}: exit {code} in {seconds} s (load {after})", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import benchmarks

    names = order(benchmarks())
    parser = argparse.ArgumentParser(prog="python -m bench all",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=FULL, help="city size (default 1,000,000)")
    parser.add_argument("--crossings", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--only", default=None, help="comma-separated benchmarks to run")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    parser.add_argument("--out", type=Path, default=None,
                        help="the results file (default bench/results/<UTC timestamp>.jsonl)")
    args = parser.parse_args(argv)
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"no such benchmark: {', '.join(unknown)} (have {', '.join(names)})")
        names = [n for n in names if n in wanted]
    names = [n for n in names if n not in set(args.skip.split(","))]
    started = datetime.now(UTC)
    path = args.out or RESULTS / f"{started:%Y%m%dT%H%M%SZ}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    codes: dict[str, int] = {}
    with open(path, "w", encoding="utf-8") as out:
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
        out.write(json.dumps({
            "harness": "start", "started": started.isoformat(timespec="seconds"),
            "tasks": args.tasks, "benchmarks": names,
            "commit": _git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else ""),
            "database": os.environ.get("BENCH_DATABASE_URL", "(default gridtasks_bench)"),
            "redis": os.environ.get("BENCH_REDIS_URL", "(default redis://127.0.0.1:6379/13)"),
            "machine": _machine(), "load": load(),
        }) + "\n")
        out.flush()
        print(f"# writing {path}", flush=True)
        for name in names:
            codes[name] = run_one(name, args, out)
        finished = datetime.now(UTC)
        out.write(json.dumps({
            "harness": "end", "finished": finished.isoformat(timespec="seconds"),
            "seconds": round((finished - started).total_seconds()), "exit": codes,
            "load": load(),
        }) + "\n")
    from bench import table

    print("\n" + table.table(table.read(path)) + "\n")
    print(f"# results in {path}; python -m bench table {path}", flush=True)
    return 0 if all(code == 0 for code in codes.values()) else 1
