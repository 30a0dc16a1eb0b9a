"""Coverage: every road and grid of the user's area, last patrolled, today / this week, overdue
by its rule; a fixed number of queries whatever the number of places and patrols."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridmgmt import clock
from gridmgmt.models import Grid
from tasks_app import authority
from tasks_app.patrols import services
from tasks_app.patrols.console import coverage_for
from tasks_app.patrols.models import Patrol, PatrolPlace, PatrolRule, PlaceKind
from tasks_app.patrols.selectors import State, coverage, week_start
from tests import factories as f

from .test_services import WALK, _walk


def _by_key(places):
    return {p.key: p for p in places}


def test_a_walked_road_and_its_grids_are_patrolled_today_and_the_rest_overdue(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    _walk(patrol, user, WALK[:3])  # G1 only
    services.patrol_end(patrol=patrol, actor=user)
    places = _by_key(coverage_for(world.supervisor.user, clock.now()))
    road, g1, g2 = places[f"road:{world.road.pk}"], places[f"grid:{world.grid1.pk}"], \
        places[f"grid:{world.grid2.pk}"]
    assert road.state == State.TODAY and road.today and road.week and road.patrols_week == 1
    assert road.every_hours == 24 and not road.overdue
    assert g1.state == State.TODAY and g1.every_hours == 48
    assert g2.state == State.OVERDUE and g2.last_at is None


def test_a_rule_for_a_place_beats_its_region_and_the_default(world):
    PatrolRule.objects.create(applies_to=PlaceKind.GRID, region=world.street1, every_hours=12)
    PatrolRule.objects.create(applies_to=PlaceKind.GRID, grid=world.grid2, every_hours=6)
    PatrolRule.objects.filter(applies_to=PlaceKind.ROAD, road__isnull=True).update(
        every_hours=8)
    places = _by_key(coverage(grids=Grid.objects.all(), roads=None, now=clock.now()))
    assert places[f"grid:{world.grid1.pk}"].every_hours == 12
    assert places[f"grid:{world.grid2.pk}"].every_hours == 6
    assert places[f"road:{world.road.pk}"].every_hours == 8


def test_a_patrol_older_than_its_rule_is_overdue(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    _walk(patrol, user, WALK[:2])
    services.patrol_end(patrol=patrol, actor=user)
    later = clock.now() + timedelta(hours=25)
    road = _by_key(coverage(grids=Grid.objects.none(), roads=[world.road.pk], now=later))[
        f"road:{world.road.pk}"]
    assert road.overdue and road.state == State.OVERDUE and road.last_at is not None


def test_each_user_sees_the_places_of_his_area(world):
    now = clock.now()
    chief = authority.of(world.road_chief.user, at=now).patrol_scope()
    assert list(chief[0]) == [] and chief[1] == [world.road.pk]
    grids, roads = authority.of(world.street_leader.user, at=now).patrol_scope()
    assert list(grids) == [world.grid1] and roads == [world.road.pk]  # R1 crosses G1
    officer = authority.of(world.grid_officer.user, at=now).patrol_scope()
    assert list(officer[0]) == [world.grid1] and officer[1] == []


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        coverage_for(user, clock.now())
    return len(ctx.captured_queries)


def test_the_coverage_takes_a_fixed_number_of_queries(world):
    user = world.supervisor.user
    patrol, _ = services.patrol_start(actor=world.road_chief.user)
    _walk(patrol, world.road_chief.user, WALK[:2])
    coverage_for(user, clock.now())  # warm the locate index and the duties
    few = _queries(user)
    for col in range(2, 12):
        grid = f.GridFactory(community=world.community1, boundary=f.square(col, 0))
        road = f.RoadFactory(centre_line={"type": "LineString", "coordinates": [
            [120.0 + col * 0.01, 30.001], [120.0 + col * 0.01 + 0.009, 30.001]]})
        officer = f.OfficerFactory()
        f.DutyFactory(officer=officer, role="grid_officer", grid=grid)
        p, _ = services.patrol_start(actor=officer.user)
        services.patrol_check_in(patrol=p, actor=officer.user,
                                 lng=120.0 + col * 0.01 + 0.005, lat=30.0011)
        assert road.pk
    coverage_for(user, clock.now())
    assert _queries(user) == few


def test_each_place_has_its_latest_visit_and_its_visits_since_monday(world):
    """The index probes give what a GROUP BY of every visit gives: each place's latest visit
    and how many of its visits ended this week (from Monday 00:00), for every scope."""
    now = clock.now()
    week = week_start(now)
    officer = world.grid_officer
    visits = {  # place → when each of its visits ended
        ("grid", world.grid1.pk): [week - timedelta(days=3), week - timedelta(seconds=1), week,
                                   now - timedelta(hours=1)],
        ("grid", world.grid2.pk): [week - timedelta(days=8), week - timedelta(hours=2)],
        ("road", world.road.pk): [week + timedelta(minutes=5), now - timedelta(minutes=1)],
    }
    for (kind, pk), ends in visits.items():
        for end in ends:
            patrol = Patrol.objects.create(officer=officer, status=Patrol.Status.ENDED,
                                           started_at=end - timedelta(minutes=30), ended_at=end)
            PatrolPlace.objects.create(patrol=patrol, first_at=end - timedelta(minutes=20),
                                       last_at=end, **{f"{kind}_id": pk})
    want = {key: (max(ends), sum(end >= week for end in ends)) for key, ends in visits.items()}
    for user in (world.supervisor.user, world.street_leader.user):
        for place in coverage_for(user, now):
            assert (place.last_at, place.patrols_week) == want.get((place.kind, place.pk),
                                                                   (None, 0)), place.key
    for place in coverage(grids=Grid.objects.all(), roads=None, now=now):
        assert (place.last_at, place.patrols_week) == want.get((place.kind, place.pk),
                                                               (None, 0)), place.key
    assert want[("grid", world.grid2.pk)][1] == 0 and want[("grid", world.grid1.pk)][1] >= 1
