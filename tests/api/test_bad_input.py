"""Bad input through the API gets a clear 400 and changes nothing: JSON nested past the bound,
NUL bytes in any text, numbers with a fraction where an integer or an id is expected."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Task, TaskEvent

DEEP = "[" * 50_000 + "]" * 50_000


def _post_raw(client: APIClient, url: str, body: str):
    return client.generic("POST", url, body, content_type="application/json",
                          HTTP_ACCEPT="application/json")


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/tasks/"])
def test_deeply_nested_json_is_a_400(world, client_for, url):
    response = _post_raw(client_for(world.inspector), url, DEEP)
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested too deeply" in response.json()["message"]
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
