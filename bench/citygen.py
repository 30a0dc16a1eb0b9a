"""Builds a city of a configurable size on PostgreSQL quickly: reference data through the ORM in
bulk, tasks with one INSERT … SELECT over generate_series (a million rows in well under a minute).
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

GRID_COLS, CELL = 60, 0.004  # 3,000 grids of about 400 m on a 60 × 50 lattice
ORIGIN = (120.0, 30.1)


def ensure_database() -> None:
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _square(col: int, row: int) -> dict:
    x0, y0 = ORIGIN[0] + col * CELL, ORIGIN[1] + row * CELL
    ring = [[x0, y0], [x0 + CELL, y0], [x0 + CELL, y0 + CELL], [x0, y0 + CELL], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def build_reference(grids: int = 3000, roads: int = 200, officers: int = 2000) -> None:
    """Regions, grids, roads, officers with duties and categories, once per database."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from gridmgmt.models import Duty, Grid, Officer, Region, Road, Role
    from tasks_app.models import Category

    call_command("migrate", verbosity=0)
    if Grid.objects.count() >= grids:
        return
    district = Region.objects.create(code="BD", name="Bench", level="district")
    streets = Region.objects.bulk_create(
        [Region(code=f"BS{i:03d}", name=f"S{i}", level="street", parent=district)
         for i in range(grids // 100)])
    communities = Region.objects.bulk_create(
        [Region(code=f"BC{i:04d}", name=f"C{i}", level="community",
                parent=streets[i % len(streets)]) for i in range(grids // 10)])
    Grid.objects.bulk_create(
        [Grid(code=f"BG{i:05d}", name=f"G{i}", community=communities[i // 10],
              boundary=_square(i % GRID_COLS, i // GRID_COLS)) for i in range(grids)])
    rows = grids // GRID_COLS
    Road.objects.bulk_create(
        [Road(code=f"BR{i:03d}", name=f"R{i}", centre_line={"type": "LineString", "coordinates": [
            [ORIGIN[0], ORIGIN[1] + (i % rows + 0.5) * CELL],
            [ORIGIN[0] + GRID_COLS * CELL, ORIGIN[1] + (i % rows + 0.5) * CELL]]})
         for i in range(roads)])
    users = User.objects.bulk_create([User(username=f"b{i:05d}") for i in range(officers)])
    offs = Officer.objects.bulk_create(
        [Officer(user=u, name=u.username, email=f"{u.username}@example.org") for u in users])
    since = timezone.now() - timezone.timedelta(days=800)
    grid_ids = list(Grid.objects.values_list("pk", flat=True))
    duties = [Duty(officer=offs[i % len(offs)], role=Role.GRID_OFFICER, grid_id=g,
                   valid_from=since) for i, g in enumerate(grid_ids)]
    duties += [Duty(officer=offs[-1 - i], role=Role.STREET_LEADER, region=s, valid_from=since)
               for i, s in enumerate(streets)]
    duties += [Duty(officer=offs[-100 - i], role=Role.COMMUNITY_HEAD, region=c,
                    valid_from=since) for i, c in enumerate(communities)]
    duties.append(Duty(officer=offs[0], role=Role.DISTRICT_SUPERVISOR, region=district,
                       valid_from=since))
    Duty.objects.bulk_create(duties)
    Category.objects.bulk_create(
        [Category(code=f"BK{i:02d}", name=f"K{i}", kind="event", time_limit=4 + i,
                  time_unit="work_hours", points=1 + i % 3) for i in range(15)])


def build_tasks(total: int, *, crossings: int) -> float:
    """Replace all tasks with ``total`` tasks over two years: about 85 % closed, 4 % void, the
    rest open with future thresholds, except exactly ``crossings`` open tasks whose next
    threshold has just passed. Returns the seconds it took."""
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as c:
        c.execute("TRUNCATE tasks_app_task CASCADE")
        c.execute("SELECT min(id), max(id) FROM gridmgmt_grid")
        gmin, gmax = c.fetchone()
        c.execute("SELECT min(id), max(id) FROM tasks_app_category")
        kmin, kmax = c.fetchone()
        c.execute("SELECT min(id), max(id) FROM gridmgmt_officer")
        omin, omax = c.fetchone()
        c.execute(
            """
            INSERT INTO tasks_app_task (
              code, category_id, source, title, description, lng, lat, address, grid_id,
              status, assignee_id, plan, fixed_on_spot, dispatched_at, deadline, yellow_at,
              level2_at, level3_at, next_escalation_at, light, escalation_level, supervised,
              repeat_seq, rework_count, extension_count, hold_from_status, held_seconds,
              version, reported_at, closed_at, closed_late, updated_at)
            SELECT
              'B' || i, %(kmin)s + i %% (%(kmax)s - %(kmin)s + 1),
              (ARRAY['patrol','inspector','third_party','city_inspection','citizen'])[1 + i %% 5],
              'bench', '', 120.0 + random() * 0.24, 30.1 + random() * 0.2, '',
              %(gmin)s + i %% (%(gmax)s - %(gmin)s + 1),
              CASE WHEN i <= %(cross)s THEN 'in_progress'
                   WHEN i %% 100 < 85 THEN 'closed' WHEN i %% 100 < 89 THEN 'void'
                   WHEN i %% 100 < 95 THEN 'assigned' ELSE 'in_progress' END,
              %(omin)s + i %% (%(omax)s - %(omin)s + 1), '', false,
              t, t + interval '8 hours', t + interval '6 hours', t + interval '16 hours',
              t + interval '32 hours',
              CASE WHEN i <= %(cross)s THEN now() - interval '1 minute'
                   WHEN i %% 100 >= 89 THEN now() + interval '1 day' END,
              'green', -1, false, 1, 0, 0, '', 0, 1, t,
              CASE WHEN i %% 100 < 85 THEN t + interval '5 hours' END, false, now()
            FROM (
              SELECT i, CASE WHEN i <= %(cross)s THEN now() - interval '7 hours'
                             WHEN i %% 100 >= 89 THEN now() - interval '1 hour'
                             ELSE now() - (i %% 730) * interval '1 day' END AS t
              FROM generate_series(1, %(total)s) AS i
            ) AS g
            """,
            {"kmin": kmin, "kmax": kmax, "gmin": gmin, "gmax": gmax, "omin": omin,
             "omax": omax, "cross": crossings, "total": total},
        )
        c.execute("ANALYZE tasks_app_task")
    return time.perf_counter() - start
