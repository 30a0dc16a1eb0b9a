"""officers_holding: who held a role for a grid, road or department at a given time, through
the duty records' valid_from / valid_to (the record of who was responsible when)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gridmgmt.models import Role
from gridmgmt.selectors import duties_of, officers_holding, region_chain
from tests import factories as f


def _officer(name: str, role: str, *, start, end=None, **target):
    officer = f.OfficerFactory(user=f.UserFactory(username=name), name=name)
    f.DutyFactory(officer=officer, role=role, valid_from=start, valid_to=end, **target)
    return officer


def _holding(role, at, **target) -> list:
    return list(officers_holding(role=role, at=at, **target))


def test_the_current_grid_officer(world):
    assert _holding(Role.GRID_OFFICER, timezone.now(), grid=world.grid1) == [world.grid_officer]
    assert _holding(Role.GRID_OFFICER, timezone.now(), grid=world.grid2) == [
        world.other_grid_officer]


def test_a_duty_that_ended_yesterday_counts_before_but_not_now(world):
    now = timezone.now()
    former = _officer("former", Role.ROAD_CHIEF, road=world.road,
                      start=now - timedelta(days=30), end=now - timedelta(days=1))

    assert _holding(Role.ROAD_CHIEF, now, road=world.road) == [world.road_chief]
    assert former in _holding(Role.ROAD_CHIEF, now - timedelta(days=2), road=world.road)


def test_a_handover_moves_responsibility_at_the_instant_it_happens(world):
    handover = timezone.now() - timedelta(days=10)
    old = _officer("old", Role.GRID_OFFICER, grid=world.grid2,
                   start=handover - timedelta(days=100), end=handover)
    new = _officer("new", Role.GRID_OFFICER, grid=world.grid2, start=handover)
    world.other_grid_officer.duties.update(valid_from=handover + timedelta(days=5))

    assert _holding(Role.GRID_OFFICER, handover - timedelta(seconds=1), grid=world.grid2) \
        == [old]
    assert _holding(Role.GRID_OFFICER, handover, grid=world.grid2) == [new]


def test_a_duty_that_starts_tomorrow_does_not_count_yet(world):
    now = timezone.now()
    coming = _officer("coming", Role.HANDLER, department=world.department,
                      start=now + timedelta(days=1))

    assert coming not in _holding(Role.HANDLER, now, department=world.department)
    assert coming in _holding(Role.HANDLER, now + timedelta(days=2), department=world.department)


@pytest.mark.parametrize("role,grid,who", [
    (Role.COMMUNITY_HEAD, "grid1", ["community_head"]),
    (Role.COMMUNITY_HEAD, "grid2", []),
    (Role.STREET_LEADER, "grid1", ["street_leader"]),
    (Role.STREET_LEADER, "grid2", ["other_street_leader"]),
    (Role.DISTRICT_SUPERVISOR, "grid1", ["supervisor"]),
    (Role.DISTRICT_SUPERVISOR, "grid2", ["supervisor"]),
    (Role.INSPECTOR, "grid2", ["inspector"]),
])
def test_regional_roles_follow_the_grids_region_chain(world, role, grid, who):
    found = _holding(role, timezone.now(), grid=getattr(world, grid))

    assert found == [getattr(world, name) for name in who]


def test_an_inspector_of_another_street_is_not_an_inspector_of_this_grid(world):
    now = timezone.now()
    local = _officer("s2-inspector", Role.INSPECTOR, region=world.street2,
                     start=now - timedelta(days=1))

    assert local not in _holding(Role.INSPECTOR, now, grid=world.grid1)
    assert local in _holding(Role.INSPECTOR, now, grid=world.grid2)


def test_the_road_chief_and_the_department_handler(world):
    now = timezone.now()

    assert _holding(Role.ROAD_CHIEF, now, road=world.road) == [world.road_chief]
    assert _holding(Role.HANDLER, now, department=world.department) == [world.handler]


@pytest.mark.parametrize("role", [Role.GRID_OFFICER, Role.ROAD_CHIEF, Role.HANDLER,
                                  Role.COMMUNITY_HEAD, Role.INSPECTOR])
def test_without_the_place_the_role_is_held_at_nobody_is_returned(world, role):
    assert _holding(role, timezone.now()) == []


def test_an_officer_with_two_duties_for_the_same_place_is_listed_once(world):
    f.DutyFactory(officer=world.grid_officer, role=Role.GRID_OFFICER, grid=world.grid1)

    assert _holding(Role.GRID_OFFICER, timezone.now(), grid=world.grid1) == [world.grid_officer]


def test_several_holders_come_in_a_stable_order(world):
    now = timezone.now()
    second = _officer("deputy", Role.DISTRICT_SUPERVISOR, region=world.district,
                      start=now - timedelta(days=1))

    assert _holding(Role.DISTRICT_SUPERVISOR, now, grid=world.grid1) == [world.supervisor, second]


def test_the_region_chain_of_a_grid(world):
    assert region_chain(world.grid1) == {
        "community": world.community1, "street": world.street1, "district": world.district}


def test_duties_of_an_officer_at_a_time(world):
    now = timezone.now()
    officer = world.grid_officer
    f.DutyFactory(officer=officer, role=Role.ROAD_CHIEF, road=world.road,
                  valid_from=now - timedelta(days=20), valid_to=now - timedelta(days=10))

    assert {d.role for d in duties_of(officer, at=now)} == {Role.GRID_OFFICER}
    assert {d.role for d in duties_of(officer, at=now - timedelta(days=15))} == {
        Role.GRID_OFFICER, Role.ROAD_CHIEF}
