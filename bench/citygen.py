"""Builds a city of a configurable size on PostgreSQL quickly: reference data through the ORM in
bulk, then tasks, their event logs and escalations with set-based INSERT … SELECT statements
(bench/citysql.py): a million tasks with four million events in a few minutes.

The default city: 3,000 grids of about 400 m on a 60 × 50 lattice, 300 communities, 30 streets,
one district; 200 roads (each row's centre line cut into four); 2,000 officers (grid officers,
road chiefs, community heads, street leaders, district supervisors, inspectors, department
handlers); the demo seeds' 25 categories with their real time limits, departments and dispatch
rules; a default work calendar with China's holidays.

Tasks come at a working bureau's daily rate (about 1,370 a day) for as long as the size needs,
up to two years: a million tasks span two years, 100,000 the last 73 days (``days_for``). So a
smaller city is the same bureau earlier in its life, not a quieter one: comparing 100k with 1M
measures what grows with the history kept (the table), with the day's and the month's work
equal, as a bureau's tables grow. Ids in report order, in the proportions of a working bureau:
about 90 % closed (11 % of them late, some after rework or an extension), 4 % void reports, the
rest open and spread over every state with the light and ladder level they would have now; 8 %
are repeats in chains of up to three (``repeat_of``, ``repeat_seq``, escalated as the services
would); every task has the event log the services would have written (``version`` = its number
of events).

``build_tasks(total, crossings=N)`` makes exactly N running tasks cross their yellow threshold as
of ``reference_now()``; every other running task's next check lies after it.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from urllib.parse import urlparse

GRID_COLS, CELL = 60, 0.004  # 3,000 grids of about 400 m on a 60 × 50 lattice
ORIGIN = (120.0, 30.1)
DAYS = 730  # the span of a full-size city
FULL = 1_000_000
# Bump when the generated city changes shape: an older bench database is dropped and rebuilt.
CITY_VERSION = 4


def days_for(total: int) -> int:
    """The days a city of ``total`` tasks spans: the full city's daily rate, at least a tenth of
    the full span (73 days: every benchmark's month and the month before are whole), at most
    the full span."""
    return round(DAYS * min(1.0, max(0.1, total / FULL)))
# Officers per role besides grid officers and road chiefs (one road chief per road).
PER_STREET_LEADERS, SUPERVISORS, INSPECTORS, HANDLERS_PER_DEPT = 2, 5, 60, 20

_reference_now: datetime | None = None


def _admin_url(url) -> str:
    return url._replace(path="/postgres").geturl()


def ensure_database() -> None:
    """Create the bench database; drop and recreate it when it holds an older city."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and _stale(url.geturl()):
            print(f"# dropping {name}: it holds an older bench city", flush=True)
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _stale(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        has_grids = conn.execute("SELECT to_regclass('gridmgmt_grid')").fetchone()[0]
        if not has_grids or not conn.execute("SELECT 1 FROM gridmgmt_grid LIMIT 1").fetchone():
            return False
        if not conn.execute("SELECT to_regclass('bench_city')").fetchone()[0]:
            return True
        row = conn.execute("SELECT version FROM bench_city WHERE id = 1").fetchone()
        return row is None or row[0] != CITY_VERSION


def _square(col: int, row: int) -> dict:
    x0, y0 = ORIGIN[0] + col * CELL, ORIGIN[1] + row * CELL
    ring = [[x0, y0], [x0 + CELL, y0], [x0 + CELL, y0 + CELL], [x0, y0 + CELL], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def road_layout(grids: int, roads: int) -> tuple[int, int]:
    """(segments per lattice row, columns per segment): each row's centre line is one road or
    is cut into several."""
    rows = max(1, grids // GRID_COLS)
    segs = max(1, roads // rows)
    return segs, max(1, GRID_COLS // segs)


def build_reference(grids: int = 3000, roads: int = 200, officers: int = 2000) -> None:
    """Regions, grids, roads, officers with duties, categories and a calendar, once per
    database."""
    from django.core.management import call_command
    from django.db import connection

    from gridmgmt.models import Grid

    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS bench_city (id int PRIMARY KEY, version int, "
                  "total int, crossings int, built_at timestamptz, dirty boolean)")
    if Grid.objects.exists():
        return
    start = time.perf_counter()
    _reference(grids, roads, officers)
    with connection.cursor() as c:
        c.execute("INSERT INTO bench_city (id, version, dirty) VALUES (1, %s, true) "
                  "ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, dirty = true",
                  [CITY_VERSION])
    print(f"# reference data built in {time.perf_counter() - start:.1f} s", flush=True)


def _reference(grids: int, roads: int, officers: int) -> None:
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.utils import timezone

    from gridmgmt.models import (
        Department,
        Duty,
        Grid,
        Officer,
        Region,
        Road,
        Role,
        WorkCalendar,
        WorkPeriod,
    )
    from gridmgmt.services import calendar_fill_from_holidays
    from gridmgmt.worktime import DEFAULT_PERIODS
    from seeds import data
    from tasks_app.models import Category

    district = Region.objects.create(code="BD", name="Bench", level="district")
    streets = Region.objects.bulk_create(
        [Region(code=f"BS{i:03d}", name=f"S{i}", level="street", parent=district)
         for i in range(max(1, grids // 100))])
    communities = Region.objects.bulk_create(
        [Region(code=f"BC{i:04d}", name=f"C{i}", level="community",
                parent=streets[min(i // 10, len(streets) - 1)])
         for i in range(max(1, grids // 10))])
    grid_rows = Grid.objects.bulk_create(
        [Grid(code=f"BG{i:05d}", name=f"G{i}", community=communities[min(i // 10,
                                                                           len(communities) - 1)],
              boundary=_square(i % GRID_COLS, i // GRID_COLS)) for i in range(grids)])
    segs, seg_cols = road_layout(grids, roads)
    road_rows = []
    for r in range(roads):
        row, seg = divmod(r, segs)
        y = ORIGIN[1] + (row + 0.5) * CELL
        x0 = ORIGIN[0] + seg * seg_cols * CELL
        x1 = ORIGIN[0] + (GRID_COLS if seg == segs - 1 else (seg + 1) * seg_cols) * CELL
        road_rows.append(Road(code=f"BR{r:03d}", name=f"R{r}", centre_line={
            "type": "LineString", "coordinates": [[x0, y], [x1, y]]}))
    Road.objects.bulk_create(road_rows)
    departments = {code: Department.objects.create(code=code, name=name, district=district)
                   for code, name in data.DEPARTMENTS}

    # Officers by role; grid officers take what the other roles leave of ``officers``.
    leaders = PER_STREET_LEADERS * len(streets)
    handlers = HANDLERS_PER_DEPT * len(departments)
    fixed = roads + len(communities) + leaders + SUPERVISORS + INSPECTORS + handlers
    n_grid_officers = max(1, officers - fixed)
    total = n_grid_officers + fixed
    password = make_password("bench-12345")  # one hash for all: the load test logs some in
    users = User.objects.bulk_create(
        [User(username=f"b{i:05d}", password=password) for i in range(total)])
    offs = Officer.objects.bulk_create(
        [Officer(user=u, name=u.username, email=f"{u.username}@example.org") for u in users])
    since = timezone.now() - timezone.timedelta(days=DAYS + 70)
    pool = iter(offs)

    def take(n: int) -> list[Officer]:
        return [next(pool) for _ in range(n)]

    grid_officers, chiefs = take(n_grid_officers), take(roads)
    heads, street_leaders = take(len(communities)), take(leaders)
    supervisors, inspectors, handler_pool = take(SUPERVISORS), take(INSPECTORS), take(handlers)
    duties = [Duty(officer=grid_officers[i % n_grid_officers], role=Role.GRID_OFFICER, grid=g,
                   valid_from=since) for i, g in enumerate(grid_rows)]
    duties += [Duty(officer=o, role=Role.ROAD_CHIEF, road=r, valid_from=since)
               for o, r in zip(chiefs, road_rows, strict=True)]
    duties += [Duty(officer=o, role=Role.COMMUNITY_HEAD, region=c, valid_from=since)
               for o, c in zip(heads, communities, strict=True)]
    duties += [Duty(officer=o, role=Role.STREET_LEADER, region=streets[i // PER_STREET_LEADERS],
                    valid_from=since) for i, o in enumerate(street_leaders)]
    duties += [Duty(officer=o, role=Role.DISTRICT_SUPERVISOR, region=district, valid_from=since)
               for o in supervisors]
    duties += [Duty(officer=o, role=Role.INSPECTOR, region=district, valid_from=since)
               for o in inspectors]
    dept_list = list(departments.values())
    for i, o in enumerate(handler_pool):
        o.department = dept_list[i // HANDLERS_PER_DEPT]
        duties.append(Duty(officer=o, role=Role.HANDLER, department=o.department,
                           valid_from=since))
    Officer.objects.bulk_update(handler_pool, ["department"])
    Duty.objects.bulk_create(duties)

    Category.objects.bulk_create([Category(
        code=cat.code, name=cat.name, kind=cat.kind, time_limit=Decimal(cat.limit),
        time_unit=cat.unit, points=Decimal(cat.points), high_deduction=cat.high_deduction,
        default_department=departments[cat.department] if cat.department else None,
        auto_dispatch=cat.auto_dispatch) for cat in data.CATEGORIES])

    cal = WorkCalendar.objects.create(name="Bench calendar", is_default=True)
    WorkPeriod.objects.bulk_create(
        [WorkPeriod(calendar=cal, weekday=wd, start=s, end=e) for wd in range(5)
         for s, e in DEFAULT_PERIODS])
    year = timezone.now().year
    calendar_fill_from_holidays(calendar=cal, years=[year - 2, year - 1, year, year + 1])


def reference_now() -> datetime:
    """The instant the tasks were shaped for: lights, levels and crossings hold as of it."""
    if _reference_now is None:
        raise RuntimeError("build_tasks() has not run in this process")
    return _reference_now


def city_is(total: int, crossings: int | None = None) -> bool:
    """Whether the database already holds an unmodified city of ``total`` tasks (built with
    ``crossings`` crossings, unless that is None)."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT total, crossings, dirty FROM bench_city WHERE id = 1 AND version = %s",
                  [CITY_VERSION])
        row = c.fetchone()
    return (row is not None and row[0] == total and not row[2]
            and (crossings is None or row[1] == crossings))


def mark_dirty() -> None:
    """A benchmark that changed the city (the load test) makes the next one rebuild it."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("UPDATE bench_city SET dirty = true WHERE id = 1")


def build_tasks(total: int, *, crossings: int) -> float:
    """Replace all tasks with ``total`` tasks over ``days_for(total)`` days (see the module
    docstring), with
    exactly ``crossings`` running tasks whose next threshold passed a minute before
    ``reference_now()``. Returns the seconds it took."""
    global _reference_now
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import citysql

    start = time.perf_counter()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE bench_city SET dirty = true WHERE id = 1")
        params = citysql.parameters(total=total, crossings=crossings, now=now)
        for statement in citysql.STATEMENTS:
            c.execute(statement, params)
        c.execute("SELECT count(*) FROM tasks_app_task WHERE next_escalation_at <= %s", [now])
        due = c.fetchone()[0]
        if due != crossings:
            raise AssertionError(f"{due} tasks are due at the reference instant, not {crossings}")
        c.execute("UPDATE bench_city SET total = %s, crossings = %s, built_at = %s, "
                  "dirty = false WHERE id = 1", [total, crossings, now])
    analyze()
    _reference_now = now
    return time.perf_counter() - start


def analyze() -> None:
    """``VACUUM ANALYZE`` of every table of the database, not only the ones just written: this
    machine's PostgreSQL runs with autovacuum off (so may a bureau's freshly loaded database),
    and a reference table without statistics (regions, grids, officers, duties, categories)
    makes the planner guess row counts and choose plans that walk every task."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")


def analyze_stale() -> list[str]:
    """``ANALYZE`` the tables never analysed, or changed since (a city reused from an earlier
    run, a benchmark that rolled its writes back); returns their names."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' AND "
                  "(n_mod_since_analyze > 0 OR coalesce(last_analyze, last_autoanalyze) IS NULL) "
                  "ORDER BY relname")
        stale = [name for (name,) in c.fetchall()]
        for name in stale:
            c.execute(f'ANALYZE "{name}"')
    return stale


def ensure_tasks(total: int, crossings: int | None = None) -> float:
    """Build the tasks unless an unmodified city of this size (and these crossings, unless
    None) is already there; benchmarks that roll their changes back leave it so. Its lights and
    crossings hold as of the instant it was built, which ``reference_now()`` then returns.
    Returns the seconds spent building."""
    global _reference_now
    from django.db import connection

    if city_is(total, crossings):
        with connection.cursor() as c:
            c.execute("SELECT built_at FROM bench_city WHERE id = 1")
            _reference_now = c.fetchone()[0]
        stale = analyze_stale()
        if stale:
            print(f"# analysed {len(stale)} tables changed since their statistics: "
                  f"{', '.join(stale[:8])}{' …' if len(stale) > 8 else ''}", flush=True)
        return 0.0
    return build_tasks(total, crossings=crossings or 0)


def summary() -> dict:
    """The city's proportions, as printed in bench/README.md."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT status, count(*) FROM tasks_app_task GROUP BY status ORDER BY 2 DESC")
        statuses = dict(c.fetchall())
        c.execute("SELECT light, count(*) FROM tasks_app_task WHERE status IN "
                  "('assigned', 'in_progress') GROUP BY light")
        lights = dict(c.fetchall())
        c.execute("SELECT count(*) FILTER (WHERE repeat_of_id IS NOT NULL), "
                  "count(*) FILTER (WHERE repeat_seq >= 3), count(*) FILTER (WHERE closed_late), "
                  "count(*) FILTER (WHERE rework_count > 0), count(*) FROM tasks_app_task")
        repeats, third, late, rework, tasks = c.fetchone()
        c.execute("SELECT count(*) FROM tasks_app_taskevent")
        events = c.fetchone()[0]
        c.execute("SELECT count(*) FROM gridmgmt_grid")
        grids = c.fetchone()[0]
        c.execute("SELECT count(*) FROM gridmgmt_road")
        roads = c.fetchone()[0]
        c.execute("SELECT count(*) FROM gridmgmt_officer")
        officers = c.fetchone()[0]
    return {"tasks": tasks, "events": events, "grids": grids, "roads": roads,
            "officers": officers, "status": statuses, "running_lights": lights,
            "repeats": repeats, "third_or_later_occurrence": third, "closed_late": late,
            "reworked": rework}
