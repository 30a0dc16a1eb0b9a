"""Each role lands on its work on /m/; the plan and the before photo on the phone's start form;
the community head (第一责任人) dispatches and urges from the phone; ``/`` sends each user home;
a fix waiting for verification shows no overdue light unless it came late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from gridmgmt import clock
from tasks_app import notify, services
from tasks_app.models import Notification, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import make_red, photo, report_at

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OFF_ROAD_G1 = (120.002, 30.0085)  # in G1, far from the road


def _landing(client, officer) -> tuple[str, str]:
    client.force_login(officer.user)
    response = client.get(reverse("mobile:tasks"), **EN)
    assert response.status_code == 200
    return response.context["which"], response.content.decode()


def _listed(html: str, task: Task) -> bool:
    return f'href="/m/t/{task.pk}/"' in html


def test_the_road_chief_lands_on_his_roads_tasks_by_urgency(client, world):
    green = report_at(world, world.point_g1)
    red = make_red(report_at(world, (120.0075, 30.005)))  # on the road in G1, 250 m east
    which, html = _landing(client, world.road_chief)
    assert which == "road"
    assert _listed(html, green) and _listed(html, red)
    assert html.index(f"/m/t/{red.pk}/") < html.index(f"/m/t/{green.pk}/")


def test_the_community_head_lands_on_every_task_of_his_community(client, world):
    on_road = report_at(world, world.point_g1)
    off_road = report_at(world, OFF_ROAD_G1)
    elsewhere = report_at(world, world.point_g2)
    assert on_road.road_id and not off_road.road_id
    which, html = _landing(client, world.community_head)
    assert which == "community"
    assert _listed(html, on_road) and _listed(html, off_road)
    assert not _listed(html, elsewhere)


def test_the_handler_lands_on_his_departments_tasks(client, world):
    task = report_at(world, world.point_g1)
    services.task_assign(task=task, actor=world.supervisor.user, assignee=world.handler,
                         department=world.department)
    other = report_at(world, OFF_ROAD_G1)
    which, html = _landing(client, world.handler)
    assert which == "department"
    assert _listed(html, task) and not _listed(html, other)


def test_the_grid_officer_lands_on_his_own_tasks(client, world):
    task = report_at(world, world.point_g1)
    which, html = _landing(client, world.grid_officer)
    assert which == "mine" and _listed(html, task)


def test_the_inspector_lands_on_what_waits_for_verification(client, world):
    task = report_at(world, world.point_g1)
    officer = world.grid_officer.user
    services.task_start(task=task, actor=officer)
    services.task_submit(task=task, actor=officer, photos=[photo()])
    which, html = _landing(client, world.inspector)
    assert which == "verify" and _listed(html, task)


# -- the plan and the before photo on the phone ------------------------------------------------

def _start(client, task, **data):
    task.refresh_from_db()
    return client.post(reverse("mobile:start", args=[task.pk]),
                       {"version": task.version, **data}, HTTP_X_UPLOAD="1", **EN)


def test_the_phone_refuses_a_start_without_the_required_plan_and_photo(client, world):
    world.category.plan_required = True
    world.category.before_photo_required = True
    world.category.save()
    task = report_at(world, world.point_g1)
    client.force_login(world.grid_officer.user)
    page = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    assert "Plan (required)" in page and "Before photo (required)" in page

    response = _start(client, task)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Write the plan before starting: what will be done, by whom, by when."]
    response = _start(client, task, plan="清运")
    assert response.status_code == 400
    assert response.json()["errors"] == ["Take a before photo before starting this task."]
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED and task.plan == "" and not task.photos.exists()

    response = _start(client, task, plan="下午清运", photos=[photo()])
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS and task.plan == "下午清运"
    assert task.plan_by == world.grid_officer.user and task.photos.get().kind == "before"
    page = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    assert "下午清运" in page and world.grid_officer.name in page


def test_the_verifier_sees_before_and_after_side_by_side(client, world):
    task = report_at(world, world.point_g1)
    officer = world.grid_officer.user
    services.task_start(task=task, actor=officer, photos=[photo()])
    services.task_submit(task=task, actor=officer, photos=[photo()])
    client.force_login(world.inspector.user)
    page = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    before, after = task.photos.order_by("pk")
    block = page[page.index('class="beforeafter"'):]
    assert block.index(f"/m/photos/{before.pk}/") < block.index("After") \
        < block.index(f"/m/photos/{after.pk}/")
    assert reverse("mobile:verify", args=[task.pk]) in page


# -- the community head dispatches and urges ---------------------------------------------------

def test_the_community_head_dispatches_from_the_phone(client, world):
    category = f.CategoryFactory(code="BANNER", name="违规横幅", auto_dispatch=False)
    task = report_at(world, world.point_g1, category=category)
    assert task.status == Status.REPORTED
    client.force_login(world.community_head.user)
    page = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    assert reverse("mobile:assign", args=[task.pk]) in page
    assert f'value="{world.grid_officer.pk}"' in page  # the grid's officer is suggested
    response = client.post(reverse("mobile:assign", args=[task.pk]),
                           {"version": task.version, "assignee": world.grid_officer.pk},
                           HTTP_X_UPLOAD="1")
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED and task.assignee == world.grid_officer


def test_an_officer_not_offered_is_refused(client, world):
    category = f.CategoryFactory(code="BANNER", name="违规横幅", auto_dispatch=False)
    task = report_at(world, world.point_g1, category=category)
    stranger = f.OfficerFactory()
    client.force_login(world.community_head.user)
    response = client.post(reverse("mobile:assign", args=[task.pk]),
                           {"version": task.version, "assignee": stranger.pk},
                           HTTP_X_UPLOAD="1", **EN)
    assert response.status_code == 400
    assert Task.objects.get(pk=task.pk).status == Status.REPORTED


def test_the_community_head_urges_from_the_phone(client, world):
    task = report_at(world, world.point_g1)
    client.force_login(world.community_head.user)
    page = client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()
    assert reverse("mobile:urge", args=[task.pk]) in page
    response = client.post(reverse("mobile:urge", args=[task.pk]),
                           {"version": task.version, "note": "请尽快"}, HTTP_X_UPLOAD="1")
    assert response.status_code == 200
    assert TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.URGED).count() == 1
    assert Notification.objects.filter(task=task, kind=Notification.Kind.REMINDER,
                                       recipient=world.grid_officer).count() == 1


def test_the_forms_are_offered_only_where_authority_allows(client, world):
    task = report_at(world, world.point_g2)  # another community: out of his scope
    client.force_login(world.community_head.user)
    assert client.get(reverse("mobile:task", args=[task.pk])).status_code == 404
    task = report_at(world, world.point_g1)
    client.force_login(world.grid_officer.user)  # the assignee neither dispatches nor urges
    page = client.get(reverse("mobile:task", args=[task.pk])).content.decode()
    assert reverse("mobile:assign", args=[task.pk]) not in page
    assert reverse("mobile:urge", args=[task.pk]) not in page


def test_the_community_head_is_alerted_for_a_task_on_a_road(world):
    task = report_at(world, world.point_g1)
    assert task.road_id is not None
    notify.create_alerts([(task.pk, 1)], now=clock.now())
    told = set(Notification.objects.filter(task=task, level=1)
               .values_list("recipient__name", flat=True))
    assert told == {"grid1", "roadchief", "commhead"}
    notify.send_pending()
    assert any(m.to == [world.community_head.email] for m in mail.outbox)


# -- lights and tags agree; the back button ----------------------------------------------------

def test_a_fix_waiting_for_verification_shows_no_overdue_light_unless_it_was_late(client, world):
    on_time = report_at(world, world.point_g1)
    late = report_at(world, OFF_ROAD_G1)
    officer = world.grid_officer.user
    for task in (on_time, late):
        services.task_start(task=task, actor=officer)
        services.task_submit(task=task, actor=officer, photos=[photo()])
    Task.objects.filter(pk__in=[on_time.pk, late.pk]).update(light="red")
    Task.objects.filter(pk=late.pk).update(deadline=clock.now() - timedelta(hours=2))
    client.force_login(world.inspector.user)
    html = client.get(reverse("mobile:tasks") + "?f=verify", **EN).content.decode()
    assert f'class="task none" href="/m/t/{on_time.pk}/"' in html
    assert f'class="task red" href="/m/t/{late.pk}/"' in html
    page = client.get(reverse("mobile:task", args=[on_time.pk]), **EN).content.decode()
    assert 'class="light none"' in page and 'class="light red"' not in page


def test_the_task_page_has_a_back_button_to_the_list(client, world):
    task = report_at(world, world.point_g1)
    client.force_login(world.road_chief.user)
    page = client.get(reverse("mobile:task", args=[task.pk]),
                      HTTP_REFERER="http://testserver/m/?f=road").content.decode()
    assert 'class="back" href="/m/?f=road"' in page


# -- / sends each user home --------------------------------------------------------------------

@pytest.mark.parametrize("who, home", [
    ("supervisor", "/admin/"), ("street_leader", "/admin/"), ("grid_officer", "/m/"),
    ("road_chief", "/m/"), ("community_head", "/m/"), ("handler", "/m/"), ("inspector", "/m/"),
])
def test_the_root_sends_each_role_home(client, world, who, home):
    client.force_login(getattr(world, who).user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == home


def test_the_root_sends_a_stranger_to_the_phone_login(client, world):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/m/login/"


def test_the_admins_view_site_link_goes_home(client, world):
    user = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    assert 'href="/"' in html
    assert client.get("/").headers["Location"] == "/admin/"
