"""My tasks: urgency order, badges, counts, filters, and a query count that does not grow with
the number of tasks."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt import clock
from tasks_app.models import Task
from tests import factories as f

from .conftest import g1_point, make_red, report_at


def _make_tasks(world, start: int, stop: int) -> None:
    categories = [world.category, f.CategoryFactory(code="BANNER", name="违规横幅")]
    for i in range(start, stop):
        task = report_at(world, g1_point(i), category=categories[i % 2])
        if i % 3 == 0:
            make_red(task)


def test_the_list_query_count_is_constant_in_the_number_of_tasks(
        client, world, django_assert_num_queries):
    client.force_login(world.grid_officer.user)
    _make_tasks(world, 0, 3)
    client.get(reverse("mobile:tasks"))  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("mobile:tasks"))
    assert response.content.decode().count('class="task ') == 3
    _make_tasks(world, 3, 30)
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("mobile:tasks"))
    assert response.content.decode().count('class="task ') == 30
    assert len(few) <= 8


def test_red_comes_first_then_yellow_then_green_then_the_nearest_deadline(client, world):
    now = clock.now()
    green_late = report_at(world, g1_point(0))
    green_soon = report_at(world, g1_point(1))
    yellow = report_at(world, g1_point(2))
    red = make_red(report_at(world, g1_point(3)))
    Task.objects.filter(pk=green_late.pk).update(deadline=now + timedelta(hours=9),
                                                 yellow_at=now + timedelta(hours=5))
    Task.objects.filter(pk=green_soon.pk).update(deadline=now + timedelta(hours=4),
                                                 yellow_at=now + timedelta(hours=2))
    # The stored light lags until the next sweep; the list judges by the clock.
    Task.objects.filter(pk=yellow.pk).update(deadline=now + timedelta(hours=1),
                                             yellow_at=now - timedelta(minutes=5), light="green")
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:tasks")).content.decode()
    positions = [html.index(reverse("mobile:task", args=[t.pk]) + '"')
                 for t in (red, yellow, green_soon, green_late)]
    assert positions == sorted(positions)
    assert 'class="task red"' in html and 'class="task yellow"' in html


def test_the_list_shows_counts_badges_and_time(client, world):
    red = make_red(report_at(world, world.point_g1, address="中山路12号"))
    repeat = report_at(world, world.point_g1)
    Task.objects.filter(pk=repeat.pk).update(supervised=True)
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:tasks"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Repeat ×2" in html
    assert "Supervised" in html
    assert "Overdue by" in html and " left" in html
    assert "中山路12号" in html and "一号网格" in html
    assert '<span class="count red">Red <b>1</b>' in html
    assert red.pk


def test_the_list_speaks_chinese_by_default(client, world, red_task):
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:tasks")).content.decode()
    assert "我的任务" in html and "超时" in html and "红灯" in html


def test_submitted_tasks_leave_mine_and_wait_under_to_verify(client, world, red_task):
    from tasks_app import services

    from .conftest import photo

    services.task_start(task=red_task, actor=world.grid_officer.user)
    services.task_submit(task=red_task, actor=world.grid_officer.user, photos=[photo()])
    link = reverse("mobile:task", args=[red_task.pk])
    client.force_login(world.grid_officer.user)
    assert link not in client.get(reverse("mobile:tasks")).content.decode()
    client.force_login(world.inspector.user)
    html = client.get(reverse("mobile:tasks"), {"f": "verify"}).content.decode()
    assert link in html


def test_filters_by_my_grid_and_my_road(client, world):
    on_road = report_at(world, world.point_g1)  # G1, 10 m from road R1
    off_road = report_at(world, g1_point(0))  # G1, far from the road
    g2_on_road = report_at(world, (120.015, 30.005))  # G2, on R1
    client.force_login(world.road_chief.user)
    road = client.get(reverse("mobile:tasks"), {"f": "road"}).content.decode()
    assert reverse("mobile:task", args=[on_road.pk]) in road
    assert reverse("mobile:task", args=[g2_on_road.pk]) in road
    assert reverse("mobile:task", args=[off_road.pk]) not in road
    client.force_login(world.grid_officer.user)
    grid = client.get(reverse("mobile:tasks"), {"f": "grid"}).content.decode()
    assert reverse("mobile:task", args=[off_road.pk]) in grid
    assert reverse("mobile:task", args=[g2_on_road.pk]) not in grid
    assert "?f=road" not in grid  # a grid officer has no road tab


def test_the_refresh_button_gets_only_the_list(client, world, red_task):
    client.force_login(world.grid_officer.user)
    response = client.get(reverse("mobile:tasks"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<section id="tasklist">')
    assert "<html" not in html


def test_an_inspectors_list_opens_on_what_waits_for_verification(client, world):
    client.force_login(world.inspector.user)
    html = client.get(reverse("mobile:tasks")).content.decode()
    assert 'href="?f=verify" aria-current="page"' in html
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:tasks")).content.decode()
    assert 'href="?f=mine" aria-current="page"' in html
