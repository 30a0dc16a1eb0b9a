"""What the growth benchmarks (console, maps_reports) share: a counter of the statements a block
runs, and the city sizes they measure."""

from __future__ import annotations

import os
import time

from django.db import connection


class StatementCounter:
    """Counts the statements run in a block, with each one's time and SQL (a request resets
    ``connection.queries``, so the test utilities' capture does not see a request's own)."""

    def __init__(self) -> None:
        self.n = 0
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.n += 1
            self.statements.append(((time.perf_counter() - start) * 1000, sql))

    def __enter__(self) -> StatementCounter:
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)


def city_sizes(args, variable: str) -> list[int]:
    """The city sizes to measure: ``$variable`` (comma-separated) when set, else ``--tasks``
    alone, else 100k and 1M (the growth)."""
    if os.environ.get(variable):
        return [int(s) for s in os.environ[variable].split(",")]
    return [args.tasks] if args.tasks else [100_000, 1_000_000]


def start_as_a_server() -> None:
    """Before timing pages in this process: what a server process does once it has loaded the
    app (``config.wsgi.start``: the map index and calendar warmed, start-up's objects frozen out
    of the garbage collector's way), as gunicorn's workers have it in production."""
    import importlib
    import sys

    if "config.wsgi" in sys.modules:
        sys.modules["config.wsgi"].start()
    else:
        importlib.import_module("config.wsgi")  # runs start()
