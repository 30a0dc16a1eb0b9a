"""Intake benchmark: one report through ``services.task_report`` (locate with the STRtree,
repeat detection, auto-dispatch with the deadline from the work calendar, the first event, and
for a repeat its escalation and alerts) against the same reads and writes as hand-written SQL in
one transaction; ``POST /api/v1/tasks/`` end to end on gunicorn against the service call; and
the first report of a fresh process against its later ones.

The reports are inspectors' and grid officers' patrol reports at random points of the city; one
in ten lands where a task of the same category was reported a few days earlier, so repeat
detection finds it, as in the city's own proportions. Without photos: storing an upload is file
I/O, not this code.

1. Service against SQL. Each report runs in a transaction that is rolled back, so the city stays
   as built and neither side pays a commit. The service runs as it does under the API (its own
   transaction, the outermost one: no savepoint; the benchmark's block plays that transaction
   and rolls it back). The baseline then sends, in one transaction also rolled back, the
   statements a hand-written version needs for the same report, with the values the service
   wrote: the reporter's officer with their duties (the source they may claim), the grid and
   road rows (locate's answer; the spatial search itself is not redone in SQL), the repeat
   lookup, the handler or grid officer on duty, the calendar days between the report and its
   deadline (working-time categories), one INSERT of the task with its code computed in the
   statement, the event INSERT, and for a repeat the escalation rows, the ladder's holders and
   the outbox rows. The two sides alternate, report by report, in rounds.
2. End to end. gunicorn (bench/server.py, one worker, production settings) answers
   ``POST /api/v1/tasks/`` (token auth, JSON) from a client in a second process sending one
   request at a time (this module run as ``python -m bench.intake PLAN``, standard library
   only); rounds of requests alternate with rounds of service calls in this process. These
   reports are committed; they are deleted afterwards, so the city stays as built.
3. First report. A fresh process loads the app as a server does (``config.wsgi``, which warms
   the map index and the calendar; and once with ``WARM_AT_START=false``), then times its first
   report and the next ones (rolled back).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

WARMUP = 30
SAMPLES = 1000
HTTP_ROUNDS, HTTP_PER_ROUND = 4, 60
FIRST_REPORT_RUNS, LATER_REPORTS = 5, 20
ROOT = Path(__file__).resolve().parents[1]


class _Rollback(Exception):
    pass


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


# -- the reports --------------------------------------------------------------------------------

def _people():
    from django.contrib.auth.models import User

    from gridmgmt.models import Role

    inspectors = list(User.objects.filter(officer__duties__role=Role.INSPECTOR)
                      .distinct().order_by("pk")[:20])
    officers = list(User.objects.filter(officer__duties__role=Role.GRID_OFFICER)
                    .distinct().order_by("pk")[:200])
    return [(u, "inspector") for u in inspectors] + [(u, "patrol") for u in officers]


def _picks(n: int, seed: int = 7) -> list[tuple]:
    """``n`` reports: (user, source, category, lng, lat)."""
    from datetime import timedelta

    from bench import citygen
    from gridmgmt.models import Grid
    from tasks_app.models import Category, Task

    rng = random.Random(seed)
    rows = Grid.objects.count() // citygen.GRID_COLS
    people = _people()
    categories = list(Category.objects.filter(is_active=True).order_by("pk"))
    by_pk = {c.pk: c for c in categories}
    try:
        now = citygen.reference_now()
    except RuntimeError:  # a fresh process (first_report_child): the instant the city was built
        from django.db import connection

        with connection.cursor() as c:
            c.execute("SELECT built_at FROM bench_city WHERE id = 1")
            now = c.fetchone()[0]
    recent = list(Task.objects.filter(reported_at__gte=now - timedelta(days=20))
                  .exclude(status="void").order_by("pk")
                  .values_list("category_id", "lng", "lat")[:2000])
    picks = []
    for _ in range(n):
        user, source = rng.choice(people)
        if recent and rng.random() < 0.1:
            category_id, lng, lat = rng.choice(recent)
            if category_id in by_pk:
                picks.append((user, source, by_pk[category_id], lng + 0.00004, lat))
                continue
        col, row = rng.randrange(citygen.GRID_COLS), rng.randrange(rows)
        lng = citygen.ORIGIN[0] + (col + rng.uniform(0.05, 0.95)) * citygen.CELL
        lat = citygen.ORIGIN[1] + (row + rng.uniform(0.05, 0.95)) * citygen.CELL
        picks.append((user, source, rng.choice(categories), lng, lat))
    return picks


def _service_call():
    """task_report without its own atomic block, for a caller whose block is the transaction
    (the API calls it outside any transaction, so there it is the outermost block). Called as
    the API calls it (channel "api": the reporter's duties decide the source)."""
    import inspect

    from gridmgmt.services import reference_checked
    from tasks_app import services

    raw = inspect.unwrap(services.task_report)

    def call(**kwargs):
        with reference_checked():
            return raw(**kwargs)
    return call


def _report(call, pick, capture: bool = True) -> tuple[float, dict | None]:
    """One report, rolled back; what it wrote (for the baseline) unless ``capture`` is off."""
    from django.db import transaction

    from tasks_app.models import Escalation, Notification, TaskEvent

    user, source, category, lng, lat = pick
    # A fresh user, as each request's token authentication gives (not timed): the service
    # reads their officer and duties itself.
    user = type(user).objects.get(pk=user.pk)
    written = None
    start = time.perf_counter()
    try:
        with transaction.atomic():
            task = call(reporter=user, category=category, lng=lng, lat=lat, source=source,
                        title="bench report", channel="api")
            elapsed = time.perf_counter() - start
            if capture:
                written = {
                    "task": task, "user_id": user.pk,
                    "event": TaskEvent.objects.filter(task=task).values().get(),
                    "escalations": list(Escalation.objects.filter(task=task).values()),
                    "notifications": list(Notification.objects.filter(task=task).values()),
                }
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, written


# -- the hand-written baseline ------------------------------------------------------------------

def _insert_sql(table: str, rows: list[dict], skip: tuple[str, ...] = ("id",)) -> tuple[str, list]:
    columns = [c for c in rows[0] if c not in skip]
    values = ", ".join("(" + ", ".join(["%s"] * len(columns)) + ")" for _ in rows)
    params = [_db_value(row[c]) for row in rows for c in columns]
    return (f'INSERT INTO {table} ({", ".join(columns)}) VALUES {values}',  # noqa: S608
            params)


def _db_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _task_columns(task) -> dict:
    return {f.column: getattr(task, f.attname) for f in task._meta.concrete_fields}


def _baseline(written: dict) -> float:
    """The same report's reads and writes as hand-written SQL, in one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    task = written["task"]
    category = task.category
    row = _task_columns(task)
    columns = [c for c in row if c not in ("id", "code")]
    day = f"{timezone.localtime(task.reported_at):%Y%m%d}"
    insert_task = (
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('tasks_app_task', 'id')) AS id) "
        f"INSERT INTO tasks_app_task (id, code, {', '.join(columns)}) "  # noqa: S608
        f"SELECT n.id, %s || lpad(n.id::text, 7, '0'), {', '.join(['%s'] * len(columns))} "
        "FROM n RETURNING id")
    task_params = [day, *(_db_value(row[c]) for c in columns)]
    event = dict(written["event"])
    radius_deg = category.repeat_radius_m / 111_000
    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as c:
            c.execute("SELECT o.id, o.department_id, d.role FROM gridmgmt_officer o "
                      "LEFT JOIN gridmgmt_duty d ON d.officer_id = o.id AND d.valid_from <= %s "
                      "AND (d.valid_to IS NULL OR d.valid_to > %s) WHERE o.user_id = %s",
                      [task.reported_at, task.reported_at, written["user_id"]])
            c.fetchall()
            c.execute("SELECT g.id, g.code, g.name, g.community_id, r.id, r.code "
                      "FROM gridmgmt_grid g LEFT JOIN gridmgmt_road r ON r.id = %s "
                      "WHERE g.id = %s", [task.road_id, task.grid_id])
            c.fetchall()
            c.execute("SELECT id, lng, lat, reported_at, repeat_seq FROM tasks_app_task "
                      "WHERE category_id = %s AND reported_at >= %s AND reported_at <= %s "
                      "AND lng BETWEEN %s AND %s AND lat BETWEEN %s AND %s "
                      "AND status <> 'void' ORDER BY reported_at DESC, id DESC",
                      [category.pk, task.reported_at - _days(category.repeat_window_days),
                       task.reported_at, task.lng - radius_deg * 1.2,
                       task.lng + radius_deg * 1.2, task.lat - radius_deg, task.lat + radius_deg])
            c.fetchall()
            if category.auto_dispatch:
                if category.default_department_id:
                    c.execute("SELECT o.id, o.department_id FROM gridmgmt_officer o "
                              "JOIN gridmgmt_duty d ON d.officer_id = o.id "
                              "WHERE d.role = 'handler' AND d.department_id = %s "
                              "AND d.valid_from <= %s AND (d.valid_to IS NULL OR d.valid_to > %s) "
                              "ORDER BY o.id LIMIT 1",
                              [category.default_department_id, task.reported_at,
                               task.reported_at])
                    c.fetchall()
                if task.department_id is None or not category.default_department_id:
                    c.execute("SELECT o.id, o.department_id FROM gridmgmt_officer o "
                              "JOIN gridmgmt_duty d ON d.officer_id = o.id "
                              "WHERE d.role = 'grid_officer' AND d.grid_id = %s "
                              "AND d.valid_from <= %s AND (d.valid_to IS NULL OR d.valid_to > %s) "
                              "ORDER BY o.id LIMIT 1",
                              [task.grid_id, task.reported_at, task.reported_at])
                    c.fetchall()
            if task.deadline is not None and category.time_unit != "hours":
                c.execute("SELECT d.date, d.kind FROM gridmgmt_calendarday d "
                          "JOIN gridmgmt_workcalendar w ON w.id = d.calendar_id AND w.is_default "
                          "WHERE d.date BETWEEN %s AND %s",
                          [task.reported_at.date(), task.level3_at.date()])
                c.fetchall()
            c.execute(insert_task, task_params)
            task_id = c.fetchone()[0]
            event["task_id"] = task_id
            sql, params = _insert_sql("tasks_app_taskevent", [event])
            c.execute(sql, params)
            if written["escalations"]:
                rows = [dict(e, task_id=task_id) for e in written["escalations"]]
                sql, params = _insert_sql("tasks_app_escalation", rows)
                c.execute(sql, params)
                c.execute("SELECT role, road_id, region_id, officer_id FROM gridmgmt_duty "
                          "WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) AND "
                          "((role = 'road_chief' AND road_id = %s) OR (role IN "
                          "('community_head', 'street_leader', 'district_supervisor') AND "
                          "region_id IN (SELECT g.community_id FROM gridmgmt_grid g "
                          "WHERE g.id = %s))) ORDER BY officer_id",
                          [task.reported_at, task.reported_at, task.road_id, task.grid_id])
                c.fetchall()
                if written["notifications"]:
                    rows = [dict(n, task_id=task_id) for n in written["notifications"]]
                    sql, params = _insert_sql("tasks_app_notification", rows)
                    c.execute(sql, params)
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


def _statements(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        fn()
    # Not counted: transaction control, and the fresh user _report reads before timing.
    return sum(1 for q in queries.captured_queries
               if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN",
                                           'SELECT "auth_user"')))


def service_vs_sql(samples: int = SAMPLES) -> dict:
    """Part 1. Returns the figures and the service's p50 (for part 2)."""
    call = _service_call()
    picks = _picks(WARMUP + samples)
    for pick in picks[:WARMUP]:
        _baseline(_report(call, pick)[1])  # type: ignore[arg-type]
    first = _report(call, picks[WARMUP])[1]
    per_report = _statements(lambda: _report(call, picks[WARMUP], capture=False))
    per_baseline = _statements(lambda: _baseline(first))  # type: ignore[arg-type]
    report_s, sql_s, repeats = [], [], 0
    for pick in picks[WARMUP:]:
        elapsed, written = _report(call, pick)
        assert written is not None
        report_s.append(elapsed)
        repeats += 1 if written["task"].repeat_of_id else 0
        sql_s.append(_baseline(written))
    p50, p99, b50, b99 = (_pct(report_s, 50), _pct(report_s, 99), _pct(sql_s, 50),
                          _pct(sql_s, 99))
    return {
        "bench": "intake", "samples": samples, "repeats_found": repeats,
        "figure": "services.task_report p50/p99 ms", "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2), "mean_ms": round(statistics.mean(report_s) * 1000, 2),
        "baseline": "the same reads and writes as hand-written SQL in one transaction",
        "baseline_p50_ms": round(b50, 3), "baseline_p99_ms": round(b99, 3),
        "ratio_p50": round(p50 / b50, 2), "ratio_p99": round(p99 / b99, 2),
        "target": "ratio_p50 <= 3", "statements_per_report": per_report,
        "baseline_statements": per_baseline,
    }


# -- end to end ---------------------------------------------------------------------------------

def _http_plan(base: str, picks: list[tuple], tokens: dict[int, str]) -> dict:
    return {"base": base, "requests": [
        {"token": tokens[user.pk], "body": {"category": category.pk, "lng": lng, "lat": lat,
                                            "title": "bench report", "source": source}}
        for user, source, category, lng, lat in picks]}


def _run_client(plan: dict) -> dict:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
        path = f.name
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.intake", path], cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit(f"intake client failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def client_main(path: str) -> int:
    """The second process: POST each report in turn on one keep-alive connection, as a phone
    on a good network does; print the latencies (seconds) and statuses as one JSON line."""
    import http.client
    from urllib.parse import urlparse

    with open(path) as f:
        plan = json.load(f)
    url = urlparse(plan["base"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    latencies, errors = [], []
    for request in plan["requests"]:
        body = json.dumps(request["body"]).encode()
        headers = {"Authorization": f"Token {request['token']}",
                   "Content-Type": "application/json"}
        start = time.perf_counter()
        conn.request("POST", "/api/v1/tasks/", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 201:
            errors.append(f"{response.status} {data[:200]!r}")
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.close()
    print(json.dumps({"latencies": latencies, "errors": errors}))
    return 0


def end_to_end() -> dict:
    """Part 2: POST /api/v1/tasks/ p50 against the service call's p50, alternated in rounds."""
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from bench import server
    from tasks_app.models import Task

    call = _service_call()
    picks = _picks(HTTP_ROUNDS * HTTP_PER_ROUND * 2, seed=11)
    tokens = {user.pk: Token.objects.get_or_create(user=user)[0].key
              for user, *_rest in picks}
    top = Task.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    http_s: list[float] = []
    service_s: list[float] = []
    first_post: list[float] = []
    errors: list[str] = []
    try:
        with server.gunicorn(workers=1) as base:
            for r in range(HTTP_ROUNDS):
                chunk = picks[r * 2 * HTTP_PER_ROUND:(r * 2 + 1) * HTTP_PER_ROUND]
                got = _run_client(_http_plan(base, chunk, tokens))
                errors += got["errors"]
                if r == 0:  # the server's first report, and warm-up requests
                    first_post = got["latencies"][:1]
                    got["latencies"] = got["latencies"][5:]
                http_s += got["latencies"]
                rest = picks[(r * 2 + 1) * HTTP_PER_ROUND:(r * 2 + 2) * HTTP_PER_ROUND]
                service_s += [_report(call, pick, capture=False)[0] for pick in rest]
    finally:
        # The city stays as built: the committed reports (and all they wrote) go again.
        Task.objects.filter(pk__gt=top).delete()
        with connection.cursor() as c:
            c.execute("ANALYZE tasks_app_task")
    p50, s50 = _pct(http_s, 50), _pct(service_s, 50)
    return {
        "bench": "intake_http", "requests": len(http_s), "errors": len(errors),
        "error_samples": errors[:3],
        "figure": "POST /api/v1/tasks/ p50/p99 ms (gunicorn, 1 worker, one client)",
        "p50_ms": round(p50, 2), "p99_ms": round(_pct(http_s, 99), 2),
        "first_post_ms": round(first_post[0] * 1000, 1) if first_post else None,
        "baseline": "services.task_report p50 ms (same run, alternated rounds)",
        "baseline_p50_ms": round(s50, 2), "ratio_p50": round(p50 / s50, 2),
        "target": "ratio_p50 <= 3",
    }


# -- first report -------------------------------------------------------------------------------

def first_report_child() -> None:
    """In a fresh process: load the app as a server does, then one report, then later ones."""
    t0 = time.perf_counter()
    import config.wsgi  # noqa: F401 - as gunicorn loads it (warms unless WARM_AT_START=false)

    load_s = time.perf_counter() - t0
    call = _service_call()
    picks = _picks(1 + LATER_REPORTS, seed=int(os.environ.get("INTAKE_SEED", "3")))
    first = _report(call, picks[0], capture=False)[0]
    later = [_report(call, pick, capture=False)[0] for pick in picks[1:]]
    print(json.dumps({"load_ms": round(load_s * 1000, 1), "first_ms": first * 1000,
                      "later_p50_ms": _pct(later, 50)}))


def first_report() -> dict:
    """Part 3: the first report's extra cost in a fresh process, warmed at start-up or not."""
    out: dict = {}
    for warm in ("true", "false"):
        penalties, loads, later = [], [], []
        for run in range(FIRST_REPORT_RUNS):
            env = dict(os.environ, WARM_AT_START=warm, INTAKE_SEED=str(run + 3))
            proc = subprocess.run(
                [sys.executable, "-c",
                 "from bench.intake import first_report_child; first_report_child()"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                raise SystemExit(f"first-report child failed:\n{proc.stderr}")
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            penalties.append(got["first_ms"] - got["later_p50_ms"])
            loads.append(got["load_ms"])
            later.append(got["later_p50_ms"])
        key = "warmed" if warm == "true" else "cold"
        out[f"{key}_first_report_extra_ms"] = round(statistics.median(penalties), 1)
        out[f"{key}_app_load_ms"] = round(statistics.median(loads), 1)
        out[f"{key}_later_p50_ms"] = round(statistics.median(later), 2)
    # The table's figure and baseline: the warmed process's extra ms over its own later
    # reports' p50 (the app's load time, also printed, is not the baseline).
    return {"bench": "intake_first_report", "runs": FIRST_REPORT_RUNS,
            "figure": "first report's extra ms in a fresh process, warmed at start-up (median "
                      "of runs)",
            "figure_ms": out["warmed_first_report_extra_ms"],
            **out, "baseline": "the same process's later reports (p50), ms",
            "baseline_ms": out["warmed_later_p50_ms"],
            "target": "warmed_first_report_extra_ms <= 20"}


def run(args) -> int:
    from bench import citygen
    from gridmgmt.models import Grid
    from tasks_app.models import Task

    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    common = {"tasks": Task.objects.count(), "grids": Grid.objects.count(),
              "build_s": round(built, 1)}
    print(json.dumps({**service_vs_sql(), **common}), flush=True)
    print(json.dumps({**end_to_end(), **common}), flush=True)
    print(json.dumps({**first_report(), **common}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(client_main(sys.argv[1]))
