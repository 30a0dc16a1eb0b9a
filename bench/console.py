"""Console benchmark: every console page at two city sizes, per role, each against a same-work
baseline from the same run, and the growth of each page from the small city to the large one.

Pages (``GET``, as a browser asks for them): the dashboard (``/admin/``), the task changelist
as it opens (its default filters: none chosen, newest first) and with the dashboard's "overdue"
link (``?progress=overdue``), the workbench page of the role's newest open task, the monthly
evaluation (street level, last month; the roles that may see it; then again as
``evaluation_published`` once the month before is published inside the same rolled-back
transaction, as a bureau holding its monthly reviews has it) and campaign progress (the
campaign list, with its progress column, and one campaign's page with its panel).

Roles: the first district supervisor, street leader and community head of the city, a bureau
administrator (a district duty) and a superuser; the console's staff flag and the supervisors'
group are given inside a transaction that is rolled back at the end, as are three campaigns of
500 tasks each (a campaign's size does not grow with the city). Requests go through Django's
test ``Client`` in this process with production settings (DEBUG off, HTTPS, the middleware;
static files unhashed, as no collectstatic is run), after what a server process does once it
has loaded the app (``config.wsgi.start``: the warm-up, and start-up's objects frozen out of the
garbage collector's way), and the clock frozen at the city's instant.

Each page is requested once to warm up, then ``ROUNDS`` times alternating with its baseline:
- dashboard: its count figures (open, red, yellow, green, this week's new, closed and late) by
  one hand-written statement over the role's grids;
- changelist: the same 50 rows (task, category, grid, assignee) by one hand-written statement;
- workbench: the task with its category, grid and assignee, and its event log (two statements);
- evaluation: ``evaluate(month, level)``'s figures as one hand-written statement
  (bench/evaluation.py's);
- campaigns: the five progress figures of every campaign by one GROUP BY.

Growth from one run: ``python -m bench console`` builds the city at 100,000 tasks, measures,
rebuilds it at 1,000,000 in the same database and measures again (as the sweep benchmark does),
then prints each page's ratio (1M over 100k; target <= 1.5) and whether it stays under 300 ms.
``--tasks N`` measures one size only; ``BENCH_CONSOLE_SIZES=100000,300000`` sets the sizes.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.test import Client, override_settings

from bench import citygen
from bench.statements import StatementCounter, city_sizes, start_as_a_server

ROUNDS = int(os.environ.get("BENCH_CONSOLE_ROUNDS", "7"))
TARGET_GROWTH = 1.5
TARGET_MS = 300
CAMPAIGNS, CAMPAIGN_TASKS = 3, 500
PAGE_SIZE = 50


class _Rollback(Exception):
    pass


# -- the roles ----------------------------------------------------------------------------------

def _roles() -> dict[str, Any]:
    """role → User, made console staff (the seeds' 督导组 group) for this run only."""
    from django.contrib.auth.models import Group, Permission, User
    from django.db.models import Q
    from django.utils import timezone

    from gridmgmt.models import Duty, Officer, Region, Role

    group, _ = Group.objects.get_or_create(name="督导组")
    group.permissions.set(Permission.objects.filter(
        Q(content_type__app_label__in=["gridmgmt", "tasks_app"]),
        Q(codename__startswith="view_") | Q(codename__startswith="change_")
        | Q(codename__startswith="add_")))

    def first(role: str):
        return User.objects.filter(officer__duties__role=role).order_by("pk").first()

    roles = {"district_supervisor": first(Role.DISTRICT_SUPERVISOR),
             "street_leader": first(Role.STREET_LEADER),
             "community_head": first(Role.COMMUNITY_HEAD)}
    admin = User.objects.create(username="bench-bureau-admin")
    officer = Officer.objects.create(user=admin, name="bench-bureau-admin",
                                     email="bench-bureau-admin@example.org")
    Duty.objects.create(officer=officer, role=Role.BUREAU_ADMIN,
                        region=Region.objects.get(level="district"),
                        valid_from=timezone.now() - timezone.timedelta(days=1000))
    roles["bureau_admin"] = admin
    for user in roles.values():
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(group)
    roles["superuser"] = User.objects.create_superuser("bench-superuser", "su@example.org",
                                                       None)
    return roles


def _campaigns() -> list[int]:
    """Three campaigns, each with the newest 500 tasks of one category."""
    from datetime import date

    from gridmgmt.models import Department
    from tasks_app.models import Campaign, Category

    lead = Department.objects.order_by("pk").first()
    ids = []
    for i, category in enumerate(Category.objects.order_by("pk")[:CAMPAIGNS]):
        campaign = Campaign.objects.create(name=f"bench campaign {i}", lead_department=lead,
                                           starts_on=date(2020, 1, 1), deadline=date(2030, 1, 1))
        with connection.cursor() as c:
            c.execute("UPDATE tasks_app_task SET campaign_id = %s WHERE id IN (SELECT id FROM "
                      "tasks_app_task WHERE category_id = %s ORDER BY id DESC LIMIT %s)",
                      [campaign.pk, category.pk, CAMPAIGN_TASKS])
        ids.append(campaign.pk)
    return ids


# -- baselines ----------------------------------------------------------------------------------

def _scope(user) -> tuple[str, list]:
    """A WHERE fragment limiting tasks ``t`` to the role's grids (none for the district)."""
    from tasks_app import authority

    auth = authority.of(user)
    if auth.is_superuser or auth.task_filter() is None:
        return "true", []
    grids = list(auth.grids().values_list("pk", flat=True))
    if grids and len(grids) == auth.grids().model.objects.count():
        return "true", []
    return "t.grid_id = ANY(%s)", [grids]


def _run_sql(sql: str, params: list) -> list:
    with connection.cursor() as c:
        c.execute(sql, params)
        return c.fetchall()


def _dashboard_baseline(user, now) -> Callable[[], object]:
    from tasks_app.console import states
    from tasks_app.workflow import CLOCK_RUNNING, OPEN_STATUSES

    where, params = _scope(user)
    week = states.week_start(now)
    sql = f"""
SELECT count(*) FILTER (WHERE status = ANY(%(open)s)),
       count(*) FILTER (WHERE status = ANY(%(run)s) AND deadline <= %(now)s),
       count(*) FILTER (WHERE status = ANY(%(run)s) AND deadline > %(now)s
                          AND yellow_at <= %(now)s),
       count(*) FILTER (WHERE status = ANY(%(run)s) AND deadline > %(now)s
                          AND (yellow_at > %(now)s OR yellow_at IS NULL)),
       count(*) FILTER (WHERE reported_at >= %(week)s AND status <> 'void'),
       count(*) FILTER (WHERE status = 'closed' AND closed_at >= %(week)s),
       count(*) FILTER (WHERE deadline >= %(week)s AND deadline <= %(now)s AND (
         (status = ANY(%(run)s) AND deadline <= %(now)s)
         OR (status = 'submitted' AND submitted_at > deadline)
         OR (status = 'closed' AND closed_late)
         OR (status = 'on_hold' AND hold_started_at > deadline)))
FROM tasks_app_task t
WHERE {where.replace('%s', '%(scope)s')}
  AND (status = ANY(%(open)s) OR reported_at >= %(week)s OR closed_at >= %(week)s
       OR deadline >= %(week)s)"""
    p = {"open": list(OPEN_STATUSES), "run": list(CLOCK_RUNNING), "now": now, "week": week,
         "scope": params[0] if params else None}
    return lambda: _run_sql(sql, p)  # type: ignore[arg-type]


def _changelist_baseline(user, now, overdue: bool) -> Callable[[], object]:
    from tasks_app.workflow import CLOCK_RUNNING

    where, params = _scope(user)
    extra = ""
    if overdue:
        extra = " AND t.status = ANY(%s) AND t.deadline <= %s"
        params = [*params, list(CLOCK_RUNNING), now]
    sql = f"""
SELECT t.id, t.code, t.title, k.name, t.status, t.light, t.escalation_level, t.deadline,
       t.repeat_seq, g.name, o.name, t.reported_at
FROM tasks_app_task t JOIN tasks_app_category k ON k.id = t.category_id
LEFT JOIN gridmgmt_grid g ON g.id = t.grid_id LEFT JOIN gridmgmt_officer o ON o.id = t.assignee_id
WHERE {where}{extra} ORDER BY t.reported_at DESC, t.id DESC LIMIT {PAGE_SIZE}"""
    return lambda: _run_sql(sql, params)


def _workbench_baseline(task_id: int) -> Callable[[], object]:
    def run() -> object:
        return (_run_sql(
            "SELECT t.*, k.name, g.name, o.name FROM tasks_app_task t "
            "JOIN tasks_app_category k ON k.id = t.category_id "
            "LEFT JOIN gridmgmt_grid g ON g.id = t.grid_id "
            "LEFT JOIN gridmgmt_officer o ON o.id = t.assignee_id WHERE t.id = %s", [task_id]),
            _run_sql("SELECT * FROM tasks_app_taskevent WHERE task_id = %s "
                     "ORDER BY created_at, id", [task_id]))
    return run


def _evaluation_baseline(month: str, now) -> Callable[[], object]:
    from bench import evaluation as ev

    params = ev.parameters(month, now)
    return lambda: ev.baseline("street", params)


def _campaign_baseline(now) -> Callable[[], object]:
    from tasks_app.workflow import CLOCK_RUNNING, OPEN_STATUSES

    sql = """
SELECT campaign_id, count(*) FILTER (WHERE status <> 'void'),
       count(*) FILTER (WHERE status = ANY(%s)),
       count(*) FILTER (WHERE status = ANY(%s) AND deadline <= %s),
       count(*) FILTER (WHERE status = 'closed' AND NOT closed_late),
       count(*) FILTER (WHERE status = 'closed' AND closed_late)
FROM tasks_app_task WHERE campaign_id IS NOT NULL GROUP BY campaign_id"""
    params = [list(OPEN_STATUSES), list(CLOCK_RUNNING), now]
    return lambda: _run_sql(sql, params)


def _check_equal(page: str, user, now, base) -> bool | None:
    """The dashboard's count figures against its baseline's, before timing (None: a page whose
    baseline is not the same answer in the same shape)."""
    if page != "dashboard":
        return None
    from tasks_app.console.dashboard import dashboard_for

    board = dashboard_for(user, now=now)
    shown = tuple([board.waiting[0].value] + [f.value for f in board.lights]
                  + [f.value for f in board.week])
    (counted,) = base()
    if shown != tuple(counted):
        raise AssertionError(f"dashboard figures {shown} != baseline {tuple(counted)}")
    return True


# -- measuring ----------------------------------------------------------------------------------

def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _alternate(page: Callable[[], object], base: Callable[[], object] | None
               ) -> tuple[float, float | None]:
    page()
    if base:
        base()
    pages, bases = [], []
    for _ in range(ROUNDS):
        pages.append(_timed(page))
        if base:
            bases.append(_timed(base))
    return statistics.median(pages), (statistics.median(bases) if bases else None)


def _get(client: Client, url: str) -> Callable[[], object]:
    def run() -> object:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code}")
        response.content  # noqa: B018  (rendered, as a browser receives it)
        return response
    return run


