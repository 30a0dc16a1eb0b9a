"""A submission replayed with the same idempotency key (an offline queue sending again after
the first attempt got through) is taken once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks_app.models import Submission, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import photo


@pytest.fixture
def officer_client(client, world):
    client.force_login(world.grid_officer.user)
    return client


def _report(client, world, key):
    lng, lat = world.point_g1
    return client.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat, "description": "满溢",
        "photos": photo(), "key": key})


def test_a_replayed_report_creates_one_task(officer_client, world):
    key = "0f6c1a2e-7a9b-4c1d-9e8f-1234567890ab"
    first = _report(officer_client, world, key)
    second = _report(officer_client, world, key)
    assert Task.objects.count() == 1
    task = Task.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("mobile:task", args=[task.pk])
    assert Submission.objects.filter(key=key, task=task, action="report").count() == 1


def test_a_replayed_report_from_the_upload_script_gets_the_same_answer(officer_client, world):
    key = "replay-key-0001"
    lng, lat = world.point_g1
    data = {"category": world.category.pk, "lng": lng, "lat": lat, "key": key}
    answers = [officer_client.post(reverse("mobile:report"), {**data, "photos": photo()},
                                   HTTP_X_UPLOAD="1").json() for _ in range(2)]
    assert Task.objects.count() == 1
    assert answers[0] == answers[1] == {"location": reverse("mobile:task",
                                                            args=[Task.objects.get().pk])}


def test_reports_with_different_keys_are_different_reports(officer_client, world):
    _report(officer_client, world, "key-aaaaaaaa")
    _report(officer_client, world, "key-bbbbbbbb")
    assert Task.objects.count() == 2


def test_a_replayed_submit_is_taken_once(officer_client, world, red_task):
    officer_client.post(reverse("mobile:start", args=[red_task.pk]),
                        {"key": "start-key-1", "version": red_task.version})
    url = reverse("mobile:submit", args=[red_task.pk])
    drawn = red_task.version + 1  # the page drawn after starting; both posts carry it
    for _ in range(2):
        response = officer_client.post(url, {"note": "清理完毕", "photos": photo(),
                                             "key": "submit-key-1", "version": drawn},
                                       follow=True)
    red_task.refresh_from_db()
    assert red_task.status == Status.SUBMITTED
    assert TaskEvent.objects.filter(task=red_task, kind=TaskEvent.Kind.SUBMITTED).count() == 1
    assert red_task.photos.count() == 1
    # The replay is not an error (the task is no longer in progress): it says it was received.
    assert "already received" in response.content.decode() or "已收到" in \
        response.content.decode()


def test_the_same_key_from_another_user_is_a_different_submission(client, world):
    key = "shared-key-123"
    for officer in (world.grid_officer, world.road_chief):
        client.force_login(officer.user)
        _report(client, world, key)
    assert Task.objects.count() == 2
