"""The plan (一套方案) and the before photo through the API: start/ refuses without them where
they are required (400 invalid_input, nothing written) and accepts them; a supervisor may
require a plan on any task; the plan, its author and its time are task fields."""

from __future__ import annotations

import pytest

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Photo, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import png


def _url(task) -> str:
    return f"/api/v1/tasks/{task.pk}/"


def _unchanged(task, version: int) -> None:
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.version, fresh.plan) == (Status.ASSIGNED, version, "")
    assert not fresh.photos.exists()
    assert not TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.STARTED).exists()


def test_a_category_needing_a_plan_refuses_a_start_without_one(world, report, client_for):
    world.category.plan_required = True
    world.category.save()
    task = report()
    api = client_for(world.grid_officer)
    assert api.get(_url(task)).json()["needs_plan"] is True
    response = api.post(_url(task) + "start/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    _unchanged(task, task.version)

    body = api.post(_url(task) + "start/", {"plan": "今天16点前清运，并加装分类桶"},
                    format="json").json()
    assert body["status"] == Status.IN_PROGRESS
    assert body["plan"] == "今天16点前清运，并加装分类桶"
    assert body["plan_by"] == world.grid_officer.user.pk
    assert body["plan_by_name"] == world.grid_officer.name and body["plan_at"]


def test_level_two_needs_a_plan(world, report, client_for):
    task = report()
    Task.objects.filter(pk=task.pk).update(escalation_level=2)
    api = client_for(world.grid_officer)
    assert api.post(_url(task) + "start/", {}, format="json").status_code == 400
    assert api.post(_url(task) + "start/", {"plan": "加派人手"},
                    format="json").status_code == 200


def test_a_supervisor_may_require_a_plan_and_a_field_officer_may_not(world, report, client_for):
    task = report()
    with pytest.raises(DomainError) as refused:
        services.task_require_plan(task=task, actor=world.grid_officer.user)
    assert refused.value.code == "forbidden"
    services.task_require_plan(task=task, actor=world.street_leader.user)
    task.refresh_from_db()
    assert task.plan_required and task.needs_plan
    api = client_for(world.grid_officer)
    assert api.get(_url(task)).json()["plan_required"] is True
    assert api.post(_url(task) + "start/", {}, format="json").status_code == 400
    assert api.post(_url(task) + "start/", {"plan": "明早处理"},
                    format="json").status_code == 200


def test_a_category_needing_a_before_photo_refuses_a_start_without_one(world, report,
                                                                        client_for):
    world.category.before_photo_required = True
    world.category.save()
    task = report()
    api = client_for(world.grid_officer)
    response = api.post(_url(task) + "start/", {}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    _unchanged(task, task.version)

    response = api.post(_url(task) + "start/", {"photos": [png()]}, format="multipart")
    assert response.status_code == 200, response.content
    assert list(Task.objects.get(pk=task.pk).photos.values_list("kind", flat=True)) == [
        Photo.Kind.BEFORE]


def test_without_either_rule_a_start_needs_nothing(world, report, client_for):
    task = report()
    api = client_for(world.grid_officer)
    assert api.post(_url(task) + "start/", {}, format="json").json()["status"] == \
        Status.IN_PROGRESS