def _pages(user, now, campaign_ids: list[int], month: str) -> list[tuple[str, str, Any]]:
    """(page, url, baseline) for what this user sees in the console."""
    from django.urls import reverse

    from tasks_app import authority
    from tasks_app.workflow import OPEN_STATUSES

    auth = authority.of(user)
    changelist = reverse("admin:tasks_app_task_changelist")
    newest = auth.tasks().filter(status__in=OPEN_STATUSES).order_by("-pk").values_list(
        "pk", flat=True).first()
    pages = [
        ("dashboard", reverse("admin:index"), _dashboard_baseline(user, now)),
        ("changelist", changelist, _changelist_baseline(user, now, overdue=False)),
        ("changelist_overdue", f"{changelist}?progress=overdue",
         _changelist_baseline(user, now, overdue=True)),
    ]
    if newest:
        pages.append(("workbench", reverse("admin:tasks_app_task_change", args=[newest]),
                      _workbench_baseline(newest)))
    if auth.can_see_evaluation():
        pages.append(("evaluation", f"{reverse('console:evaluation')}?month={month}&level=street",
                      _evaluation_baseline(month, now)))
    pages.append(("campaigns", reverse("admin:tasks_app_campaign_changelist"),
                  _campaign_baseline(now)))
    pages.append(("campaign", reverse("admin:tasks_app_campaign_change",
                                      args=[campaign_ids[0]]), _campaign_baseline(now)))
    return pages


