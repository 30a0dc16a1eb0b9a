"""Bad input through the API gets a clear 400 and changes nothing: JSON nested past the bound,
NUL bytes in any text, numbers with a fraction where an integer or an id is expected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Task, TaskEvent

DEEP = "[" * 50_000 + "]" * 50_000


def _post_raw(client: APIClient, url: str, body: str):
    return client.generic("POST", url, body, content_type="application/json",
                          HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/tasks/"])
def test_deeply_nested_json_is_a_400(world, client_for, url):
    response = _post_raw(client_for(world.inspector), url, DEEP)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    # In the caller's language (an officer's own, whatever the header asks): it names the bound.
    assert "32" in response.json()["message"]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/tasks/"])
def test_deeply_nested_json_from_an_anonymous_caller_is_a_4xx_not_a_500(db, url):
    client = APIClient(raise_request_exception=False)
    response = _post_raw(client, url, DEEP)
    assert 400 <= response.status_code < 500
    assert Task.objects.count() == 0


def test_json_nested_past_the_bound_but_short_of_recursion_is_a_400(world, client_for):
    body = '{"category": ' + "[" * 40 + "1" + "]" * 40 + ', "lng": 120.005, "lat": 30.005}'
    response = _post_raw(client_for(world.inspector), "/api/v1/tasks/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_a_few_levels_deep_is_still_parsed(world, client_for):
    lng, lat = world.point_g1
    body = f'{{"category": {world.category.pk}, "lng": {lng}, "lat": {lat}, "title": "ok"}}'
    response = _post_raw(client_for(world.inspector), "/api/v1/tasks/", body)
    assert response.status_code == 201, response.content
    assert TaskEvent.objects.count() == 1


# -- NUL characters -------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["title", "description", "address"])
def test_a_nul_byte_in_a_reports_text_is_a_400_and_writes_nothing(world, client_for, field):
    lng, lat = world.point_g1
    response = client_for(world.inspector).post("/api/v1/tasks/", {
        "category": world.category.pk, "lng": lng, "lat": lat, field: "垃圾\x00桶"},
        format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Task.objects.count() == 0


def test_a_nul_byte_in_a_multipart_report_is_a_400(world, client_for):
    lng, lat = world.point_g1
    response = client_for(world.inspector).post("/api/v1/tasks/", {
        "category": str(world.category.pk), "lng": str(lng), "lat": str(lat),
        "description": "a\x00b"}, format="multipart")
    assert response.status_code == 400
    assert Task.objects.count() == 0


def _in_progress(world, task_in):
    from tasks_app import services
    from tasks_app.workflow import Status

    task = task_in(Status.ASSIGNED)
    return services.task_start(task=task, actor=world.grid_officer.user)


def test_a_datetime_with_a_trailing_nul_is_a_400(world, client_for, task_in):
    task = _in_progress(world, task_in)
    until = (task.deadline + timedelta(days=2)).isoformat()
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/extend/", {"until": until + "\x00", "reason": "下雨"},
        format="json", HTTP_IF_MATCH=f'"{task.version}"')
    assert response.status_code == 400
    assert "until" in response.json()["errors"]
    task.refresh_from_db()
    assert task.extension_requested_until is None
    assert TaskEvent.objects.filter(task=task, kind="extension_requested").count() == 0


def test_a_filter_datetime_with_a_trailing_nul_is_a_400(world, client_for):
    response = client_for(world.supervisor).get(
        "/api/v1/tasks/", {"reported_after": "2026-11-01T00:00:00+08:00\x00"})
    assert response.status_code == 400


# -- whole numbers for ids ----------------------------------------------------------------------

@pytest.mark.parametrize("value", [1.5, 1.0, True, "1.5", "1e0", -1, 2**70])
def test_a_category_that_is_no_whole_number_id_is_a_400(world, client_for, value):
    lng, lat = world.point_g1
    response = client_for(world.inspector).post("/api/v1/tasks/", {
        "category": value if value != 1.0 else float(world.category.pk),
        "lng": lng, "lat": lat}, format="json")
    assert response.status_code == 400, response.content
    assert "category" in response.json()["errors"]
    assert Task.objects.count() == 0


def test_an_assignee_of_1_7_is_a_400_not_officer_1(world, client_for, manual_category, report):
    task = report("g1", category=manual_category)
    response = client_for(world.supervisor).post(
        f"/api/v1/tasks/{task.pk}/assign/",
        {"assignee": world.grid_officer.pk + 0.7}, format="json",
        HTTP_IF_MATCH=f'"{task.version}"')
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]
    task.refresh_from_db()
    assert task.assignee_id is None and task.version == 1


def test_ids_as_json_integers_or_form_digits_are_taken(world, client_for):
    lng, lat = world.point_g1
    client = client_for(world.inspector)
    assert client.post("/api/v1/tasks/", {"category": world.category.pk, "lng": lng,
                                          "lat": lat}, format="json").status_code == 201
    assert client.post("/api/v1/tasks/", {"category": str(world.category.pk), "lng": str(lng),
                                          "lat": str(lat + 0.001)},
                       format="multipart").status_code == 201


def test_every_id_field_of_the_api_bodies_is_strict():
    from rest_framework import serializers as drf

    from tasks_app.api import serializers as s
    from tasks_app.api.fields import IdField

    loose = []
    for name, klass in vars(s).items():
        if isinstance(klass, type) and issubclass(klass, drf.Serializer) \
                and not issubclass(klass, drf.ModelSerializer):
            for field_name, field in klass().fields.items():
                if isinstance(field, drf.RelatedField) and not isinstance(field, IdField):
                    loose.append(f"{name}.{field_name}")
    assert loose == []
