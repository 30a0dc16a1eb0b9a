"""The monthly report job after issue 14's rewrite says exactly what it said before.

The job used to find each district's hotspots through the region tables (a join PostgreSQL
walked every task with) and each community's by a hotspot search of its own (two queries per
community); it now reads the district's repeat rows once, by the district's grid ids as a list,
and splits them by community and street in Python. The code before the change is kept here as
the reference (``_old_*``: the hotspot query as it was, with its ``IN (subquery)``, and the two
functions as they were); both build the outbox rows of the same month and every row's context
is compared whole. The world has hotspots in both streets, two community heads, and one chain
of repeats that crosses the boundary between the two communities (and streets), where a
community's hotspots differ from the district's split by street."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import Max, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridmgmt.models import Region, Role
from tasks_app import reports, selectors, services
from tasks_app.evaluation import evaluate, month_bounds, points_by_category, previous_month
from tasks_app.models import Category, Notification, Task
from tasks_app.workflow import Status
from tests import factories as f
from tests.evaluation.conftest import EVALUATED_AT, MONTH
from tests.gridmgmt.calendars import at

# -- the reference: the code before the change ------------------------------------------------


def _old_hotspot_rows(*, since, tasks=None):
    window = Category.objects.aggregate(days=Max("repeat_window_days"))["days"] or 0
    lookback = since - timedelta(days=window)
    base = (Task.objects.all() if tasks is None else tasks).exclude(status=Status.VOID)
    repeated = Task.objects.filter(repeat_of__isnull=False, reported_at__gte=lookback)
    return list(
        base.filter(reported_at__gte=lookback)
        .filter(Q(repeat_of__isnull=False) | Q(pk__in=repeated.values("repeat_of_id")))
        .order_by("reported_at", "pk")
        .values_list("pk", "repeat_of_id", "repeat_seq", "category_id", "category__name",
                     "category__repeat_radius_m", "lng", "lat", "reported_at", "status",
                     "grid__name")
    )


def _old_repeat_hotspots(*, since, min_count=3, tasks=None):
    # The chaining itself did not change (it moved into selectors.hotspots_from).
    return selectors.hotspots_from(_old_hotspot_rows(since=since, tasks=tasks), since=since,
                                   min_count=min_count)


def _old_district_snapshot(district, month, end, *_ignored):
    start, _end = month_bounds(month)
    streets = [r.as_dict() for r in evaluate(month, "street", district=district.pk)]
    last = [r.as_dict() for r in evaluate(previous_month(month), "street",
                                          district=district.pk)]
    departments = [r.as_dict() for r in evaluate(month, "department", district=district.pk)]
    categories = points_by_category(month, "street", district=district.pk)
    scope = Task.objects.filter(grid__community__parent__parent_id=district.pk,
                                reported_at__lt=end)
    spots = _old_repeat_hotspots(since=start, min_count=reports.HOTSPOT_MIN, tasks=scope)
    street_of = dict(Task.objects.filter(pk__in=[h.latest_id for h in spots]).values_list(
        "pk", "grid__community__parent_id"))
    hotspots = defaultdict(list)
    for h in spots:
        hotspots[street_of[h.latest_id]].append({
            "category": h.category, "grid": h.grid, "occurrences": h.occurrences,
            "open": h.open, "latest": f"{timezone.localtime(h.latest_at):%Y-%m-%d}"})
    return {
        "id": district.pk, "name": district.name, "streets": streets, "last": last,
        "departments": departments, "figures": reports.district_figures(streets),
        "last_figures": reports.district_figures(last),
        "categories": {k: reports._jsonable(v[:reports.WORST_CATEGORIES])
                       for k, v in categories.items()},
        "hotspots": dict(hotspots),
    }


def _old_community_sections(month, heads, *_ignored):
    wanted = {pk for ids in heads.values() for pk in ids}
    if not wanted:
        return {}
    start, end = month_bounds(month)
    districts = dict(Region.objects.filter(pk__in=wanted).values_list(
        "pk", "parent__parent_id"))
    sections = {}
    for district in {d for d in districts.values() if d is not None}:
        name = Region.objects.filter(pk=district).values_list("name", flat=True).first()
        rows = [r.as_dict() for r in evaluate(month, "community", district=district)]
        last = [r.as_dict() for r in evaluate(previous_month(month), "community",
                                              district=district)]
        categories = points_by_category(month, "community", district=district)
        hotspots = {}
        snapshot = {"name": name, "streets": rows, "last": last,
                    "figures": reports.district_figures(rows),
                    "categories": {k: reports._jsonable(v[:reports.WORST_CATEGORIES])
                                   for k, v in categories.items()},
                    "hotspots": hotspots}
        for pk in (c for c, d in districts.items() if d == district):
            scope = Task.objects.filter(grid__community_id=pk, reported_at__lt=end)
            hotspots[pk] = [{
                "category": h.category, "grid": h.grid, "occurrences": h.occurrences,
                "open": h.open, "latest": f"{timezone.localtime(h.latest_at):%Y-%m-%d}"}
                for h in _old_repeat_hotspots(since=start, min_count=reports.HOTSPOT_MIN,
                                              tasks=scope)]
            section = reports.street_section(snapshot, pk)
            if section is not None:
                sections[pk] = {**section, "level": "community"}
    return sections


# -- the world ----------------------------------------------------------------------------------

BORDER_G1, BORDER_G2 = (120.0098, 30.002), (120.0102, 30.002)  # 38 m apart, across G1 | G2


@pytest.fixture
def repeats(november_tasks):
    """More hotspots on top of the month's story: a chain A(G1) B(G2) C(G1) D(G2) across the
    two communities' boundary, three reports at one place of G2, and 二社区's community head."""
    w, t = november_tasks.world, november_tasks
    head = f.OfficerFactory(user=f.UserFactory(username="commhead2"), name="commhead2")
    f.DutyFactory(officer=head, role=Role.COMMUNITY_HEAD, region=w.community2,
                  valid_from=at(2026, 1, 1, 0, 0))
    insp = w.inspector.user
    made = []
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as clock:
        for day, point in enumerate([BORDER_G1, BORDER_G2, BORDER_G1, BORDER_G2]):
            clock.move_to(at(2026, 11, 24 + day, 10, 0))
            made.append(services.task_report(reporter=insp, category=t.a, lng=point[0],
                                             lat=point[1], source="patrol"))
        for day in range(3):
            clock.move_to(at(2026, 11, 24 + day, 15, 0))
            made.append(services.task_report(reporter=insp, category=t.b, lng=120.016,
                                             lat=30.002, source="patrol"))
    a, b, c, d = made[:4]
    assert (b.repeat_of_id, c.repeat_of_id, d.repeat_of_id) == (a.pk, b.pk, c.pk)
    assert (a.grid_id, b.grid_id) == (w.grid1.pk, w.grid2.pk)
    return november_tasks


def _contexts() -> dict[str, dict]:
    return {n.recipient.name: n.context for n in Notification.objects.filter(
        kind=Notification.Kind.MONTHLY_REPORT, period=MONTH).select_related("recipient")}


def _build(monkeypatch, old: bool) -> dict[str, dict]:
    Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT).delete()
    with monkeypatch.context() as m:
        if old:
            m.setattr(reports, "_district_snapshot", _old_district_snapshot)
            m.setattr(reports, "_community_sections", _old_community_sections)
        with time_machine.travel(EVALUATED_AT, tick=False):
            assert reports.create_monthly_reports() == 5
    return _contexts()


def test_the_report_is_the_same_as_before_for_every_recipient(repeats, monkeypatch):
    before = _build(monkeypatch, old=True)
    after = _build(monkeypatch, old=False)
    assert sorted(after) == ["commhead", "commhead2", "streetlead", "streetlead2", "supervisor"]
    assert after == before
    # The world has what the comparison is about: hotspots in both streets and communities,
    # and the chain across the boundary counted whole for the street of its latest report but
    # split for the communities.
    east, = after["streetlead"]["streets"]
    west, = after["streetlead2"]["streets"]
    assert [h["occurrences"] for h in west["hotspots"]] == [4, 3]
    assert [h["occurrences"] for h in east["hotspots"]] == [3]
    c1, = after["commhead"]["streets"]
    c2, = after["commhead2"]["streets"]
    assert sorted(h["occurrences"] for h in c1["hotspots"]) == [1, 3]
    assert sorted(h["occurrences"] for h in c2["hotspots"]) == [1, 3]


def test_the_hotspot_rows_are_the_same_as_before_for_every_scope(repeats):
    w = repeats.world
    since = at(2026, 11, 1, 0, 0)
    scopes = [None, Task.objects.filter(grid=w.grid1), Task.objects.filter(grid=w.grid2),
              Task.objects.filter(reported_at__lt=at(2026, 11, 26, 0, 0)),
              selectors.tasks_visible_to(w.street_leader.user)]
    for scope in scopes:
        assert (selectors.hotspot_rows(since=since, tasks=scope)
                == _old_hotspot_rows(since=since, tasks=scope))
        for min_count in (1, 2, 3):
            assert (selectors.repeat_hotspots(since=since, min_count=min_count, tasks=scope)
                    == _old_repeat_hotspots(since=since, min_count=min_count, tasks=scope))


def _job_queries() -> int:
    Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT).delete()
    with time_machine.travel(EVALUATED_AT, tick=False), \
            CaptureQueriesContext(connection) as queries:
        reports.create_monthly_reports()
    return len(queries.captured_queries)


def test_the_job_makes_as_many_queries_with_5_and_with_50_tasks_and_more_communities(world):
    """Constant: one read of the repeats per district, not one per community."""
    cat = f.CategoryFactory(code="PILE", name="乱堆物料", points=2)
    insp = world.inspector.user

    def report(n: int) -> None:
        with time_machine.travel(at(2026, 11, 10, 10, 0), tick=False) as clock:
            for i in range(n):
                clock.move_to(at(2026, 11, 10, 10, 0) + timedelta(minutes=i))
                grid = (world.point_g1, world.point_g2)[i % 2]
                # Every third report lands on the place before it: repeats and hotspots.
                services.task_report(reporter=insp, category=cat, lng=grid[0] - (i // 3 % 4) * 1e-3,
                                     lat=grid[1], source="patrol")

    report(5)
    small = _job_queries()
    report(45)
    for n in range(3):  # three more communities with heads and grids
        community = f.RegionFactory(code=f"CX{n}", name=f"社区{n}",
                                    level=Region.Level.COMMUNITY, parent=world.street2)
        f.GridFactory(code=f"GX{n}", name=f"网格{n}", community=community,
                      boundary=f.square(2 + n, 0))
        head = f.OfficerFactory(user=f.UserFactory(username=f"head{n}"), name=f"head{n}")
        f.DutyFactory(officer=head, role=Role.COMMUNITY_HEAD, region=community,
                      valid_from=at(2026, 1, 1, 0, 0))
    assert Task.objects.count() == 50
    assert _job_queries() == small
