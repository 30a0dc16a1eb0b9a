"""Cursor (keyset) pagination of the task list: ``?pagination=cursor`` starts a walk, ``next``
and ``previous`` carry the cursor. Every task once and in order, whatever the ordering (ties and
NULLs included); rows added during a walk repeat nothing; a bad cursor is a 400; a cursor names
a place in the order, never a task outside the caller's scope."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.api.base import encode_cursor
from tasks_app.models import Light, Task
from tasks_app.selectors import tasks_visible_to
from tasks_app.workflow import Status


def _tasks(world, n: int, *, start: int = 0, base=None) -> list[int]:
    """n tasks over both grids with ties in report time (three share each instant), NULL and
    set deadlines, closing times and codes, and every light."""
    base = base or timezone.now().replace(microsecond=0)
    officers = [world.grid_officer, world.other_grid_officer, None]
    rows = []
    for i in range(start, start + n):
        assignee = officers[i % 3]
        rows.append(Task(
            code=f"K{i:05d}" if i % 5 else None, category=world.category, title=f"t{i}",
            lng=world.point_g1[0] if i % 2 else 120.015, lat=world.point_g1[1] if i % 2
            else 30.009, grid=world.grid1 if i % 2 else world.grid2,
            status=Status.ASSIGNED if assignee else Status.VOID, assignee=assignee,
            light=[Light.GREEN, Light.YELLOW, Light.RED][i % 3 - 1 if i % 7 else 0],
            reported_at=base - timedelta(minutes=i // 3),
            deadline=base + timedelta(hours=i % 4) if i % 4 else None,
            closed_at=None if assignee else base - timedelta(minutes=i % 6),
            reporter=world.inspector.user))
    return [t.pk for t in Task.objects.bulk_create(rows)]


def _cursor_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


def _walk(client, query: str, *, size: int = 4) -> tuple[list[int], list[str]]:
    """Every page forwards from the first; the ids in order and each page's cursor link."""
    response = client.get(f"/api/v1/tasks/?pagination=cursor&page_size={size}&{query}")
    ids, links = [], []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        assert len(body["results"]) <= size
        ids += [row["id"] for row in body["results"]]
        if not body["next"]:
            return ids, links
        links.append(body["next"])
        response = client.get(body["next"])


@pytest.mark.parametrize("ordering", ["", "ordering=urgency", "ordering=deadline",
                                      "ordering=-deadline", "ordering=-closed_at",
                                      "ordering=code", "ordering=-code", "ordering=light",
                                      "ordering=reported_at", "ordering=-id", "ordering=status"])
def test_walking_every_page_gives_each_task_once_in_order(world, client_for, ordering):
    _tasks(world, 31)
    client = client_for(world.supervisor)
    ids, _ = _walk(client, ordering)
    assert ids == _expected(ordering)
    if not any(key in ordering for key in ("urgency", "deadline", "closed_at", "code")):
        # No NULLs among the keys: the page-number list has the same order on any database.
        assert ids == [row["id"] for row in client.get(
            f"/api/v1/tasks/?page_size=200&{ordering}").json()["results"]]


URGENCY = {Light.RED: 0, Light.YELLOW: 1}


def _expected(ordering: str) -> list[int]:
    """The order worked out in Python: the named key, then the id, NULL as the greatest value
    (PostgreSQL's default order, which the cursor states explicitly on every database)."""
    spec = ordering.partition("=")[2] or "-reported_at"
    keys = {"urgency": [("urgency", False), ("deadline", False), ("id", False)]}.get(
        spec, [(spec.lstrip("-"), spec.startswith("-")), ("id", True)])
    rows = list(Task.objects.values("id", "light", "reported_at", "deadline", "closed_at",
                                    "code", "status"))
    for row in rows:
        row["urgency"] = URGENCY.get(row["light"], 2)
    assert len(rows) == 31 and any(r["deadline"] is None for r in rows)
    for name, desc in reversed(keys):
        rows.sort(key=lambda r, n=name: (r[n] is None, r[n]), reverse=desc)
    return [r["id"] for r in rows]