BASELINES = {
    "dashboard": "its count figures by one hand-written statement, ms",
    "dashboard_miss": "its count figures by one hand-written statement, ms",
    "dashboard_cold": "its count figures by one hand-written statement, ms",
    "changelist": "the same 50 rows by one hand-written statement, ms",
    "changelist_overdue": "the same 50 rows by one hand-written statement, ms",
    "workbench": "the task and its event log by two hand-written statements, ms",
    "evaluation": "the month's figures by one hand-written statement, ms",
    "evaluation_published": "the month's figures by one hand-written statement (it computes "
                            "the month before, which the page reads from its snapshot), ms",
    "campaigns": "every campaign's progress figures by one GROUP BY, ms",
    "campaign": "every campaign's progress figures by one GROUP BY, ms",
}


# The dashboard keeps each of its trend's days before today in the cache under a token of that
# day (``dashboard._trend_series``): its page is measured three times, as it is requested again
# (``dashboard``: the cache hit, today read live), as the first view of a day or after a write
# that changed a past day (``dashboard_miss``: one day read again with today) and as a scope's
# first view (``dashboard_cold``: never viewed, not for a month, or after a map change: its 90
# days read and stored), each with its growth.
FIGURES = {
    "dashboard": "GET dashboard, cache hit (its trend's days before today from the cache), ms",
    "dashboard_miss": "GET dashboard, first view of the day (yesterday read again with today), "
                      "ms",
    "dashboard_cold": "GET dashboard, a scope's first view (its trend's 90 days read and "
                      "stored), ms",
}


