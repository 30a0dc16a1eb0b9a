"""locate(lng, lat): the grid covering a point and the nearest road within tolerance, through a
spatial index that follows grid and road edits without a restart."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
import time_machine

from gridmgmt.errors import DomainError
from gridmgmt.services import locate
from tests import factories as f

ROAD_LAT = 30.005  # the world's road R1 runs east-west along this latitude
METRE = 1 / 111_195.0  # degrees of latitude per metre


def _outside(lng, lat) -> None:
    with pytest.raises(DomainError) as caught:
        locate(lng, lat)
    assert caught.value.code == "outside_area"
    assert caught.value.http_status == 422


def test_a_point_inside_a_grid_finds_the_grid_and_the_road_beside_it(world):
    lng, lat = world.point_g1

    found = locate(lng, lat)

    assert (found.grid, found.road) == (world.grid1, world.road)
    assert found.road_distance_m == pytest.approx(10, abs=0.2)
    assert (found.lng, found.lat) == (lng, lat)


def test_a_point_in_the_neighbouring_grid(world):
    found = locate(*world.point_g2)

    assert found.grid == world.grid2
    assert found.road_distance_m == pytest.approx(0, abs=0.01)


def test_numbers_sent_as_text_are_accepted(world):
    # Query strings (grids/locate/?lng=&lat=) arrive as text.
    found = locate("120.005", " 30.005 ")

    assert found.grid == world.grid1


@pytest.mark.parametrize("lat", [30.0, 30.002, 30.005, 30.01])
def test_a_point_on_the_shared_border_goes_to_the_lowest_grid_code_every_time(world, lat):
    answers = {locate(120.01, lat).grid for _ in range(3)}

    assert answers == {world.grid1}


def test_the_border_answer_does_not_depend_on_the_order_grids_were_made(db):
    community = f.RegionFactory(level="community")
    f.GridFactory(code="Z9", community=community, boundary=f.square(0, 0))
    f.GridFactory(code="A1", community=community, boundary=f.square(1, 0))

    assert locate(120.01, 30.005).grid.code == "A1"


@pytest.mark.parametrize("corner,code", [
    ((120.0, 30.0), "G1"), ((120.0, 30.01), "G1"),      # G1's outer corners
    ((120.02, 30.0), "G2"), ((120.02, 30.01), "G2"),    # G2's outer corners
    ((120.01, 30.0), "G1"), ((120.01, 30.01), "G1"),    # shared corners: the lower code
])
def test_a_grid_corner_belongs_to_the_grid(world, corner, code):
    assert locate(*corner).grid.code == code


@pytest.mark.parametrize("point", [
    (120.03, 30.005),            # east of G2
    (119.99, 30.005),            # west of G1
    (120.005, 29.9999),          # just south of G1
    (120.015, 30.0101),          # just north of G2
    (116.397, 39.909),           # another city
    (0, 0),
])
def test_a_point_outside_every_grid_is_outside_the_area(world, point):
    _outside(*point)


def test_with_no_grids_at_all_every_point_is_outside(db):
    _outside(120.005, 30.005)


@pytest.mark.parametrize("lng,lat", [
    (None, None), (None, 30.005), (120.005, None),
    ("abc", 30.005), ("", ""), ("120,005", "30.005"),
    (math.nan, 30.005), (120.005, math.nan), ("nan", "nan"),
    (math.inf, 30.005), (120.005, -math.inf), ("inf", "30"),
    (200, 30), (-180.5, 30), (120, 95), (120, -90.01),
    ([120.005], [30.005]), ((120.005,), 30.005), ({"lng": 120.005}, 30.005),
    (object(), 30.005), (complex(120, 1), 30.005),
])
def test_garbage_coordinates_are_invalid(world, lng, lat):
    with pytest.raises(DomainError) as caught:
        locate(lng, lat)
    assert caught.value.code == "invalid_coordinates"
    assert caught.value.http_status == 400


@pytest.mark.parametrize("metres,found", [(0, True), (29, True), (31, False), (200, False)])
def test_the_nearest_road_is_found_within_30_metres_only(world, metres, found):
    located = locate(120.005, ROAD_LAT + metres * METRE)

    assert located.grid == world.grid1
    assert located.road == (world.road if found else None)
    if found:
        assert located.road_distance_m == pytest.approx(metres, abs=0.3)
    else:
        assert located.road_distance_m is None


def test_the_tolerance_can_be_set_per_call_and_in_settings(world, settings):
    point = (120.005, ROAD_LAT + 40 * METRE)
    assert locate(*point).road is None
    assert locate(*point, tolerance_m=50).road == world.road

    settings.ROAD_TOLERANCE_M = 50
    assert locate(*point).road == world.road


def test_of_two_roads_the_nearer_one_is_chosen(world):
    f.RoadFactory(code="R2", name="解放路", centre_line={
        "type": "LineString", "coordinates": [[120.0, ROAD_LAT + 30 * METRE],
                                              [120.02, ROAD_LAT + 30 * METRE]]})

    assert locate(120.005, ROAD_LAT + 10 * METRE).road.code == "R1"
    assert locate(120.005, ROAD_LAT + 20 * METRE).road.code == "R2"


def test_a_road_that_ends_short_of_the_point_is_measured_to_its_end(world):
    f.RoadFactory(code="R3", name="短巷", centre_line={
        "type": "LineString", "coordinates": [[120.002, 30.008], [120.004, 30.008]]})

    near_end = locate(120.004 + 20 * METRE / math.cos(math.radians(30)), 30.008)
    far = locate(120.006, 30.008)

    assert near_end.road.code == "R3"
    assert near_end.road_distance_m == pytest.approx(20, abs=0.5)
    assert far.road is None


def test_without_roads_the_road_is_none(db):
    community = f.RegionFactory(level="community")
    f.GridFactory(code="G1", community=community, boundary=f.square(0, 0))

    assert locate(120.005, ROAD_LAT).road is None


def test_a_new_grid_is_found_at_once(world):
    point = f.cell_centre(2, 0)
    _outside(*point)

    grid = f.GridFactory(code="G3", community=world.community2, boundary=f.square(2, 0))

    assert locate(*point).grid == grid


def test_an_edited_boundary_is_used_at_once(world):
    moved_to = f.cell_centre(3, 0)
    assert locate(*world.point_g2).grid == world.grid2

    world.grid2.boundary = f.square(3, 0)
    world.grid2.save()

    assert locate(*moved_to).grid == world.grid2
    _outside(*world.point_g2)


def test_a_deleted_grid_is_no_longer_found(world):
    grid = f.GridFactory(code="G3", community=world.community2, boundary=f.square(2, 0))
    point = f.cell_centre(2, 0)
    assert locate(*point).grid == grid

    grid.delete()

    _outside(*point)


def test_a_new_road_is_found_at_once(world):
    point = (120.005, 30.008)
    assert locate(*point).road is None

    road = f.RoadFactory(code="R9", centre_line={
        "type": "LineString", "coordinates": [[120.0, 30.008], [120.01, 30.008]]})

    assert locate(*point).road == road


def test_a_multipolygon_grid_covers_each_of_its_parts(db):
    community = f.RegionFactory(level="community")
    a, b = f.square(0, 0)["coordinates"], f.square(2, 2)["coordinates"]
    grid = f.GridFactory(code="M1", community=community,
                         boundary={"type": "MultiPolygon", "coordinates": [a, b]})

    assert locate(*f.cell_centre(0, 0)).grid == grid
    assert locate(*f.cell_centre(2, 2)).grid == grid
    _outside(*f.cell_centre(1, 1))


def test_a_grid_with_a_hole_does_not_cover_the_hole(db):
    community = f.RegionFactory(level="community")
    outer = f.square(0, 0)["coordinates"][0]
    hole = [[120.004, 30.004], [120.004, 30.006], [120.006, 30.006], [120.006, 30.004],
            [120.004, 30.004]]
    f.GridFactory(code="H1", community=community,
                  boundary={"type": "Polygon", "coordinates": [outer, hole]})

    _outside(120.005, 30.005)
    assert locate(120.002, 30.002).grid.code == "H1"


def test_a_grid_replaced_within_the_same_instant_is_found(db):
    # Same number of grids and the same latest updated_at: only the ids tell the index is stale.
    community = f.RegionFactory(level="community")
    with time_machine.travel(datetime(2026, 11, 18, 1, 0, tzinfo=UTC), tick=False):
        old = f.GridFactory(code="G1", community=community, boundary=f.square(0, 0))
        assert locate(*f.cell_centre(0, 0)).grid == old
        old.delete()
        new = f.GridFactory(code="G2", community=community, boundary=f.square(5, 0))

        assert locate(*f.cell_centre(5, 0)).grid == new
        _outside(*f.cell_centre(0, 0))


def test_the_roads_crossing_grids_are_those_whose_line_meets_one_of_them(world):
    """roads_crossing asks every road against the grids' tree once per index; the answer is
    the same as asking each grid's polygon against each road's line."""
    from gridmgmt.geometry import line_from_geojson, polygon_from_geojson
    from gridmgmt.models import Grid, Road
    from gridmgmt.services import roads_crossing

    f.RoadFactory(code="R2", name="北路", centre_line={  # along G2's row, inside G2 only
        "type": "LineString", "coordinates": [[120.012, 30.002], [120.018, 30.002]]})
    f.RoadFactory(code="R3", name="远路", centre_line={  # far from every grid
        "type": "LineString", "coordinates": [[121.0, 31.0], [121.01, 31.0]]})
    grids = {g.pk: polygon_from_geojson(g.boundary) for g in Grid.objects.all()}
    lines = {r.pk: line_from_geojson(r.centre_line) for r in Road.objects.all()}
    for wanted in ([], [world.grid1.pk], [world.grid2.pk], sorted(grids)):
        expected = {road for road, line in lines.items()
                    if any(line.intersects(grids[g]) for g in wanted)}
        assert roads_crossing(wanted) == expected, wanted
    assert roads_crossing(sorted(grids)) != set(lines)  # R3 crosses nothing
