"""Issue 14: every map layer makes as many queries with 50 tasks as with 5, for a district
supervisor and a street leader (the console requests each layer by its URL), and so does the
phone's area map; the grids layer draws the area's grids and those with an open task the user
can see, with rounded outlines read once per map change."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt import clock
from tasks_app.console import mapdata
from tasks_app.mobile.mapdata import area_map
from tasks_app.models import Task
from tests import factories as f

from .conftest import g1_point, g2_point, red, report, staff

LAYERS = ["grids", "roads", "tasks", "hotspots", "coverage"]


def _layer(client, name: str) -> dict:
    response = client.get(reverse("console:map-layer", args=[name]))
    assert response.status_code == 200
    return json.loads(response.content)


def _queries(client, name: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        data = _layer(client, name)
    return len(ctx.captured_queries), data


def _tasks(world, n: int) -> None:
    """``n`` reports across both grids (streets), a third of them repeats of the one before,
    some overdue."""
    for i in range(n):
        point = (g1_point, g2_point)[i % 2](i // 6)  # three reports at each place
        task = report(world, point)
        if i % 4 == 0:
            red(task)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("who", ["supervisor", "street_leader"])
def test_each_layer_makes_as_many_queries_with_50_tasks_as_with_5(client, world, who, name):
    client.force_login(staff(getattr(world, who)))
    _tasks(world, 5)
    _layer(client, name)  # the grids' outlines are read once per map change
    small, first = _queries(client, name)
    _tasks(world, 45)
    large, second = _queries(client, name)
    assert large == small
    if name in ("tasks", "hotspots"):
        assert len(second["features"]) > len(first["features"])  # the data did grow


def test_the_hotspots_layer_finds_the_repeats(supervisor_client, world):
    _tasks(world, 50)
    spots = _layer(supervisor_client, "hotspots")["features"]
    assert spots and all(s["properties"]["occurrences"] >= 3 for s in spots)


def test_the_grids_layer_draws_a_grid_outside_the_area_only_for_an_open_task(client, world):
    """A street leader of S1 sees G1; G2 (street S2) appears once a task there is assigned to
    as his own report (he can see it, and it is open), with its count."""
    client.force_login(staff(world.street_leader))
    assert [g["properties"]["code"] for g in _layer(client, "grids")["features"]] == ["G1"]
    task = report(world, g2_point(0))
    Task.objects.filter(pk=task.pk).update(reporter=world.street_leader.user)
    grids = {g["properties"]["code"]: g for g in _layer(client, "grids")["features"]}
    assert sorted(grids) == ["G1", "G2"]
    assert grids["G2"]["properties"]["open"] == 1
    Task.objects.filter(pk=task.pk).update(status="closed")
    assert [g["properties"]["code"] for g in _layer(client, "grids")["features"]] == ["G1"]


def test_the_outlines_are_rounded_and_read_again_when_a_grid_changes(supervisor_client,
                                                                      world):
    world.grid1.boundary = {"type": "Polygon", "coordinates": [[
        [120.0, 30.0], [120.0100000049, 30.0], [120.0100000049, 30.01], [120.0, 30.01],
        [120.0, 30.0]]]}
    world.grid1.save()
    grids = {g["properties"]["code"]: g for g in _layer(supervisor_client, "grids")["features"]}
    assert grids["G1"]["geometry"]["coordinates"][0][1] == [120.01, 30.0]
    # 120.02000000000001 (0.01 added twice) is sent as 120.02.
    assert grids["G2"]["geometry"] == mapdata._rounded_geometry(world.grid2.boundary)
    assert grids["G2"]["geometry"]["coordinates"][0][1] == [120.02, 30.0]
    assert grids["G1"]["properties"]["url"] == mapdata.tasks_url(grid=world.grid1.pk,
                                                                 progress="open")
    assert grids["G1"]["properties"]["overdue_url"] == mapdata.tasks_url(
        grid=world.grid1.pk, progress="overdue")
    world.grid1.boundary = f.square(0, 0)
    world.grid1.save()  # updated_at moves: the stamp changes, the outline is read again
    grids = {g["properties"]["code"]: g for g in _layer(supervisor_client, "grids")["features"]}
    assert grids["G1"]["geometry"] == mapdata._rounded_geometry(f.square(0, 0))


@pytest.mark.parametrize("who", ["grid_officer", "street_leader", "supervisor"])
def test_the_phone_area_map_makes_as_many_queries_with_50_tasks_as_with_5(world, who):
    officer = getattr(world, who)
    _tasks(world, 5)
    area_map(officer, at=clock.now())
    with CaptureQueriesContext(connection) as small:
        area_map(officer, at=clock.now())
    _tasks(world, 45)
    with CaptureQueriesContext(connection) as large:
        area_map(officer, at=clock.now())
    assert len(large.captured_queries) == len(small.captured_queries)
