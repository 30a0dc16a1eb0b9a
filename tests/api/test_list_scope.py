"""The task list for every role: the scope filtered by a community's or street's grid ids as a
list is the same set of tasks as the subquery through the region tables, and a page costs the
same number of queries for 5 rows as for 50, by page number or by cursor."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from gridmgmt.models import Grid
from gridmgmt.selectors import regions_below
from tasks_app import authority
from tasks_app.models import Task
from tasks_app.selectors import tasks_visible_to

from .test_cursor_pagination import _tasks

ROLES = ["grid_officer", "road_chief", "community_head", "street_leader", "supervisor",
         "inspector", "handler"]


@pytest.mark.parametrize("persona", ["community_head", "street_leader"])
def test_a_small_regions_grid_list_is_the_subquerys_scope(world, persona, elsewhere):
    _tasks(world, 30)
    Task.objects.create(category=world.category, title="外区", lng=120.0, lat=30.0,
                        grid=elsewhere, status="reported", reported_at=Task.objects.first()
                        .reported_at)
    user = getattr(world, persona).user
    auth = authority.of(user)
    q = auth.task_filter()
    assert "grid_id__in" in str(q)  # the list, not the subquery
    regions = sorted(auth.area.all_regions)
    by_subquery = Task.objects.filter(
        Q(assignee=auth.officer) | Q(reporter=user)
        | Q(grid__in=Grid.objects.filter(regions_below(regions)).values("pk")))
    listed = set(tasks_visible_to(user).values_list("pk", flat=True))
    assert listed == set(by_subquery.values_list("pk", flat=True))
    assert 0 < len(listed) < Task.objects.count()


def test_a_district_stays_a_subquery(world):
    q = authority.of(world.supervisor.user).task_filter()
    assert "grid_id__in" not in str(q) and "grid__in" in str(q)


@pytest.mark.parametrize("persona", ROLES)
@pytest.mark.parametrize("mode", ["page", "cursor"])
def test_every_role_pays_the_same_queries_for_5_rows_as_for_50(world, client_for, persona,
                                                                mode):
    _tasks(world, 120)
    officer = getattr(world, persona)
    # Every persona sees at least 50: the tasks are reported by the inspector, and assigned
    # to them here where the scope is not the whole district.
    Task.objects.filter(pk__in=Task.objects.order_by("pk").values("pk")[:60]).update(
        assignee=officer, status="assigned")
    client = client_for(officer)
    query = "pagination=cursor&" if mode == "cursor" else ""
    client.get(f"/api/v1/tasks/?{query}page_size=1")  # caches outside the request
    counts = {}
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/tasks/?{query}page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts[size] = len(ctx.captured_queries)
    assert counts[5] == counts[50] <= 6
