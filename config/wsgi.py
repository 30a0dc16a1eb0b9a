from __future__ import annotations

import gc
import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Pay the first request's one-off costs at start-up, in each server process: the URLconf
    with the views it imports, the map index locate() needs (~0.2 s at 3,000 grids), the work
    calendar and the database session's caches of the task tables. Without a database at
    start-up the server still starts; the first report then builds them."""
    from django.db import DatabaseError
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view
    try:
        from tasks_app.services import warm_report

        warm_report()
    except DatabaseError:
        logging.getLogger(__name__).warning("Map index not built at start-up (no database).")


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


def start() -> None:
    """What a server process does once it has loaded the app (and the benchmarks do before
    timing pages in their own process, as a server would serve them)."""
    # WARM_AT_START=false: build lazily (the intake benchmark measures the difference).
    if os.environ.get("WARM_AT_START", "true").lower() not in ("0", "false", "no"):
        _warm()
    # What start-up loaded (Django, the app and its URLconf, the map index, the calendar) lives
    # as long as the process: moved to the collector's permanent generation, it is no longer
    # traversed by every full collection that requests trigger. Without it, an API list request
    # at a million tasks spent 4.8 ms on average in full collections over the ~150,000 objects
    # of start-up (of 29 ms). Under gunicorn --preload the freeze also keeps the shared pages
    # of the forked workers shared.
    gc.freeze()


start()
# The connection opened by the warm-up serves this process's first request. A server that forks
# after loading the app (gunicorn --preload) closes it first: no worker shares it.
os.register_at_fork(before=_close_connections)
