"""The task list's hand-written serializer gives the same JSON, byte for byte, as the generic
``TaskSerializer`` it replaced on the list, for tasks of every kind."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from tasks_app import services
from tasks_app.api.serializers import (
    TASK_LIST_VALUES,
    TASK_RELATED,
    TaskListSerializer,
    TaskSerializer,
)
from tasks_app.models import Campaign, Light, Task
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import png


@pytest.fixture
def varied(world, report, task_in):
    """Every state; repeats; with and without assignee, department, road, campaign, plan (by an
    officer and by a user without one), photos, extension request, odd text and times."""
    garbage = world.category
    tasks = []
    for i, state in enumerate((Status.REPORTED, Status.ASSIGNED, Status.IN_PROGRESS,
                               Status.ON_HOLD, Status.SUBMITTED, Status.CLOSED, Status.VOID,
                               "extension_requested")):
        # A category each, so none is a repeat of another (a repeat is escalated and needs a
        # plan before it starts).
        world.category = f.CategoryFactory(code=f"LIST{i}", name=f"类别{i}")
        tasks.append(task_in(state))
    tasks.append(task_in(Status.CLOSED, where="g2"))
    world.category = garbage
    first = report("g2", title="垃圾 \"满溢\" <b>&amp;</b>\n第二行", address="中山路 1 号 \u2028")
    tasks += [first, report("g2"), report("g2")]  # repeats of one another
    with_photos = report("g1", photos=[png(), png(name="b.png")])
    tasks.append(with_photos)
    planned = services.task_set_plan(task=tasks[1], actor=world.supervisor.user,
                                     plan="先清运，再消毒")
    root = f.UserFactory(username="root-plan", is_superuser=True, is_staff=True)
    by_root = services.task_set_plan(task=tasks[2], actor=root, plan="方案")
    tasks += [planned, by_root]
    campaign = Campaign.objects.create(name="专项", lead_department=world.department,
                                       starts_on=timezone.localdate(),
                                       deadline=timezone.localdate())
    Task.objects.filter(pk=first.pk).update(
        campaign=campaign, department=world.department, light=Light.RED, escalation_level=2,
        supervised=True, plan_required=True, code=None, lng=120.0151234567891, lat=30.0,
        reported_at=timezone.now() - timedelta(days=400, microseconds=7))
    Task.objects.filter(pk=with_photos.pk).update(
        closed_at=timezone.now().replace(microsecond=0), held_seconds=3600, closed_late=True)
    return tasks


def _render(serializer_class, tasks) -> bytes:
    rows = Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("pk")
    if serializer_class is TaskListSerializer:  # as the list reads them: plain rows
        rows = rows.values(*TASK_LIST_VALUES)
    else:
        rows = rows.select_related(*TASK_RELATED)
    return JSONRenderer().render(serializer_class(rows, many=True).data)


@pytest.mark.parametrize(("language", "zone"), [("zh-hans", "Asia/Shanghai"), ("en", "UTC"),
                                               ("en", "America/St_Johns")])
def test_the_list_serializer_writes_the_same_bytes(varied, language, zone):
    with translation.override(language), timezone.override(zone):
        old = _render(TaskSerializer, varied)
        new = _render(TaskListSerializer, varied)
    assert len({t.pk for t in varied}) == 13
    assert new == old
    assert b"\xe5\x9e\x83\xe5\x9c\xbe" in new  # 垃圾, as UTF-8: the same renderer settings


def test_the_list_serializer_covers_every_state_and_both_kinds_of_relation(varied):
    rows = Task.objects.filter(pk__in=[t.pk for t in varied])
    assert set(rows.values_list("status", flat=True)) == set(Status.values)
    for field in ("assignee", "department", "road", "campaign", "plan_by", "repeat_of"):
        assert rows.filter(**{f"{field}__isnull": True}).exists(), field
        assert rows.filter(**{f"{field}__isnull": False}).exists(), field


def test_the_api_list_serves_the_list_serializer_json(world, client_for, varied):
    response = client_for(world.supervisor).get("/api/v1/tasks/?ordering=id&page_size=200")
    assert response.status_code == 200
    rows = Task.objects.filter(pk__in=[r["id"] for r in response.json()["results"]]) \
        .select_related(*TASK_RELATED).order_by("pk")
    with translation.override("zh-hans"):
        expected = json.loads(JSONRenderer().render(TaskSerializer(rows, many=True).data))
    assert response.json()["results"] == expected
