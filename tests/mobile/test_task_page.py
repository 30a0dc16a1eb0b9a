"""The task page shows what the task is and only the actions the caller may take now; every
action goes through the services and shows the domain error's message when refused."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tasks_app import services
from tasks_app.models import Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import photo, report_at

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _page(client, task):
    return client.get(reverse("mobile:task", args=[task.pk]), **EN).content.decode()


def _v(task) -> int:
    """The task's version now: what a freshly drawn page carries in its forms."""
    return Task.objects.get(pk=task.pk).version


def test_the_assignee_sees_the_task_and_may_start_it(client, world):
    task = report_at(world, world.point_g1, description="桶满了", address="中山路12号",
                     photos=[photo()])
    client.force_login(world.grid_officer.user)
    html = _page(client, task)
    assert "桶满了" in html and "中山路12号" in html and "中山路" in html
    assert "geo:30.005090,120.005000" in html
    assert reverse("mobile:photo", args=[task.photos.get().pk]) in html
    assert "/media/" not in html
    assert reverse("mobile:start", args=[task.pk]) in html
    assert reverse("mobile:submit", args=[task.pk]) not in html
    assert reverse("mobile:extend", args=[task.pk]) in html
    assert reverse("mobile:verify", args=[task.pk]) not in html
    assert "inspector reported it; dispatched automatically" in html  # the timeline, in words


def test_someone_else_in_scope_sees_no_actions(client, world, red_task):
    client.force_login(world.road_chief.user)  # the task is on the chief's road
    html = _page(client, red_task)
    for action in ("start", "submit", "extend", "verify"):
        assert reverse(f"mobile:{action}", args=[red_task.pk]) not in html


def test_a_refused_action_shows_the_services_message(client, world, red_task):
    client.force_login(world.road_chief.user)
    response = client.post(reverse("mobile:start", args=[red_task.pk]),
                           {"version": _v(red_task)}, follow=True, **EN)
    assert "Only the assignee can start this task." in response.content.decode()
    red_task.refresh_from_db()
    assert red_task.status == Status.ASSIGNED


def test_a_refused_upload_answers_the_script_with_the_message(client, world, red_task):
    client.force_login(world.grid_officer.user)
    services.task_start(task=red_task, actor=world.grid_officer.user)
    response = client.post(reverse("mobile:submit", args=[red_task.pk]),
                           {"note": "x", "version": _v(red_task)}, HTTP_X_UPLOAD="1", **EN)
    assert response.status_code == 400
    assert response.json() == {"errors": ["Submitting a fix needs an after photo."],
                               "code": "invalid_input"}


def test_start_then_submit_with_a_photo(client, world, red_task):
    client.force_login(world.grid_officer.user)
    client.post(reverse("mobile:start", args=[red_task.pk]), {"version": _v(red_task)})
    assert reverse("mobile:submit", args=[red_task.pk]) in _page(client, red_task)
    response = client.post(reverse("mobile:submit", args=[red_task.pk]),
                           {"note": "已清运", "photos": [photo(), photo("b.jpg")],
                            "version": _v(red_task)})
    assert response["Location"] == reverse("mobile:tasks")
    red_task.refresh_from_db()
    assert red_task.status == Status.SUBMITTED
    assert red_task.photos.filter(kind="after").count() == 2


def test_asking_for_more_time(client, world, red_task):
    client.force_login(world.grid_officer.user)
    until = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("mobile:extend", args=[red_task.pk]),
                {"until": until, "reason": "需要吊车", "version": _v(red_task)})
    red_task.refresh_from_db()
    assert red_task.extension_requested_until is not None
    assert red_task.events.filter(kind=TaskEvent.Kind.EXTENSION_REQUESTED,
                                  note="需要吊车").exists()
    html = _page(client, red_task)
    assert "waiting for a decision" in html
    assert reverse("mobile:extend", args=[red_task.pk]) not in html


def _submitted(world, task):
    services.task_start(task=task, actor=world.grid_officer.user)
    return services.task_submit(task=task, actor=world.grid_officer.user, photos=[photo()])


def test_an_inspector_approves(client, world, red_task):
    _submitted(world, red_task)
    client.force_login(world.inspector.user)
    assert reverse("mobile:verify", args=[red_task.pk]) in _page(client, red_task)
    response = client.post(reverse("mobile:verify", args=[red_task.pk]),
                           {"decision": "approve", "version": _v(red_task)})
    assert response["Location"] == reverse("mobile:tasks") + "?f=verify"
    red_task.refresh_from_db()
    assert red_task.status == Status.CLOSED


def test_sending_back_needs_a_reason(client, world, red_task):
    _submitted(world, red_task)
    client.force_login(world.inspector.user)
    url = reverse("mobile:verify", args=[red_task.pk])
    response = client.post(url, {"decision": "reject", "version": _v(red_task)}, follow=True,
                           **EN)
    assert "A reason is required" in response.content.decode()
    client.post(url, {"decision": "reject", "note": "地面仍有垃圾", "version": _v(red_task)})
    red_task.refresh_from_db()
    assert red_task.status == Status.IN_PROGRESS and red_task.rework_count == 1


def test_nobody_is_offered_to_verify_their_own_fix(client, world):
    # An inspector who fixed a problem on the spot cannot verify it.
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat, photos=[photo()], fixed_on_spot=True,
                                after_photos=[photo()])
    client.force_login(world.inspector.user)
    assert reverse("mobile:verify", args=[task.pk]) not in _page(client, task)
    client.force_login(world.supervisor.user)
    assert reverse("mobile:verify", args=[task.pk]) in _page(client, task)
