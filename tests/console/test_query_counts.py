"""Every console page makes the same number of queries with 5 tasks as with 50 (issue 14): the
dashboard, the task list as it opens and with the dashboard's "overdue" filter, the date
drill-down's levels, the workbench page, the monthly evaluation, the campaign list and a
campaign's page, for a district supervisor, a street leader and a superuser.

Also the list's count cap and its drill-down, which no longer read the tasks in scope."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from gridmgmt import clock
from tasks_app.console import dashboard
from tasks_app.console import filters as console_filters
from tasks_app.models import Campaign, Task

from .conftest import close, g1_point, g2_point, green, red, report, staff, yellow

CHANGELIST = "/admin/tasks_app/task/"


class _Count:
    """Statements run inside the block (an execute wrapper: a request resets
    ``connection.queries``)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def _queries(client, url: str) -> int:
    counter = _Count()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.n


def _add_tasks(world, campaign: Campaign, start: int, count: int) -> None:
    """``count`` tasks in both streets, in every light, some closed, some repeats, all in the
    campaign."""
    for i in range(start, start + count):
        point = g1_point(i) if i % 2 else g2_point(i)
        task = report(world, point)
        officer = world.grid_officer if i % 2 else world.other_grid_officer
        if task.assignee_id is None:
            continue
        if i % 4 == 3:
            close(world, task, officer)
        else:
            [red, yellow, green][i % 4](task)
    # A place that keeps coming back (a repeat chain, a hotspot on the dashboard).
    for _ in range(3):
        report(world, g1_point(start + 80))
    Task.objects.update(campaign=campaign)


@pytest.fixture
def campaign(world):
    today = timezone.localdate(clock.now())
    return Campaign.objects.create(name="整治", lead_department=world.department,
                                   starts_on=today.replace(day=1), deadline=today)


def _pages(task: Task, campaign: Campaign) -> list[str]:
    today = timezone.localdate(clock.now())
    return [
        "/admin/",
        CHANGELIST,
        f"{CHANGELIST}?progress=overdue",
        f"{CHANGELIST}?reported_at__year={today.year}",
        f"{CHANGELIST}?reported_at__year={today.year}&reported_at__month={today.month}",
        f"/admin/tasks_app/task/{task.pk}/change/",
        f"/admin/evaluation/?month={today:%Y-%m}&level=street",
        f"/admin/evaluation/?month={today:%Y-%m}&level=grid",
        "/admin/tasks_app/campaign/",
        f"/admin/tasks_app/campaign/{campaign.pk}/change/",
    ]


@pytest.mark.parametrize("role", ["supervisor", "street_leader", "superuser"])
def test_every_console_page_makes_as_many_queries_with_50_tasks_as_with_5(
        client, world, campaign, role):
    if role == "superuser":
        user = User.objects.create_superuser("root", "root@example.org", "x")
    else:
        user = staff(getattr(world, role))
    client.force_login(user)
    _add_tasks(world, campaign, 0, 5)
    task = Task.objects.filter(grid=world.grid1).order_by("pk").first()
    assert task is not None
    pages = _pages(task, campaign)
    for url in pages:
        client.get(url)  # per-process caches (the map index, the calendar) filled first
    small = {url: _queries(client, url) for url in pages}
    _add_tasks(world, campaign, 5, 45)
    assert Task.objects.count() >= 50
    large = {url: _queries(client, url) for url in pages}
    assert large == small


def test_the_list_counts_up_to_the_cap_and_says_more(supervisor_client, world, monkeypatch):
    monkeypatch.setattr(console_filters, "COUNT_CAP", 3)
    for i in range(5):
        report(world, g1_point(i))
    cl = supervisor_client.get(CHANGELIST).context["cl"]
    assert (cl.result_count, cl.paginator.capped) == (3, True)
    # Below the cap (another grid's tasks, then one grid's), the exact count.
    cl = supervisor_client.get(CHANGELIST, {"grid": world.grid2.pk}).context["cl"]
    assert (cl.result_count, cl.paginator.capped) == (0, False)
    Task.objects.filter(pk__in=list(Task.objects.values_list("pk", flat=True)[:3])).update(
        grid=world.grid2)
    cl = supervisor_client.get(CHANGELIST, {"grid": world.grid2.pk}).context["cl"]
    assert (cl.result_count, cl.paginator.capped) == (3, False)
    assert len(cl.result_list) == 3


