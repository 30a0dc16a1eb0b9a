"""The task list: filters, urgency ordering, bounded pages, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.models import Campaign, Light, Source, Task
from tasks_app.workflow import Status
from tests import factories as f


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()["results"]]


@pytest.fixture
def spread(world, report, task_in):
    """Tasks in G1 (on road R1) and G2 (off it), in several states, lights and sources."""
    g1 = report("g1", source=Source.THIRD_PARTY)
    g2 = report("g2")
    repeat = report("g1")  # same category and place as g1: a repeat
    reported = task_in(Status.REPORTED)
    closed = task_in(Status.CLOSED, where="g2")
    Task.objects.filter(pk=g2.pk).update(light=Light.RED,
                                         deadline=timezone.now() - timedelta(hours=1))
    Task.objects.filter(pk=g1.pk).update(light=Light.YELLOW)
    return {"g1": g1, "g2": g2, "repeat": repeat, "reported": reported, "closed": closed}


@pytest.mark.parametrize(("query", "expected"), [
    ("status=reported", ["reported"]),
    ("status=closed&status=reported", ["reported", "closed"]),
    ("open=false", ["closed"]),
    ("light=red", ["g2"]),
    ("source=third_party", ["g1"]),
    ("repeat=true", ["repeat", "closed"]),  # closed was reported where g2 was
    ("road={road}", ["g1", "repeat", "reported"]),
    ("grid={grid2}", ["g2", "closed"]),
    ("community={community1}", ["g1", "repeat", "reported"]),
    ("street={street2}", ["g2", "closed"]),
    ("region={street2}", ["g2", "closed"]),
    ("assignee=me", ["g1", "repeat"]),
    ("category={banner}", ["reported"]),
    ("bbox=120.01,30.0,120.02,30.01", ["g2", "closed"]),
    ("deadline_before={now}", ["g2"]),
])
def test_filters_narrow_the_callers_scope(world, client_for, spread, manual_category, query,
                                          expected):
    query = query.format(road=world.road.pk, grid2=world.grid2.pk,
                         community1=world.community1.pk, street2=world.street2.pk,
                         banner=manual_category.pk,
                         now=timezone.now().isoformat().replace("+", "%2B"))
    client = client_for(world.supervisor if "assignee" not in query else world.grid_officer)
    assert sorted(_ids(client.get(f"/api/v1/tasks/?{query}"))) == sorted(
        spread[name].pk for name in expected)


def test_date_ranges_and_campaigns(world, client_for, spread):
    campaign = Campaign.objects.create(name="背街小巷整治", lead_department=world.department,
                                       starts_on=timezone.localdate(),
                                       deadline=timezone.localdate())
    Task.objects.filter(pk=spread["g1"].pk).update(
        campaign=campaign, reported_at=timezone.now() - timedelta(days=10))
    client = client_for(world.supervisor)
    assert _ids(client.get(f"/api/v1/tasks/?campaign={campaign.pk}")) == [spread["g1"].pk]
    before = (timezone.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client.get(f"/api/v1/tasks/?reported_before={before}")) == [spread["g1"].pk]
    assert spread["g1"].pk not in _ids(client.get(f"/api/v1/tasks/?reported_after={before}"))


def test_a_handler_filters_by_department(world, client_for, report):
    world.category.default_department = world.department
    world.category.save()
    mine = report("g2")
    assert _ids(client_for(world.handler).get(
        f"/api/v1/tasks/?department={world.department.pk}")) == [mine.pk]


@pytest.mark.parametrize("query", ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=10,10,0,0",
                                   "status=nonsense", "assignee=someone",
                                   "reported_after=yesterday"])
def test_bad_filters_are_400(world, client_for, query):
    response = client_for(world.supervisor).get(f"/api/v1/tasks/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_urgency_puts_red_then_yellow_then_nearest_deadline_first(world, client_for, spread):
    ids = _ids(client_for(world.supervisor).get("/api/v1/tasks/?ordering=urgency&open=true"))
    assert ids[:2] == [spread["g2"].pk, spread["g1"].pk]


def test_other_orderings(world, client_for, spread):
    client = client_for(world.supervisor)
    newest_first = _ids(client.get("/api/v1/tasks/"))
    assert newest_first == sorted(newest_first, reverse=True)
    assert _ids(client.get("/api/v1/tasks/?ordering=id")) == sorted(newest_first)


def test_pages_are_bounded(world, client_for, report):
    for _ in range(3):
        report("g2")
    client = client_for(world.supervisor)
    page = client.get("/api/v1/tasks/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert len(client.get("/api/v1/tasks/?page_size=2&page=2").json()["results"]) == 1
    assert client.get("/api/v1/tasks/?page=9").status_code == 404


def test_the_page_size_is_capped_at_200_and_defaults_to_50(world, client_for):
    _many_tasks(world, 205)
    client = client_for(world.supervisor)
    assert len(client.get("/api/v1/tasks/").json()["results"]) == 50
    page = client.get("/api/v1/tasks/?page_size=100000").json()
    assert page["count"] == 205 and len(page["results"]) == 200


def _many_tasks(world, n: int) -> None:
    """n open tasks spread over both grids, with assignees, departments, campaigns and repeats,
    so every related field the serializer reads is filled."""
    campaign = Campaign.objects.create(name="专项", lead_department=world.department,
                                       starts_on=timezone.localdate(),
                                       deadline=timezone.localdate())
    officers = [world.grid_officer, world.other_grid_officer, world.handler]
    now = timezone.now()
    rows = []
    for i in range(n):
        lng, lat = (world.point_g1 if i % 2 else (120.015, 30.009))
        rows.append(Task(
            code=f"T{i:05d}", category=world.category, title=f"t{i}", lng=lng, lat=lat,
            grid=world.grid1 if i % 2 else world.grid2, road=world.road if i % 2 else None,
            status=Status.ASSIGNED, assignee=officers[i % 3],
            department=world.department if i % 3 == 2 else None,
            campaign=campaign if i % 4 == 0 else None, reported_at=now - timedelta(minutes=i),
            deadline=now + timedelta(hours=i), reporter=world.inspector.user))
    Task.objects.bulk_create(rows)


@pytest.mark.parametrize("persona", ["supervisor", "grid_officer", "handler"])
def test_the_list_costs_the_same_queries_for_5_rows_as_for_50(world, client_for, persona):
    _many_tasks(world, 60)
    client = client_for(getattr(world, persona))
    client.get("/api/v1/tasks/?page_size=1")  # warm-up: caches outside the request

    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/tasks/?page_size={size}&ordering=urgency")
        assert response.status_code == 200
        counts[size] = len(ctx.captured_queries)
    # Nothing per row: 50 rows cost no more than 5. (A page that reaches the end of the list
    # skips the count: what lies before it plus its rows is the count.)
    assert counts[50] <= counts[5] <= 6  # token, officer, duties, count, page


def test_a_superuser_sees_every_task(world, client_for, spread, elsewhere, task_in):
    other = task_in(Status.ASSIGNED, where="g3")
    root = f.UserFactory(username="admin", is_superuser=True)
    assert other.pk in _ids(client_for(root).get("/api/v1/tasks/?page_size=200"))


def test_the_count_is_capped_for_huge_scopes(world, monkeypatch):
    from rest_framework.test import APIClient

    from tasks_app.api.base import CursorOrPagePagination

    monkeypatch.setattr(CursorOrPagePagination, "count_cap", 2)
    lng, lat = world.point_g1
    from tasks_app import services

    for i in range(3):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng + i * 0.001, lat=lat)
    client = APIClient()
    client.force_authenticate(world.supervisor.user)
    body = client.get("/api/v1/tasks/", {"page_size": 1}).json()
    assert (body["count"], body["count_exact"]) == (2, False)
    monkeypatch.setattr(CursorOrPagePagination, "count_cap", 10)
    body = client.get("/api/v1/tasks/", {"page_size": 1}).json()
    assert (body["count"], body["count_exact"]) == (3, True)
