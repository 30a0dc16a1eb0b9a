"""The phone's forms refuse bad input with a clear message and change nothing: a page made stale
by someone else's change (its version field), NUL characters, a deadline years away, more photos
than the API takes."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tasks_app import services
from tasks_app.models import Photo, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import photo

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SCRIPT = {"HTTP_X_UPLOAD": "1", **EN}  # as the page's upload script posts: JSON back


def _state(task):
    row = Task.objects.get(pk=task.pk)
    return row.status, row.version, row.extension_requested_until, TaskEvent.objects.filter(
        task=task).count()


def test_the_task_page_carries_the_version_it_was_drawn_with(client, world, red_task):
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:task", args=[red_task.pk])).content.decode()
    assert f'name="version" value="{red_task.version}"' in html


def test_a_stale_phone_page_is_refused_with_a_409_and_a_clear_message(client, world, red_task):
    client.force_login(world.grid_officer.user)
    drawn = red_task.version
    # Meanwhile a supervisor moves the task on.
    services.task_urge(task=red_task, actor=world.supervisor.user, note="快")
    before = _state(red_task)
    response = client.post(reverse("mobile:start", args=[red_task.pk]),
                           {"version": drawn}, **SCRIPT)
    assert response.status_code == 409
    assert "changed this task" in response.json()["errors"][0]
    assert _state(red_task) == before


def test_a_stale_phone_page_posted_as_a_form_comes_back_with_the_message(client, world,
                                                                          red_task):
    client.force_login(world.grid_officer.user)
    drawn = red_task.version
    services.task_urge(task=red_task, actor=world.supervisor.user)
    response = client.post(reverse("mobile:start", args=[red_task.pk]), {"version": drawn},
                           follow=True, **EN)
    assert "changed this task" in response.content.decode()
    assert Task.objects.get(pk=red_task.pk).status == Status.ASSIGNED


def test_an_action_without_the_version_is_refused(client, world, red_task):
    client.force_login(world.grid_officer.user)
    before = _state(red_task)
    response = client.post(reverse("mobile:start", args=[red_task.pk]), {}, **SCRIPT)
    assert response.status_code == 400
    assert _state(red_task) == before


def _until(days: int) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_a_phone_extension_with_a_trailing_nul_is_refused(client, world, red_task):
    client.force_login(world.grid_officer.user)
    before = _state(red_task)
    response = client.post(reverse("mobile:extend", args=[red_task.pk]), {
        "until": _until(2) + "\x00", "reason": "下雨", "version": red_task.version}, **SCRIPT)
    assert response.status_code == 400
    assert _state(red_task) == before


def test_a_phone_extension_to_the_year_9999_is_refused(client, world, red_task):
    client.force_login(world.grid_officer.user)
    before = _state(red_task)
    response = client.post(reverse("mobile:extend", args=[red_task.pk]), {
        "until": "9999-12-31T23:59", "reason": "以后再说", "version": red_task.version},
        **SCRIPT)
    assert response.status_code == 400
    assert "at most a year" in response.json()["errors"][0]
    assert _state(red_task) == before
    # And so the supervisor's next steps work as ever.
    task = services.task_hold(task=red_task, actor=world.supervisor.user, reason="等待")
    task = services.task_resume(task=task, actor=world.supervisor.user)
    assert task.status == Status.ASSIGNED


def test_a_nul_byte_in_a_phone_report_is_refused(client, world):
    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    response = client.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat, "description": "桶\x00满",
        "photos": photo()}, **SCRIPT)
    assert response.status_code == 400
    assert Task.objects.count() == 0


def test_a_phone_report_takes_at_most_nine_photos(client, world):
    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    response = client.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat,
        "photos": [photo(f"p{i}.jpg") for i in range(services.MAX_PHOTOS + 1)]}, **SCRIPT)
    assert response.status_code == 400
    assert "at most 9 photos" in response.json()["errors"][0]
    assert Task.objects.count() == 0 and Photo.objects.count() == 0