def _cache_missed(get: Callable[[], object], days: int) -> Callable[[], object]:
    """``get`` after new tokens for the last ``days`` days before today (one Redis round trip,
    timed with the page), as a new day or a write to a past day draws them."""
    from datetime import timedelta

    from django.utils import timezone

    from gridmgmt import clock
    from tasks_app.console import dashboard

    def run() -> object:
        today = timezone.localdate(clock.now())
        dashboard._new_tokens({today - timedelta(days=n) for n in range(1, days + 1)})
        return get()
    return run


def _page_row(total: int, built: float, role: str, user, now, client: Client, page: str,
              url: str, base, get: Callable[[], object] | None = None) -> dict:
    """One page measured against its baseline, printed as one line (``get``: how the page is
    requested, when not simply by its address)."""
    get = get or _get(client, url)
    get()
    with StatementCounter() as queries:
        get()
    ms, base_ms = _alternate(get, base)
    checked = _check_equal(page, user, now, base)
    row = {"bench": "console", "tasks": total, "role": role, "page": page,
           "url": url, "build_s": round(built, 1),
           "figure": FIGURES.get(page, f"GET {page}, ms"), "figure_ms": round(ms, 1),
           "target": f"< {TARGET_MS} ms", "queries": queries.n,
           "baseline": BASELINES[page],
           "baseline_ms": round(base_ms, 2) if base_ms is not None else None,
           "ratio": round(ms / base_ms, 1) if base_ms else None,
           "checked_equal": checked,
           "load": round(os.getloadavg()[0], 2)}
    print(json.dumps(row), flush=True)
    if os.environ.get("BENCH_CONSOLE_PROFILE"):
        for ms_, sql in sorted(queries.statements, reverse=True)[:4]:
            print(f"#   {ms_:8.1f} ms  {sql[:300]}", flush=True)
    return row


