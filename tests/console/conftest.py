"""Console fixtures: tasks in the persona world (tests/conftest.py) put into each light, and
staff logins for the world's supervisors."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from PIL import Image

from gridmgmt import clock
from tasks_app import services
from tasks_app.models import Task


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def g1_point(i: int) -> tuple[float, float]:
    """Distinct points in grid G1 (street S1), about 100 m apart: no report repeats another."""
    return 120.0005 + (i % 9) * 0.001, 30.0007 + (i // 9) * 0.001


def g2_point(i: int) -> tuple[float, float]:
    """Distinct points in grid G2 (street S2)."""
    return 120.0105 + (i % 9) * 0.001, 30.0007 + (i // 9) * 0.001


def report(world, point, **kw) -> Task:
    lng, lat = point
    kw.setdefault("category", world.category)
    return services.task_report(reporter=world.inspector.user, lng=lng, lat=lat, **kw)


def set_clock(task: Task, *, deadline_in: timedelta, yellow_in: timedelta) -> Task:
    now = clock.now()
    Task.objects.filter(pk=task.pk).update(deadline=now + deadline_in, yellow_at=now + yellow_in)
    task.refresh_from_db()
    return task


def red(task: Task, hours: float = 1) -> Task:
    return set_clock(task, deadline_in=-timedelta(hours=hours),
                     yellow_in=-timedelta(hours=hours + 2))


def yellow(task: Task) -> Task:
    return set_clock(task, deadline_in=timedelta(hours=1), yellow_in=-timedelta(hours=1))


def green(task: Task) -> Task:
    return set_clock(task, deadline_in=timedelta(hours=5), yellow_in=timedelta(hours=3))


def staff(officer, *perms: str):
    """Staff with the given tasks_app permissions, or else a supervisor's: as the seeds' 督导组
    group, view, change and add on both apps."""
    user = officer.user
    user.is_staff = True
    user.save()
    if perms:
        granted = Permission.objects.filter(content_type__app_label="tasks_app",
                                            codename__in=perms)
    else:
        granted = Permission.objects.filter(
            Q(content_type__app_label__in=["gridmgmt", "tasks_app"]),
            Q(codename__startswith="view_") | Q(codename__startswith="change_")
            | Q(codename__startswith="add_"))
    user.user_permissions.set(granted)
    return user


@pytest.fixture
def supervisor_client(client, world):
    client.force_login(staff(world.supervisor))
    return client


@pytest.fixture
def street_leader_client(client, world):
    client.force_login(staff(world.street_leader))
    return client


def photo(name: str = "after.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "#88aa66").save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def submit(task: Task, officer) -> Task:
    task = services.task_start(task=task, actor=officer.user)
    return services.task_submit(task=task, actor=officer.user, photos=[photo()])


def close(world, task: Task, officer) -> Task:
    task = submit(task, officer)
    return services.task_verify(task=task, actor=world.inspector.user, approved=True)


@pytest.fixture
def wednesday():
    """A fixed Wednesday noon in Shanghai, so "this week" never straddles a Monday."""
    with time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                             tick=False):
        yield
