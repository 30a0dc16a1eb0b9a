"""Every persona against every task endpoint and action, in and out of scope.

The task lives in grid G1, on road R1, assigned to G1's grid officer and reported by the
inspector. Out of scope the task does not exist (404); in scope an action the role may not take
is 403; otherwise the action succeeds. A task in another district is 404 for everyone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tasks_app.models import Campaign
from tasks_app.workflow import Status
from tests.api.conftest import png

PERSONAS = ["grid_officer", "other_grid_officer", "road_chief", "community_head",
            "street_leader", "other_street_leader", "supervisor", "handler", "inspector"]
# Who sees a task in G1 on R1: its grid, road, community, street and district people.
SEES_G1 = {"grid_officer", "road_chief", "community_head", "street_leader", "supervisor",
           "inspector"}
SUPERVISORS = {"supervisor", "street_leader"}

# action → (state the task must be in, body, who may do it, multipart?)
ACTIONS = {
    # The community head (第一责任人) dispatches and urges in their community.
    "assign": (Status.REPORTED, lambda w, t: {"assignee": w.grid_officer.pk},
               SUPERVISORS | {"community_head"}),
    "void": (Status.REPORTED, lambda w, t: {"reason": "重复上报"}, SUPERVISORS),
    "start": (Status.ASSIGNED, lambda w, t: {}, {"grid_officer"}),
    "hold": (Status.ASSIGNED, lambda w, t: {"reason": "等待审批"}, SUPERVISORS),
    "extend": (Status.ASSIGNED, lambda w, t: {
        "until": (t.deadline + timedelta(days=1)).isoformat(), "reason": "雨天"},
        {"grid_officer"}),
    "extend/decide": ("extension_requested", lambda w, t: {"approved": True}, SUPERVISORS),
    "resume": (Status.ON_HOLD, lambda w, t: {}, SUPERVISORS),
    "submit": (Status.IN_PROGRESS, lambda w, t: {"note": "已清理", "photos": [png()]},
               {"grid_officer"}),
    "verify": (Status.SUBMITTED, lambda w, t: {"approved": True},
               SUPERVISORS | {"inspector"}),
    "urge": (Status.ASSIGNED, lambda w, t: {"note": "请尽快处理"},
             SUPERVISORS | {"community_head"}),
    "campaign": (Status.ASSIGNED, lambda w, t: {"campaign": _campaign(w).pk}, SUPERVISORS),
    # The assignee, the reporter (the inspector) and verifiers may add photos.
    "photos": (Status.ASSIGNED, lambda w, t: {"image": png(), "kind": "evidence"},
               {"grid_officer", "inspector"} | SUPERVISORS),
}
MULTIPART = {"submit", "photos"}
READS = ["", "events/", "photos/", "photos/{photo}/"]


def _campaign(w) -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(name="背街小巷整治", lead_department=w.department,
                                   starts_on=today, deadline=today + timedelta(days=30))


def _expected(persona: str, allowed: set[str]) -> int:
    if persona not in SEES_G1:
        return 404
    return 200 if persona in allowed else 403


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_action_by_role_in_and_out_of_scope(world, client_for, task_in, persona, action):
    state, body, allowed = ACTIONS[action]
    task = task_in(state)
    before = (task.status, task.version)
    data = body(world, task)
    response = client_for(getattr(world, persona)).post(
        f"/api/v1/tasks/{task.pk}/{action}/", data,
        format="multipart" if action in MULTIPART else "json")

    expected = _expected(persona, allowed)
    if expected == 200 and action == "photos":
        expected = 201
    assert response.status_code == expected, response.content
    task.refresh_from_db()
    if expected >= 400:
        assert set(response.json()) >= {"code", "message"}
        assert (task.status, task.version) == before
    else:
        assert task.version > before[1]


@pytest.mark.parametrize("persona", PERSONAS)
def test_reads_by_role_in_and_out_of_scope(world, client_for, task_in, persona):
    task = task_in(Status.SUBMITTED)
    photo = task.photos.first()
    client = client_for(getattr(world, persona))
    visible = persona in SEES_G1

    listed = [t["id"] for t in client.get("/api/v1/tasks/").json()["results"]]
    assert (task.pk in listed) is visible
    for read in READS:
        response = client.get(f"/api/v1/tasks/{task.pk}/{read.format(photo=photo.pk)}")
        assert response.status_code == (200 if visible else 404), (read, response.content)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_task_in_another_district_is_not_found_for_anyone(world, elsewhere, client_for,
                                                           task_in, persona):
    task = task_in(Status.SUBMITTED, where="g3")
    photo = task.photos.first()
    client = client_for(getattr(world, persona))
    for read in READS:
        response = client.get(f"/api/v1/tasks/{task.pk}/{read.format(photo=photo.pk)}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    for action in ACTIONS:
        assert client.post(f"/api/v1/tasks/{task.pk}/{action}/", {}).status_code == 404
    assert task.pk not in [t["id"] for t in client.get("/api/v1/tasks/").json()["results"]]


def test_a_handler_sees_and_works_the_tasks_of_their_department(world, client_for, report):
    world.category.default_department = world.department
    world.category.save()
    task = report("g1")
    assert task.assignee == world.handler
    client = client_for(world.handler)
    assert client.get(f"/api/v1/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/api/v1/tasks/{task.pk}/start/", {}).status_code == 200
    # The grid officer still sees the task in their grid, but it is not theirs to start.
    assert client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/hold/", {"reason": "x"}).json()["code"] == "forbidden"


@pytest.mark.parametrize("path", [
    "/api/v1/tasks/", "/api/v1/tasks/1/", "/api/v1/tasks/1/events/", "/api/v1/grids/",
    "/api/v1/grids/locate/?lng=120.005&lat=30.005", "/api/v1/roads/", "/api/v1/regions/",
    "/api/v1/officers/", "/api/v1/departments/", "/api/v1/categories/", "/api/v1/campaigns/",
])
def test_anonymous_callers_are_refused(db, path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("resource", ["grids", "roads", "regions", "officers", "departments",
                                      "categories", "campaigns"])
def test_every_officer_reads_the_reference_data(world, client_for, persona, resource):
    response = client_for(getattr(world, persona)).get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    assert "results" in response.json()


def test_an_anonymous_action_is_refused_before_anything_happens(world, task_in):
    task = task_in(Status.ASSIGNED)
    response = APIClient().post(f"/api/v1/tasks/{task.pk}/start/", {}, format="json")
    assert response.status_code == 401
    task.refresh_from_db()
    assert (task.status, task.version) == (Status.ASSIGNED, 1)
