"""Reference data and the grid lookup."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridmgmt.models import Role
from tasks_app.models import Campaign
from tests import factories as f


def test_locate_names_the_grid_and_the_road_within_tolerance(world, client_for):
    lng, lat = world.point_g1
    response = client_for(world.grid_officer).get(f"/api/v1/grids/locate/?lng={lng}&lat={lat}")
    assert response.status_code == 200
    body = response.json()
    assert body["grid"]["code"] == "G1"
    assert body["road"]["code"] == "R1"
    assert 9 < body["road_distance_m"] < 11


def test_locate_off_the_road_has_no_road(world, client_for):
    body = client_for(world.grid_officer).get("/api/v1/grids/locate/?lng=120.015&lat=30.009"
                                              ).json()
    assert body["grid"]["code"] == "G2" and body["road"] is None
    assert body["road_distance_m"] is None


def test_locate_errors_carry_the_domain_code(world, client_for):
    client = client_for(world.grid_officer)
    bad = client.get("/api/v1/grids/locate/?lng=abc&lat=30")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_coordinates"
    missing = client.get("/api/v1/grids/locate/")
    assert missing.status_code == 400
    outside = client.get("/api/v1/grids/locate/?lng=100&lat=20")
    assert outside.status_code == 422 and outside.json()["code"] == "outside_area"
    assert outside.json()["message"]


def test_grids_roads_and_regions(world, client_for):
    client = client_for(world.road_chief)
    grids = client.get("/api/v1/grids/").json()["results"]
    assert [g["code"] for g in grids] == ["G1", "G2"]
    assert grids[0]["boundary"]["type"] == "Polygon"
    assert grids[0]["street"] == world.street1.pk
    assert client.get(f"/api/v1/grids/?community={world.community2.pk}").json()["count"] == 1
    assert client.get("/api/v1/roads/").json()["results"][0]["centre_line"]["type"] == \
        "LineString"
    streets = client.get("/api/v1/regions/?level=street").json()["results"]
    assert [r["code"] for r in streets] == ["S1", "S2"]
    assert client.get(f"/api/v1/grids/{world.grid2.pk}/").json()["code"] == "G2"


def test_officers_show_current_duties_not_contact_details(world, client_for):
    client = client_for(world.supervisor)
    body = client.get(f"/api/v1/officers/{world.grid_officer.pk}/").json()
    assert body["name"] == "grid1"
    assert [d["role"] for d in body["duties"]] == [Role.GRID_OFFICER]
    assert "phone" not in body and "email" not in body
    chiefs = client.get("/api/v1/officers/?role=road_chief").json()["results"]
    assert [o["name"] for o in chiefs] == ["roadchief"]
    handlers = client.get(f"/api/v1/officers/?department={world.department.pk}").json()
    assert [o["name"] for o in handlers["results"]] == ["handler"]


def test_an_ended_duty_is_not_shown(world, client_for):
    duty = world.grid_officer.duties.get()
    duty.valid_to = timezone.now() - timezone.timedelta(days=1)
    duty.save()
    body = client_for(world.supervisor).get(f"/api/v1/officers/{world.grid_officer.pk}/").json()
    assert body["duties"] == []


def test_the_officer_list_costs_the_same_queries_whatever_its_length(world, client_for):
    client = client_for(world.supervisor)
    client.get("/api/v1/officers/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/officers/")
    for i in range(10):
        f.DutyFactory(officer=f.OfficerFactory(name=f"z{i}"), role=Role.GRID_OFFICER,
                      grid=world.grid1)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/officers/").json()["results"]) == 19
    assert len(few.captured_queries) == len(many.captured_queries)


def test_departments_categories_and_campaigns(world, client_for):
    campaign = Campaign.objects.create(name="背街小巷整治", lead_department=world.department,
                                       starts_on=timezone.localdate(),
                                       deadline=timezone.localdate())
    campaign.grids.add(world.grid1)
    client = client_for(world.grid_officer)
    assert client.get("/api/v1/departments/").json()["results"][0]["code"] == "HW"
    category = client.get("/api/v1/categories/").json()["results"][0]
    assert category["code"] == "GARBAGE" and category["time_limit"] == "4.0"
    body = client.get("/api/v1/campaigns/").json()["results"][0]
    assert body["name"] == "背街小巷整治" and body["grids"] == [world.grid1.pk]


def test_reference_data_is_read_only(world, client_for):
    client = client_for(world.supervisor)
    assert client.post("/api/v1/grids/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/categories/{world.category.pk}/").status_code == 405


def test_an_unknown_api_path_is_a_json_404(world, client_for):
    response = client_for(world.supervisor).get("/api/v1/nothing/here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
