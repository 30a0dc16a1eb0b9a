"""The dashboard on the admin index: its figures, their links to the task list, the scope of
who is looking, and a number of queries that does not grow with the district."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt.models import Region, Role
from tasks_app.models import Task
from tests import factories as f

from .conftest import close, g1_point, g2_point, green, red, report, staff, submit, yellow

INDEX = "/admin/"


@pytest.fixture
def scene(world, wednesday):
    """Street S1 (grid G1): two red, one yellow, one green, one fixed and waiting, one closed.
    Street S2 (grid G2): one red, one green."""
    s1 = [report(world, g1_point(i)) for i in range(6)]
    red(s1[0], hours=2)
    red(s1[1], hours=30)
    yellow(s1[2])
    green(s1[3])
    submit(s1[4], world.grid_officer)
    close(world, s1[5], world.grid_officer)
    s2 = [report(world, g2_point(i)) for i in range(2)]
    red(s2[0], hours=5)
    green(s2[1])
    return {"s1": s1, "s2": s2}


def _figures(dashboard) -> dict[str, int]:
    return {fig.url: fig.value for fig in dashboard.lights + dashboard.waiting + dashboard.week
            + dashboard.queues}


def test_a_district_supervisor_sees_the_districts_figures(supervisor_client, scene):
    d = supervisor_client.get(INDEX).context["dashboard"]
    assert [fig.value for fig in d.lights] == [3, 1, 2]  # red, yellow, green
    assert [fig.value for fig in d.waiting] == [7]  # open
    # The queues: to dispatch, to verify, extension requests, held, supervised, rework.
    assert [q.value for q in d.queues] == [0, 1, 0, 0, 0, 0]
    assert [fig.value for fig in d.week] == [8, 1, 3]  # new, closed, missed the deadline
    # The most overdue first.
    assert [row["task"].pk for row in d.overdue] == [
        scene["s1"][1].pk, scene["s2"][0].pk, scene["s1"][0].pk]
    streets = {row["label"]: (row["open"], row["overdue"]) for row in d.streets}
    assert streets == {"东街道": (5, 2), "西街道": (2, 1)}


def test_a_street_leader_sees_only_their_street(street_leader_client, scene):
    d = street_leader_client.get(INDEX).context["dashboard"]
    assert d.scope == "东街道"
    assert [fig.value for fig in d.lights] == [2, 1, 1]
    assert [row["task"].pk for row in d.overdue] == [scene["s1"][1].pk, scene["s1"][0].pk]
    assert [row["label"] for row in d.streets] == ["东街道"]
    body = street_leader_client.get(INDEX).content.decode()
    assert scene["s2"][0].code not in body


@pytest.mark.parametrize("who", ["supervisor", "street_leader"])
def test_every_figure_links_to_a_task_list_of_the_same_count(client, world, scene, who):
    client.force_login(staff(getattr(world, who)))
    d = client.get(INDEX).context["dashboard"]
    for url, value in _figures(d).items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["cl"].result_count == value, url
    for row in d.streets + d.departments:
        assert client.get(row["url"]).context["cl"].result_count == row["open"]
        assert client.get(row["overdue_url"]).context["cl"].result_count == row["overdue"]


def test_the_trend_counts_reports_closures_and_missed_deadlines_per_day(supervisor_client,
                                                                        scene):
    trend = supervisor_client.get(INDEX).context["dashboard"].charts["trend"]
    assert len(trend["labels"]) == 90 and trend["labels"][-1] == "11-18"
    assert trend["new"][-1] == 8 and sum(trend["new"]) == 8
    assert trend["closed"][-1] == 1
    # Deadlines 2 and 5 hours ago fell today; 30 hours ago, yesterday.
    assert trend["late"][-2:] == [1, 2]
    day = supervisor_client.get(trend["late_urls"][-1])
    assert day.context["cl"].result_count == 2


def test_repeat_hotspots_are_listed_with_a_link_to_their_tasks(supervisor_client, world,
                                                                wednesday):
    spot = [report(world, world.point_g1) for _ in range(3)]
    d = supervisor_client.get(INDEX).context["dashboard"]
    (row,) = d.hotspots
    assert row["spot"].occurrences == 3 and row["spot"].open == 3
    listed = supervisor_client.get(row["url"]).context["cl"]
    assert {t.pk for t in listed.result_list} == {t.pk for t in spot}


def test_the_page_draws_the_charts_from_data_in_the_page(supervisor_client, scene):
    body = supervisor_client.get(INDEX).content.decode()
    assert 'id="dashboard-charts"' in body
    assert "console/vendor/chart.umd.min.js" in body
    for canvas in ("chart-streets", "chart-departments", "chart-trend"):
        assert f'id="{canvas}"' in body
    assert reverse("console:map") in body


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(INDEX).status_code == 200
    return len(ctx.captured_queries)


def _miss_and_hit(client) -> tuple[int, int]:
    """The queries of the page with its trend's past days read (a miss: the cache emptied)
    and then from the cache (a hit)."""
    cache.clear()
    return _queries(client), _queries(client)


def test_the_dashboard_queries_do_not_grow_with_streets_departments_or_tasks(
        supervisor_client, world, scene):
    before = _miss_and_hit(supervisor_client)
    # A hit reads today's counts where a miss reads the 90 days': one query either way.
    assert before[0] == before[1] <= 18
    # A third street with its community, grid, a department with its handler, and more tasks,
    # repeats among them.
    s3 = f.RegionFactory(code="S3", name="南街道", level=Region.Level.STREET, parent=world.district)
    c3 = f.RegionFactory(code="C3", name="三社区", level=Region.Level.COMMUNITY, parent=s3)
    f.GridFactory(code="G3", name="三号网格", community=c3, boundary=f.square(2, 0))
    dept = f.DepartmentFactory(code="YL", name="园林所", district=world.district)
    handler = f.OfficerFactory(user=f.UserFactory(username="yl"), department=dept)
    f.DutyFactory(officer=handler, role=Role.HANDLER, department=dept)
    greenery = f.CategoryFactory(code="TREE", name="树木倒伏", default_department=dept)
    for i in range(6):
        report(world, (120.0205 + i * 0.001, 30.005), category=greenery)
        report(world, g2_point(5 + i))
    for _ in range(3):
        report(world, (120.0255, 30.0075), category=greenery)
    assert Task.objects.count() > 2 * 8
    assert _miss_and_hit(supervisor_client) == before


def test_staff_without_a_supervising_duty_see_no_dashboard(client, world):
    # Model permissions do not make a supervisor: the authority module asks for the duty.
    client.force_login(staff(world.grid_officer))
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "dashboard" not in response.context


def test_the_index_still_needs_a_staff_login(client, world):
    assert client.get(INDEX).status_code == 302
    client.force_login(world.grid_officer.user)
    assert client.get(INDEX).status_code == 302


def test_overdue_rows_say_by_how_long(supervisor_client, scene):
    d = supervisor_client.get(INDEX, headers={"accept-language": "en"}).context["dashboard"]
    assert d.overdue[0]["overdue_for"] == "1d 6h"  # 30 hours
