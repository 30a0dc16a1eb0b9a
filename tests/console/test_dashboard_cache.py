"""The dashboard's trend keeps its days before today in the cache (``dashboard._trend_series``):
real service calls over several days, and after each one the trend as the dashboard shows it
(from the cache when it has it) equals the trend computed without any cache, for a district
supervisor and a street leader; the hotspots equal those of the reading before the partial
read (``tests/evaluation/test_report_identical.py``'s reference)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridmgmt import clock
from gridmgmt.models import Region
from tasks_app import authority, jobs, selectors, services
from tasks_app.console import dashboard
from tests import factories as f
from tests.evaluation.test_report_identical import _old_repeat_hotspots

from .conftest import g1_point, g2_point, photo, report, staff, submit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reads(monkeypatch):
    """The spans each trend read covered: today's alone on a hit, more on a miss."""
    spans: list[list] = []
    counts = dashboard._trend_counts

    def spy(tasks, now, read):
        spans.append(read)
        return counts(tasks, now, read)

    monkeypatch.setattr(dashboard, "_trend_counts", spy)
    return spans


def _fresh(user, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setattr(dashboard, "_scope_key", lambda *args: None)
        return dashboard.dashboard_for(user, now=clock.now()).charts["trend"]


def _hotspots(board) -> list:
    return [row["spot"] for row in board.hotspots]


class Check:
    def __init__(self, world, monkeypatch, reads, run_on_commit):
        self.world, self.monkeypatch, self.reads = world, monkeypatch, reads
        self.run_on_commit = run_on_commit
        self.hits = self.misses = 0

    def act(self, service, **kwargs):
        # The callbacks a commit runs (the generation drawn after it), as in production.
        with self.run_on_commit(execute=True):
            return service(**kwargs)

    def __call__(self, expect: str | None = None) -> None:
        """Every viewer's trend equals the uncached one; ``expect``: hit or miss (the
        supervisor's read)."""
        for who in ("supervisor", "street_leader"):
            user = getattr(self.world, who).user
            now = clock.now()
            self.reads.clear()
            board = dashboard.dashboard_for(user, now=now)
            hit = self.reads == [[(dashboard.states.day_start(now), None)]]
            if who == "supervisor" and expect is not None:
                assert hit == (expect == "hit"), (expect, self.reads)
            self.hits += hit
            self.misses += not hit
            assert board.charts["trend"] == _fresh(user, self.monkeypatch), who
            tasks = selectors.tasks_visible_to(user, at=now)
            reference = _old_repeat_hotspots(since=now - timedelta(days=dashboard.HOTSPOT_DAYS),
                                             tasks=tasks)[:dashboard.TOP_HOTSPOTS]
            assert _hotspots(board) == reference, who


def test_the_cached_past_always_equals_the_live_trend(world, monkeypatch, reads,
                                                      django_capture_on_commit_callbacks):
    w = world
    sup, officer, inspector = w.supervisor.user, w.grid_officer, w.inspector.user
    check = Check(w, monkeypatch, reads, django_capture_on_commit_callbacks)
    with time_machine.travel(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI),
                             tick=False) as traveller:
        # Monday: reports in both streets, dispatched to the grid's officer as they come, but
        # for one category that waits for a supervisor; a place reported three times.
        a, b, d, e = (report(w, g1_point(i)) for i in range(4))
        report(w, g2_point(0))
        held_back = f.CategoryFactory(code="WAIT", auto_dispatch=False)
        c, waits = (report(w, g1_point(i), category=held_back) for i in (4, 5))
        spot = [report(w, w.point_g1) for _ in range(3)]
        check("miss")
        check("hit")

        traveller.move_to(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
        # Tuesday: Monday is the past now. A new day is a new key.
        check("miss")
        check("hit")
        # A Monday report voided: Monday's reports change.
        check.act(services.task_void, task=c, actor=sup, reason="重复上报")
        check("miss")
        # An overdue task started and its fix submitted late: still late on the same day.
        b = check.act(services.task_start, task=b, actor=officer.user)
        check("hit")
        b = check.act(services.task_submit, task=b, actor=officer.user, photos=[photo()])
        check("hit")
        # Sent back for rework an hour later: a deadline already passed does not move.
        traveller.move_to(datetime(2026, 11, 17, 11, 0, tzinfo=SHANGHAI))
        b = check.act(services.task_verify, task=b, actor=inspector, approved=False,
                      note="没有修好")
        check("hit")
        # Extended past its missed deadline: Monday no longer has it as late.
        a = check.act(services.task_request_extension, task=a, actor=officer.user,
                      until=clock.now() + timedelta(days=3), reason="等材料")
        check("hit")
        a = check.act(services.task_decide_extension, task=a, actor=sup, approved=True)
        check("miss")
        # Held after its deadline and resumed: late all along, on the same day.
        d = check.act(services.task_hold, task=d, actor=sup, reason="等天气")
        check("hit")
        traveller.move_to(datetime(2026, 11, 17, 15, 0, tzinfo=SHANGHAI))
        d = check.act(services.task_resume, task=d, actor=sup)
        check("hit")
        # Reported and closed today: only today's counts move, read live.
        today = check.act(report, world=w, point=g1_point(7))
        check("hit")
        check.act(services.task_verify, actor=inspector, approved=True,
                  task=check.act(submit, task=today, officer=officer))
        check("hit")

        traveller.move_to(datetime(2026, 11, 18, 11, 0, tzinfo=SHANGHAI))
        # Wednesday: a Monday task handed to another officer (a scope's assignee).
        check("miss")
        e = check.act(services.task_assign, task=e, actor=sup, assignee=w.other_grid_officer)
        check("miss")
        # Closed today, late since Monday: late on Monday before and after.
        e = check.act(services.task_start, task=e, actor=w.other_grid_officer.user)
        e = check.act(services.task_submit, task=e, actor=w.other_grid_officer.user,
                      photos=[photo()])
        check("hit")
        check.act(services.task_verify, task=e, actor=inspector, approved=True)
        check("hit")
        # A Monday report dispatched: it has an assignee now (a scope of its own).
        check.act(services.task_assign, task=waits, actor=sup, assignee=officer)
        check("miss")
        # The hotspot: one of its tasks closed (its open count), one reassigned.
        check.act(services.task_verify, actor=inspector, approved=True,
                  task=check.act(submit, task=spot[0], officer=officer))
        check("hit")
        check.act(services.task_assign, task=spot[1], actor=sup, assignee=w.other_grid_officer)
        check("miss")
        # A map change: a grid with Monday's tasks moved to another district. The supervisor's
        # scope is a subquery through the regions (the same statement before and after).
        other = f.RegionFactory(code="D2", name="新区", level=Region.Level.DISTRICT)
        street = f.RegionFactory(code="S9", name="新街道", level=Region.Level.STREET,
                                 parent=other)
        w.grid2.community = f.RegionFactory(code="C9", name="新社区",
                                            level=Region.Level.COMMUNITY, parent=street)
        w.grid2.save()
        check("miss")
    assert check.hits >= 10 and check.misses >= 10


def test_a_view_of_another_day_is_computed_not_cached(world, reads):
    with time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=SHANGHAI), tick=False):
        report(world, g1_point(0))
        user = world.supervisor.user
        yesterday = clock.now() - timedelta(days=1)
        for _ in range(2):
            dashboard.dashboard_for(user, now=yesterday)
        assert reads == [[(dashboard.states.day_start(yesterday, dashboard.TREND_DAYS - 1),
                          None)]] * 2