def test_previous_links_walk_back_through_the_same_pages(world, client_for):
    _tasks(world, 23)
    client = client_for(world.supervisor)
    pages = []
    response = client.get("/api/v1/tasks/?pagination=cursor&page_size=5")
    while True:
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert body["previous"] and len(pages) == 5
    back = [pages[-1]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back.append([row["id"] for row in body["results"]])
    assert back[::-1] == pages
    # The first page reached backwards links forwards again, to the second page.
    assert [row["id"] for row in client.get(body["next"]).json()["results"]] == pages[1]


def test_rows_added_during_a_walk_never_repeat_a_row(world, client_for):
    base = timezone.now().replace(microsecond=0)
    first = _tasks(world, 20, base=base)
    client = client_for(world.supervisor)
    response = client.get("/api/v1/tasks/?pagination=cursor&page_size=6")
    seen = [row["id"] for row in response.json()["results"]]
    # New reports (newer, so at the top) and some at the very instant of the page's last row.
    _tasks(world, 9, start=100, base=base)
    _tasks(world, 4, start=200, base=base + timedelta(days=1))
    link = response.json()["next"]
    while link:
        body = client.get(link).json()
        seen += [row["id"] for row in body["results"]]
        link = body["next"]
    assert len(seen) == len(set(seen))
    assert set(first) <= set(seen)


@pytest.mark.parametrize("cursor", [
    "x", "%%%", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1,2]").decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":[1],"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":["2026-01-01T00:00:00+00:00",'
                             b'"1"],"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":["2026-01-01T00:00:00+00:00",'
                             b'99999999999999999999999],"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":["2026-01-01T00:00:00",1],'
                             b'"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":["yesterday",1],"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":[null,1],"p":false}').decode(),
    base64.urlsafe_b64encode(b'{"o":"-reported_at,-pk","v":["2026-01-01T00:00:00Z",1],'
                             b'"p":"yes"}').decode(),
    base64.urlsafe_b64encode(b'{"o":"id,-pk","v":[1,1],"p":false}').decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b"[" * 5000).decode(),
])
def test_a_bad_cursor_is_400(world, client_for, cursor):
    response = client_for(world.supervisor).get(f"/api/v1/tasks/?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_input"
    assert "cursor" in response.json()["errors"]


def test_a_cursor_of_another_ordering_is_400(world, client_for):
    _tasks(world, 6)
    client = client_for(world.supervisor)
    link = client.get("/api/v1/tasks/?pagination=cursor&page_size=2").json()["next"]
    response = client.get(f"/api/v1/tasks/?ordering=deadline&cursor={_cursor_of(link)}")
    assert response.status_code == 400


def test_a_cursor_reveals_nothing_outside_the_scope(world, client_for, elsewhere):
    _tasks(world, 12)
    outside = Task.objects.create(
        category=world.category, title="外区", lng=120.0, lat=30.0, grid=elsewhere,
        status=Status.REPORTED, reported_at=timezone.now() - timedelta(minutes=1))
    officer = world.grid_officer
    mine = set(tasks_visible_to(officer.user).values_list("pk", flat=True))
    assert outside.pk not in mine and 0 < len(mine) < 13
    client = client_for(officer)
    # A cursor placed on the outside task, and one past every task: only the caller's rows.
    for values in ([outside.reported_at, outside.pk + 1],
                   [timezone.now() + timedelta(days=9999), 2**62]):
        cursor = encode_cursor("-reported_at,-pk", values)
        ids, _ = _walk(client, f"cursor={cursor}", size=200)
        assert ids and set(ids) <= mine
        assert outside.pk not in ids


def test_a_cursor_page_costs_the_same_queries_for_5_rows_as_for_50(world, client_for):
    _tasks(world, 120)
    client = client_for(world.supervisor)
    first = client.get("/api/v1/tasks/?pagination=cursor&page_size=1").json()
    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/tasks/?page_size={size}&cursor="
                                  f"{_cursor_of(first['next'])}")
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts[size] = len(ctx.captured_queries)
        assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    assert counts[5] == counts[50]


def test_page_numbers_still_work_beside_cursors(world, client_for):
    _tasks(world, 7)
    body = client_for(world.supervisor).get("/api/v1/tasks/?page_size=3&page=2").json()
    assert body["count"] == 7 and body["count_exact"] is True and len(body["results"]) == 3
    assert "page=3" in body["next"] and "cursor" not in body["next"]


def test_the_schema_documents_the_cursor(world, client_for):
    schema = client_for(world.supervisor).get("/api/schema/?format=json")
    assert schema.status_code == 200
    params = {p["name"] for p in json.loads(schema.content)["paths"]["/api/v1/tasks/"]["get"][
        "parameters"]}
    assert {"cursor", "pagination", "page", "page_size"} <= params


def test_an_empty_cursor_is_the_first_page(world, client_for):
    _tasks(world, 5)
    client = client_for(world.supervisor)
    body = client.get("/api/v1/tasks/?cursor=&page_size=2").json()
    first = client.get("/api/v1/tasks/?pagination=cursor&page_size=2").json()
    assert body["results"] == first["results"] and body["previous"] is None
