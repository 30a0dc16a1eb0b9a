"""Placing an address by the roads and grids it names (gridmgmt.geocode.place_named)."""

from __future__ import annotations

import pytest

from gridmgmt.geocode import place_named
from gridmgmt.services import locate
from tests import factories as f


def test_an_address_on_a_named_road_is_placed_on_its_centre_line(world):
    place = place_named("中山路 128号门口")
    assert place is not None and place.names == ("中山路",)
    assert place.lat == pytest.approx(30.005) and 120.0 < place.lng < 120.02
    assert locate(place.lng, place.lat).road == world.road


def test_an_address_naming_a_grid_by_name_or_code_is_placed_inside_it(world):
    by_name = place_named("一号网格东北角")
    assert locate(by_name.lng, by_name.lat).grid == world.grid1
    by_code = place_named("grid g2, near the school")  # codes match whatever their case
    assert locate(by_code.lng, by_code.lat).grid == world.grid2


def test_a_road_and_a_grid_place_the_address_where_the_road_crosses_the_grid(world):
    place = place_named("二号网格 中山路")
    located = locate(place.lng, place.lat)
    assert located.grid == world.grid2 and located.road == world.road


def test_two_crossing_roads_place_the_address_at_the_crossing(world):
    f.RoadFactory(code="R2", name="解放路", centre_line={
        "type": "LineString", "coordinates": [[120.004, 29.999], [120.004, 30.009]]})
    place = place_named("中山路与解放路交叉口")
    assert (place.lng, place.lat) == pytest.approx((120.004, 30.005))


def test_a_name_inside_a_longer_named_road_is_not_a_second_road(world):
    f.RoadFactory(code="R3", name="中山路东段", centre_line={
        "type": "LineString", "coordinates": [[120.012, 30.008], [120.018, 30.008]]})
    place = place_named("中山路东段 路灯下")
    assert place.names == ("中山路东段",)
    assert place.lat == pytest.approx(30.008)


@pytest.mark.parametrize("address", [
    "",
    "1234 5th street",  # names nothing we know
    "G12 以北",  # G1 is a grid code, but G12 is another word
    "中 山 路",
])
def test_addresses_that_name_nothing_known_are_not_placed(world, address):
    assert place_named(address) is None


def test_places_that_do_not_meet_are_not_placed(world):
    f.RoadFactory(code="R4", name="滨江路", centre_line={
        "type": "LineString", "coordinates": [[120.0, 30.009], [120.02, 30.009]]})
    assert place_named("中山路 滨江路") is None  # parallel roads never cross