def _queries(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/admin/").status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("who", ["supervisor", "street_leader"])
def test_a_hit_makes_as_many_queries_as_a_miss(client, world, wednesday, who):
    client.force_login(staff(getattr(world, who)))
    report(world, g1_point(0))
    miss, miss_sql = _queries(client)
    hit, hit_sql = _queries(client)
    # The trend's one read becomes today's one read; the generation and the key's grids are
    # read on both (the grids of a region: one query).
    assert hit == miss
    assert [s for s in miss_sql if s not in hit_sql] != []  # the 90 days' read, not repeated


def test_a_new_day_or_a_write_reads_only_the_days_it_changed(world, reads,
                                                             django_capture_on_commit_callbacks):
    """The days whose token did not change come from the cache: the first view of a day reads
    the days since the last view and today, a write to a past day re-reads that day."""
    user = world.supervisor.user

    def view() -> list:
        reads.clear()
        board = dashboard.dashboard_for(user, now=clock.now())
        return [(begin.date(), end and end.date()) for begin, end in reads[0]], board

    def day(d: int):
        return datetime(2026, 11, d, tzinfo=SHANGHAI).date()

    with time_machine.travel(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI),
                             tick=False) as traveller:
        waits = f.CategoryFactory(code="WAIT", auto_dispatch=False)  # voidable: not dispatched
        monday = report(world, g1_point(0), category=waits)
        report(world, g1_point(1))
        first, _ = view()
        assert first == [(day(16) - timedelta(days=dashboard.TREND_DAYS - 1), None)]
        assert view()[0] == [(day(16), None)]  # a hit: today alone
        traveller.move_to(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
        assert view()[0] == [(day(16), None)]  # Monday (now past) and today
        traveller.move_to(datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI))
        assert view()[0] == [(day(17), None)]  # Tuesday, Wednesday and today
        with django_capture_on_commit_callbacks(execute=True):
            services.task_void(task=monday, actor=user, reason="重复上报")
        spans, board = view()
        assert spans == [(day(16), day(17)), (day(19), None)]  # Monday again, and today
        labels = board.charts["trend"]["labels"]
        assert board.charts["trend"]["new"][labels.index("11-16")] == 1
        assert view()[0] == [(day(19), None)]


