"""``python -m bench <name> [--tasks N]``: run one benchmark and print JSON lines.

Benchmarks run against PostgreSQL in a database of their own (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/gridtasks_bench``), never the one the app uses.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

NAMES = ["sweep"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=NAMES)
    parser.add_argument("--tasks", type=int, default=None,
                        help="tasks in the generated city (default per benchmark)")
    parser.add_argument("--crossings", type=int, default=2000)
    args = parser.parse_args(argv)
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
