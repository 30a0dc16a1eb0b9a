"""``python -m bench <name> [--tasks N]``: run one benchmark and print JSON lines.

Benchmarks run against PostgreSQL in a database of their own (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/gridtasks_bench``), never the one the app uses. Servers they
start listen on 127.0.0.1 only. See bench/README.md for what each one measures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

NAMES = ["sweep", "sweep_memory", "intake", "api_list", "load", "page_weight", "evaluation",
         "patrols", "console"]
# Benchmarks that set up their own Django (page_weight builds a small SQLite world).
STANDALONE = {"page_weight": "bench.page_weight_run"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=NAMES)
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
    if args.name in STANDALONE:
        return importlib.import_module(STANDALONE[args.name]).run(args)
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gridtasks_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)  # jobs are not enqueued from a benchmark
    from bench import citygen

    citygen.ensure_database()
    import django

    django.setup()
    module = importlib.import_module(f"bench.{args.name}")
    return module.run(args)


if __name__ == "__main__":
    sys.exit(main())
