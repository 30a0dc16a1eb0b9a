"""``python -m bench <name> [--tasks N]``: run one benchmark and print JSON lines.

``python -m bench all [--tasks N]`` runs every benchmark in sequence and keeps their lines in
bench/results/ (bench/harness.py); ``python -m bench table <file.jsonl>`` prints them as one
markdown table (bench/table.py).

Benchmarks run against PostgreSQL in a database of their own (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/gridtasks_bench``), never the one the app uses, and with
Redis as production has it (``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/13``, flushed
before and after each benchmark): the cache, the throttles' counts and the job broker. Servers
they start listen on 127.0.0.1 only. See bench/README.md for what each one measures.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import sys
from pathlib import Path

NAMES = ["sweep", "sweep_memory", "intake", "api_list", "load", "page_weight", "evaluation",
         "patrols", "console", "maps_reports", "public_board"]
# Benchmarks that set up their own Django (page_weight builds a small SQLite world).
STANDALONE = {"page_weight": "bench.page_weight_run"}
# Modules of bench/ that are not benchmarks (a benchmark is a module with a top-level run(args)).
HELPERS = {"__init__", "__main__", "harness", "table", "citygen", "citysql", "server",
           "httpload", "api_settings", "api_urls", "page_weight", "page_weight_run"}
# Commands that are not benchmarks: they need neither Django nor the bench database.
COMMANDS = {"all": "bench.harness", "table": "bench.table"}


def benchmarks() -> list[str]:
    """NAMES, then any other module of bench/ with a top-level ``run`` (a benchmark added
    without registering it here still runs, and runs in ``all``)."""
    here = Path(__file__).parent
    found = [name for name in NAMES if name in STANDALONE or (here / f"{name}.py").exists()]
    for path in sorted(here.glob("*.py")):
        if path.stem in HELPERS or path.stem in NAMES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body):
            found.append(path.stem)
    return found


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=benchmarks())
    parser.add_argument("--tasks", type=int, default=None,
                        help="tasks in the generated city (default per benchmark)")
    parser.add_argument("--crossings", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=None,
                        help="how long a timed phase lasts (api_list, load)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="simultaneous clients (api_list, load)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (api_list, load; default 2 × cores + 1)")
    parser.add_argument("--days", type=int, default=None,
                        help="days of patrols at 10,000 a day (patrols; default 30)")
    args = parser.parse_args(argv)
    from bench import server

    # Production settings have Redis: the cache, the throttles' counts and the broker (jobs that
    # a benchmark enqueues stay in this database, which nothing consumes, until the flush).
    os.environ["REDIS_URL"] = server.redis_url()
    server.flush_redis()
    try:
        return _run(args)
    finally:
        left = server.flush_redis()
        if left:
            print(f"# flushed {left} keys from {server.redis_url()}", file=sys.stderr, flush=True)


def _run(args) -> int:
    if args.name in STANDALONE:
        return importlib.import_module(STANDALONE[args.name]).run(args)
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gridtasks_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from bench import citygen

    citygen.ensure_database()
    import django

    django.setup()
    module = importlib.import_module(f"bench.{args.name}")
    return module.run(args)


if __name__ == "__main__":
    sys.exit(main())