def _evaluation_published(total: int, built: float, roles: dict, clients: dict, now,
                          month: str) -> list[dict]:
    """The evaluation page again once the month before is published (``evaluation_publish``
    by the superuser, inside the run's transaction, so rolled back with it), as a bureau that
    holds its monthly reviews has it: last month's ranks then come from its snapshot."""
    from django.urls import reverse

    from tasks_app import authority
    from tasks_app.evaluation import previous_month
    from tasks_app.evaluation_services import evaluation_publish

    evaluation_publish(month=previous_month(month), actor=roles["superuser"])
    url = f"{reverse('console:evaluation')}?month={month}&level=street"
    return [_page_row(total, built, role, user, now, clients[role], "evaluation_published",
                      url, _evaluation_baseline(month, now))
            for role, user in roles.items()
            if role in clients and authority.of(user).can_see_evaluation()]


@contextmanager
def _production_client():
    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(DEBUG=False, STORAGES=storages):
        yield


def _measure(total: int) -> list[dict]:
    from bench.evaluation import _month_before
    from gridmgmt import clock
    from tasks_app import authority
    from tasks_app.console.dashboard import TREND_DAYS

    built = citygen.ensure_tasks(total)
    now = citygen.reference_now()
    with connection.cursor() as c:
        c.execute("ANALYZE")  # statistics fresh on every table
    start_as_a_server()
    month = _month_before(now)
    out: list[dict] = []
    try:
        with transaction.atomic(), clock.frozen(now), _production_client():
            campaign_ids = _campaigns()
            with connection.cursor() as c:
                c.execute("ANALYZE tasks_app_task")
            roles = _roles()
            clients: dict[str, Client] = {}
            for role, user in roles.items():
                if not authority.of(user).uses_console:
                    print(json.dumps({"bench": "console", "tasks": total, "role": role,
                                      "note": "does not use the console (the phone's pages)"}))
                    continue
                client = clients[role] = Client()
                client.force_login(user)
                for page, url, base in _pages(user, now, campaign_ids, month):
                    out.append(_page_row(total, built, role, user, now, client, page, url, base))
                    if page == "dashboard":
                        for name, days in (("dashboard_miss", 1),
                                           ("dashboard_cold", TREND_DAYS - 1)):
                            out.append(_page_row(total, built, role, user, now, client, name,
                                                 url, base,
                                                 get=_cache_missed(_get(client, url), days)))
            out += _evaluation_published(total, built, roles, clients, now, month)
            raise _Rollback
    except _Rollback:
        pass
    return out


def run(args) -> int:
    citygen.build_reference()
    sizes = city_sizes(args, "BENCH_CONSOLE_SIZES")
    results = [_measure(n) for n in sizes]
    if len(results) >= 2:
        small, big = results[0], results[-1]
        by_key = {(r["role"], r["page"]): r for r in small}
        for r in big:
            s = by_key.get((r["role"], r["page"]))
            if s is None:
                continue
            ratio = round(r["figure_ms"] / s["figure_ms"], 2)
            print(json.dumps({
                "bench": "console_growth", "role": r["role"], "page": r["page"],
                "tasks": r["tasks"], "figure": f"GET {r['page']} at {r['tasks']} tasks, ms",
                "figure_ms": r["figure_ms"],
                "baseline": f"the same at {s['tasks']} tasks, ms", "baseline_ms": s["figure_ms"],
                "ratio": ratio, "target": f"<= {TARGET_GROWTH:g}",
                "met": ratio <= TARGET_GROWTH,
                "queries": r["queries"], "queries_small": s["queries"],
                "queries_constant": r["queries"] == s["queries"],
                "under_300_ms": r["figure_ms"] < TARGET_MS}), flush=True)
    return 0