def test_the_date_drill_down_lists_years_months_and_days_without_reading_the_tasks(
        supervisor_client, world):
    report(world, g1_point(0))
    today = timezone.localdate(clock.now())
    Task.objects.update(reported_at=clock.now().replace(year=today.year - 2))
    report(world, g1_point(1))
    html = supervisor_client.get(CHANGELIST).content.decode()
    for year in (today.year - 2, today.year - 1, today.year):
        assert f"?reported_at__year={year}" in html
    html = supervisor_client.get(CHANGELIST, {"reported_at__year": today.year}).content.decode()
    assert f"reported_at__month={today.month}" in html
    assert f"reported_at__month={today.month + 1}&" not in html  # no month to come
    html = supervisor_client.get(CHANGELIST, {"reported_at__year": today.year,
                                              "reported_at__month": today.month}).content.decode()
    assert f"reported_at__day={today.day}" in html
    # Choosing a day filters the list as before: the task of two years ago is not listed.
    page = supervisor_client.get(CHANGELIST, {"reported_at__year": today.year,
                                              "reported_at__month": today.month,
                                              "reported_at__day": today.day})
    assert [t.pk for t in page.context["cl"].result_list] == \
        list(Task.objects.filter(reported_at__year=today.year).values_list("pk", flat=True))


# -- the dashboard's trend: one read, the same figures --------------------------------------------

def _trend_before(tasks, now):
    """The trend's series as the dashboard computed them before (one query each)."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    from tasks_app.console import states
    from tasks_app.workflow import Status

    start = states.day_start(now, dashboard.TREND_DAYS - 1)
    tz = timezone.get_current_timezone()

    def per_day(qs, field_name):
        rows = qs.filter(**{f"{field_name}__gte": start}).annotate(
            day=TruncDate(field_name, tzinfo=tz)).values("day").annotate(
            n=Count("pk")).order_by()
        return {r["day"]: r["n"] for r in rows}

    return {"new": per_day(tasks.exclude(status=Status.VOID), "reported_at"),
            "closed": per_day(tasks.filter(status=Status.CLOSED), "closed_at"),
            "late": per_day(tasks.filter(states.late(now), deadline__lte=now), "deadline")}


def test_the_dashboard_trend_read_once_gives_the_figures_it_gave_before(world):
    from datetime import timedelta

    from tasks_app.console import states
    from tasks_app.selectors import tasks_visible_to
    from tasks_app.workflow import Status

    now = clock.now()
    tasks = [report(world, g1_point(i) if i % 3 else g2_point(i)) for i in range(24)]
    statuses = [Status.CLOSED, Status.VOID, Status.IN_PROGRESS, Status.SUBMITTED,
                Status.ON_HOLD, Status.ASSIGNED]
    for i, task in enumerate(tasks):
        reported = now - timedelta(days=(i * 7) % 120, hours=i)  # some before the 90 days
        deadline = reported + timedelta(days=(i % 5) * 3, hours=5)
        status = statuses[i % len(statuses)]
        Task.objects.filter(pk=task.pk).update(
            status=status, reported_at=reported, deadline=deadline,
            closed_at=deadline + timedelta(hours=(i % 3 - 1) * 30)
            if status == Status.CLOSED else None,
            closed_late=status == Status.CLOSED and i % 3 == 2,
            submitted_at=deadline + timedelta(hours=(i % 2) * 10 - 5)
            if status == Status.SUBMITTED else None,
            hold_started_at=deadline - timedelta(hours=(i % 2) * 10 - 5)
            if status == Status.ON_HOLD else None)
    start = states.day_start(now, dashboard.TREND_DAYS - 1)
    scopes = [Task.objects.all()] + [tasks_visible_to(getattr(world, who).user, at=now)
                                     for who in ("supervisor", "street_leader",
                                                 "other_street_leader", "grid_officer")]
    for scope in scopes:
        before = _trend_before(scope, now)
        assert sum(sum(series.values()) for series in before.values()) > 0 or \
            not scope.exists()
        assert dashboard._trend_counts(scope, now, [(start, None)]) == before
    # Every series has something to compare in the district's scope.
    assert all(_trend_before(Task.objects.all(), now)[key] for key in ("new", "closed", "late"))


# -- the workbench's dispatch list, built in Python ------------------------------------------------

def test_the_dispatch_list_offers_every_candidate_once_with_names_escaped(
        supervisor_client, world):
    from tasks_app import authority
    from tasks_app.console.candidates import dispatch_candidates

    world.other_grid_officer.name = '<b>"王"</b>'
    world.other_grid_officer.save()
    task = report(world, g1_point(0))
    Task.objects.filter(pk=task.pk).update(status="reported", assignee=None)
    task.refresh_from_db()
    html = supervisor_client.get(f"/admin/tasks_app/task/{task.pk}/change/").content.decode()
    candidates = dispatch_candidates(task, authority.of(world.supervisor.user))
    offered = [int(v) for v in re.findall(r'name="assignee" value="(\d+)"', html)]
    assert sorted(offered) == sorted(c.officer.pk for c in [*candidates.suggested,
                                                            *candidates.others])
    assert len(offered) >= 2
    assert "<b>" not in html.split('name="assignee"', 1)[1]
    assert "&lt;b&gt;&quot;王&quot;&lt;/b&gt;" in html
