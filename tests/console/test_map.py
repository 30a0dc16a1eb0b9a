"""The map page and its GeoJSON layers: grids with open and overdue counts, roads, open tasks
by light, hotspots; scoped to the viewer; tiles only when configured."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import close, g1_point, g2_point, green, red, report, staff, yellow


def layer(client, name: str) -> dict:
    response = client.get(reverse("console:map-layer", args=[name]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    return data


@pytest.fixture
def tasks(world):
    return {
        "red": red(report(world, g1_point(0))),
        "yellow": yellow(report(world, g1_point(1))),
        "green": green(report(world, g2_point(0))),
        "closed": close(world, report(world, g1_point(2)), world.grid_officer),
    }


def test_grids_carry_their_boundary_and_open_and_overdue_counts(supervisor_client, world,
                                                                tasks):
    grids = {f["properties"]["code"]: f for f in layer(supervisor_client, "grids")["features"]}
    assert set(grids) == {"G1", "G2"}
    assert grids["G1"]["geometry"] == world.grid1.boundary
    assert (grids["G1"]["properties"]["open"], grids["G1"]["properties"]["overdue"]) == (2, 1)
    assert (grids["G2"]["properties"]["open"], grids["G2"]["properties"]["overdue"]) == (1, 0)
    listed = supervisor_client.get(grids["G1"]["properties"]["overdue_url"])
    assert [t.pk for t in listed.context["cl"].result_list] == [tasks["red"].pk]


def test_open_tasks_are_points_coloured_by_their_light_now(supervisor_client, tasks):
    features = layer(supervisor_client, "tasks")["features"]
    lights = {f["id"]: f["properties"]["light"] for f in features}
    assert lights == {tasks["red"].pk: "red", tasks["yellow"].pk: "yellow",
                      tasks["green"].pk: "green"}
    first = features[0]  # the most urgent first
    assert first["geometry"]["coordinates"] == [tasks["red"].lng, tasks["red"].lat]
    assert first["properties"]["url"] == reverse("admin:tasks_app_task_change",
                                                 args=[tasks["red"].pk])


def test_roads_and_hotspots_are_layers_too(supervisor_client, world, tasks):
    for _ in range(3):
        report(world, (120.0071, 30.0061))
    (road,) = layer(supervisor_client, "roads")["features"]
    assert road["properties"]["name"] == "中山路"
    assert road["geometry"]["type"] == "LineString"
    (spot,) = layer(supervisor_client, "hotspots")["features"]
    assert spot["properties"]["occurrences"] == 3
    assert spot["geometry"]["type"] == "Point"


def test_a_street_leader_sees_their_streets_grids_and_tasks(street_leader_client, tasks):
    grids = layer(street_leader_client, "grids")["features"]
    assert [g["properties"]["code"] for g in grids] == ["G1"]
    ids = {f["id"] for f in layer(street_leader_client, "tasks")["features"]}
    assert ids == {tasks["red"].pk, tasks["yellow"].pk}


def test_the_page_draws_with_leaflet_and_no_tiles_unless_configured(supervisor_client,
                                                                    settings):
    settings.MAP_TILE_URL = ""
    body = supervisor_client.get(reverse("console:map")).content.decode()
    assert "console/vendor/leaflet/leaflet.js" in body
    assert '"tileUrl": ""' in body
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    body = supervisor_client.get(reverse("console:map")).content.decode()
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in body


def test_layers_need_a_supervising_duty(client, world):
    client.force_login(staff(world.grid_officer))
    assert client.get(reverse("console:map")).status_code == 403
    assert client.get(reverse("console:map-layer", args=["grids"])).status_code == 403
    client.logout()
    assert client.get(reverse("console:map-layer", args=["grids"])).status_code == 302


def test_an_unknown_layer_is_not_found(supervisor_client):
    assert supervisor_client.get(reverse("console:map-layer", args=["nope"])).status_code == 404


@pytest.mark.parametrize("name", ["grids", "roads", "tasks", "hotspots"])
def test_a_layers_queries_do_not_grow_with_tasks(supervisor_client, world, name):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            layer(supervisor_client, name)
        return len(ctx.captured_queries)

    report(world, g1_point(0))
    layer(supervisor_client, name)  # the grids' outlines are read once per map change
    before = queries()
    for i in range(1, 8):
        report(world, g1_point(i))
        report(world, g2_point(i))
    assert queries() == before