def test_the_console_users_are_those_with_a_supervising_or_bureau_duty(world):
    now = clock.now()
    admin = f.OfficerFactory()
    f.DutyFactory(officer=admin, role="bureau_admin", region=world.supervisor.duties.get().region)
    gone = f.OfficerFactory()
    f.DutyFactory(officer=gone, role="street_leader", region=world.street_leader.duties.get()
                  .region, valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1))
    root = User.objects.create_superuser("root", "root@example.org", "x")
    inactive = world.other_street_leader.user
    inactive.is_active = False
    inactive.save()
    assert set(authority.console_users(now)) == {
        world.supervisor.user, world.street_leader.user, admin.user, root}


def test_the_nightly_run_warms_every_console_users_trend(world, monkeypatch, reads):
    """After the worker's run, each console user's first view of the day reads today alone,
    and shows the trend computed without any cache; field officers are not warmed."""
    with time_machine.travel(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI), tick=False) as t:
        for i in range(3):
            report(world, g1_point(i))
        report(world, g2_point(0))
        t.move_to(datetime(2026, 11, 18, 0, 10, tzinfo=SHANGHAI))
        assert jobs.warm_dashboards_job() == 3  # the supervisor and the two street leaders
        now = clock.now()
        for who in ("supervisor", "street_leader", "other_street_leader"):
            user = getattr(world, who).user
            reads.clear()
            board = dashboard.dashboard_for(user, now=now)
            assert reads == [[(dashboard.states.day_start(now), None)]], who
            assert board.charts["trend"] == _fresh(user, monkeypatch), who
            assert sum(board.charts["trend"]["new"]) > 0
        reads.clear()
        dashboard.dashboard_for(world.grid_officer.user, now=now)
        assert reads != [[(dashboard.states.day_start(now), None)]]  # not warmed: read whole


def test_a_duty_saved_in_the_console_warms_the_dashboards_after_the_commit(
        world, client, monkeypatch, django_capture_on_commit_callbacks):
    sent: list[str] = []
    monkeypatch.setattr(jobs.warm_dashboards_job, "apply_async",
                        lambda **kwargs: sent.append("warm"))
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    region = world.street_leader.duties.get().region
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/gridmgmt/region/{region.pk}/change/", {
            "code": region.code, "name": "东街道（新）", "level": region.level,
            "parent": region.parent_id})
    assert response.status_code == 302, response.content[:2000]
    assert sent == ["warm"]
