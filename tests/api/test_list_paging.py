"""Page numbers of the task list past the count's cap: ``count`` stops at the cap (1,000 for the
task list, ``count_exact`` false beyond), but whether a next page exists is read from the rows
(one row beyond the page), so every page with rows answers, the last has no ``next``, and a
page past the last row is 404. The page's related names, read as subqueries, are the rows the
joined ``values()`` gave."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.api import serializers as s
from tasks_app.api.base import ApiPagination, CappedCountPaginator, CursorOrPagePagination
from tasks_app.api.views import TaskViewSet
from tasks_app.models import Task
from tasks_app.selectors import tasks_visible_to
from tests import factories as f

from .test_cursor_pagination import _tasks


def _expected(world) -> list[int]:
    return list(tasks_visible_to(world.supervisor.user).order_by("-reported_at", "-pk")
                .values_list("pk", flat=True))


def _page_of(link: str | None) -> int | None:
    if link is None:
        return None
    return int(parse_qs(urlparse(link).query).get("page", ["1"])[0])


@pytest.fixture
def cap_3(monkeypatch):
    monkeypatch.setattr(CursorOrPagePagination, "count_cap", 3)


def test_the_task_lists_cap_is_1000_and_the_reference_lists_10000():
    assert CursorOrPagePagination.count_cap == 1_000
    assert ApiPagination.count_cap == CappedCountPaginator.COUNT_CAP == 10_000


def test_pages_past_the_cap_are_reachable_and_the_last_has_no_next(world, client_for, cap_3):
    _tasks(world, 11)
    expected = _expected(world)
    assert len(expected) == 11
    client = client_for(world.supervisor)
    seen, page = [], 1
    while True:
        response = client.get(f"/api/v1/tasks/?page_size=2&page={page}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert list(body) == ["count", "next", "previous", "results", "count_exact"]
        # The same count on every page, past the cap too.
        assert (body["count"], body["count_exact"]) == (3, False)
        assert _page_of(body["previous"]) == (page - 1 if page > 1 else None)
        seen += [row["id"] for row in body["results"]]
        if body["next"] is None:
            break
        assert _page_of(body["next"]) == page + 1
        page += 1
    assert page == 6 and seen == expected  # pages 3 to 6 lie past the cap
    assert client.get("/api/v1/tasks/?page_size=2&page=7").status_code == 404


def test_a_full_last_page_has_no_next_and_the_one_after_is_404(world, client_for, cap_3):
    _tasks(world, 6)
    client = client_for(world.supervisor)
    body = client.get("/api/v1/tasks/?page_size=2&page=3").json()
    assert len(body["results"]) == 2 and body["next"] is None
    assert client.get("/api/v1/tasks/?page_size=2&page=4").status_code == 404


def test_under_the_cap_the_count_is_exact_on_every_page(world, client_for):
    _tasks(world, 7)
    client = client_for(world.supervisor)
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/tasks/?page_size=3&page={page}").json()
        assert (body["count"], body["count_exact"]) == (7, True)
    assert body["next"] is None and len(body["results"]) == 1


def test_exactly_the_cap_is_exact_and_one_more_is_not(world, client_for, cap_3):
    _tasks(world, 3)
    client = client_for(world.supervisor)
    for page_size in (1, 3, 5):
        body = client.get(f"/api/v1/tasks/?page_size={page_size}").json()
        assert (body["count"], body["count_exact"]) == (3, True)
    _tasks(world, 1, start=3)
    for page_size in (1, 3, 5):
        body = client.get(f"/api/v1/tasks/?page_size={page_size}").json()
        assert (body["count"], body["count_exact"]) == (3, False)


def test_the_real_cap_with_1001_tasks(world, client_for):
    _tasks(world, 1_001)
    client = client_for(world.supervisor)
    body = client.get("/api/v1/tasks/").json()
    assert (body["count"], body["count_exact"]) == (1_000, False) and body["next"]
    last = client.get("/api/v1/tasks/?page=21").json()  # row 1,001, past the cap
    assert [row["id"] for row in last["results"]] == _expected(world)[1_000:]
    assert last["next"] is None and (last["count"], last["count_exact"]) == (1_000, False)
    assert client.get("/api/v1/tasks/?page=22").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "99999999999999999999999",
                                  str(2**62)])
def test_bad_or_huge_page_numbers_are_404(world, client_for, page):
    _tasks(world, 3)
    response = client_for(world.supervisor).get(f"/api/v1/tasks/?page={page}")
    assert response.status_code == 404


def test_an_empty_list_is_one_empty_page(world, client_for):
    body = client_for(world.supervisor).get("/api/v1/tasks/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": [],
                    "count_exact": True}


def test_page_last_while_the_count_is_exact_and_404_past_the_cap(world, client_for, cap_3):
    _tasks(world, 3)
    client = client_for(world.supervisor)
    body = client.get("/api/v1/tasks/?page_size=2&page=last").json()
    assert [row["id"] for row in body["results"]] == _expected(world)[2:]
    assert body["next"] is None
    _tasks(world, 1, start=3)
    assert client.get("/api/v1/tasks/?page_size=2&page=last").status_code == 404


def test_a_page_that_shows_the_count_does_not_count(world, client_for, cap_3):
    """The count query runs only when the page cannot tell: not on a page that reaches the end
    (before it plus its rows) nor on one that reaches past the cap (the cap)."""
    _tasks(world, 11)
    client = client_for(world.supervisor)
    client.get("/api/v1/tasks/?page_size=2")  # caches outside the request

    def counted(query: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/tasks/?{query}").status_code == 200
        return sum("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)

    assert counted("page_size=2") == 1  # rows 1-2 and a third: is there a fourth?
    assert counted("page_size=2&page=2") == 0  # row 4 exists: past the cap of 3
    assert counted("page_size=2&page=4") == 0
    assert counted("page_size=20") == 0  # the whole list on one page


@pytest.mark.parametrize("persona", ["supervisor", "grid_officer", "handler"])
def test_a_page_past_the_cap_costs_no_more_queries_than_the_first(world, client_for, persona,
                                                                  monkeypatch):
    monkeypatch.setattr(CursorOrPagePagination, "count_cap", 20)
    _tasks(world, 40)
    officer = getattr(world, persona)
    Task.objects.filter(pk__in=Task.objects.order_by("pk").values("pk")[:30]).update(
        assignee=officer, status="assigned")
    client = client_for(officer)
    client.get("/api/v1/tasks/?page_size=1")  # caches outside the request
    counts = {}
    for page in (1, 5):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/tasks/?page_size=5&page={page}")
        assert response.status_code == 200 and len(response.json()["results"]) == 5
        counts[page] = len(ctx.captured_queries)
    # Page 1 counts (rows 1-6 of a cap of 20); page 5 starts past the cap: the same, less the
    # count.
    assert counts[5] == counts[1] - 1


def test_the_pages_related_names_are_the_joined_values(world, spread_world):
    """page_rows reads each related name as a subquery; the rows equal the joined values(),
    with and without road, assignee, department, campaign and plan (by an officer and by a
    user who is none)."""
    tasks = Task.objects.order_by("-reported_at", "-pk")
    joined = list(tasks.values(*s.TASK_LIST_VALUES))
    assert len(joined) >= 6 and joined == list(TaskViewSet().page_rows(tasks))
    kinds = {(r["road"] is None, r["assignee"] is None, r["department"] is None,
              r["plan_by"] is None, r["plan_by__officer__name"] is None) for r in joined}
    assert {(False, False, True, True, True), (True, True, True, True, True)} <= kinds
    assert any(r["plan_by"] is not None and r["plan_by__officer__name"] is None for r in joined)
    assert any(r["plan_by__officer__name"] is not None for r in joined)
    assert any(r["department__name"] is not None for r in joined)


@pytest.fixture
def spread_world(world):
    """Tasks with every relation set and unset."""
    lng, lat = world.point_g1
    base = {"category": world.category, "lng": lng, "lat": lat, "grid": world.grid1,
            "reporter": world.inspector.user, "reported_at": timezone.now()}
    stranger = f.UserFactory(username="planner")
    Task.objects.create(title="bare", status="reported", **{**base, "grid": world.grid2})
    Task.objects.create(title="road", status="assigned", road=world.road,
                        assignee=world.grid_officer, **base)
    Task.objects.create(title="dept", status="assigned", department=world.department,
                        assignee=world.handler, **base)
    Task.objects.create(title="plan", status="assigned", assignee=world.grid_officer,
                        plan="先清理", plan_by=world.grid_officer.user, **base)
    Task.objects.create(title="plan2", status="assigned", assignee=world.grid_officer,
                        plan="再处理", plan_by=stranger, **base)
    Task.objects.create(title="road2", status="reported", road=world.road, **base)


def test_the_schema_documents_each_lists_cap(db):
    from rest_framework.test import APIClient

    schemas = APIClient().get("/api/schema/?format=json").json()["components"]["schemas"]
    for name, cap in (("PaginatedTaskList", "1,000"), ("PaginatedGridList", "10,000")):
        props = schemas[name]["properties"]
        assert cap in props["count"]["description"]
        assert cap in props["count_exact"]["description"]
        assert "404" in props["next"]["description"]


ORDERINGS = ["", "reported_at", "-deadline", "deadline", "closed_at", "-closed_at", "code",
             "-code", "id", "light", "urgency"]


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_small_scope_read_sorted_gives_the_orders_pages(world, client_for, ordering):
    """Within the cap the page is read with its first key as COALESCE(key, key), which no
    index provides (``_sorted``): the pages walked give every task once, in the order the
    plain ordering gives (ties, NULLs first or last as the database puts them)."""
    _tasks(world, 23)
    tasks = tasks_visible_to(world.supervisor.user)
    if ordering == "urgency":
        from tasks_app.selectors import by_urgency

        expected = list(by_urgency(tasks).values_list("pk", flat=True))
    else:
        expected = list(tasks.order_by(ordering or "-reported_at", "-pk")
                        .values_list("pk", flat=True))
    client = client_for(world.supervisor)
    seen = []
    for page in range(1, 7):
        body = client.get(f"/api/v1/tasks/?ordering={ordering}&page_size=4&page={page}").json()
        seen += [row["id"] for row in body["results"]]
        assert (body["next"] is None) == (page == 6)
    assert seen == expected


def test_sorted_names_the_first_key_only_and_leaves_annotations(world):
    from tasks_app.api.base import _sorted
    from tasks_app.selectors import by_urgency

    tasks = Task.objects.order_by("-reported_at", "-pk")
    assert "COALESCE" in str(_sorted(tasks).query).upper()
    assert "COALESCE" not in str(tasks.query).upper()
    urgent = by_urgency(Task.objects.all())
    assert _sorted(urgent).query.order_by == urgent.query.order_by
