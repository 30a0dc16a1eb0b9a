"""Helpers for workflow tests: a frozen clock, valid photos, a task driven into any state through
the services, and an assertion that a refused call changed nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Escalation, Photo, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.gridmgmt.calendars import at

# A Wednesday morning in working hours; every workflow test starts here unless it travels.
START = at(2026, 11, 18, 9, 0)
STEP = timedelta(minutes=10)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The world fixture makes ten users; the production hasher costs a third of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def traveller(db):
    with time_machine.travel(START, tick=False) as t:
        yield t


@pytest.fixture
def world(traveller, world):
    """The persona world of tests/conftest.py, built at START on the frozen clock."""
    return world


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def photo(name: str = "after.png", fmt: str = "PNG", size: tuple[int, int] = (8, 8)
          ) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt, size), content_type="image/png")


def snapshot(task: Task) -> dict:
    """Everything a refused call must leave alone."""
    return {
        "row": Task.objects.filter(pk=task.pk).values().get(),
        "events": list(TaskEvent.objects.filter(task_id=task.pk).values_list("pk", flat=True)),
        "photos": Photo.objects.filter(task_id=task.pk).count(),
        "escalations": Escalation.objects.filter(task_id=task.pk).count(),
    }


def assert_refused(task: Task, code: str, call: Callable[[], object]) -> DomainError:
    before = snapshot(task)
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert snapshot(task) == before
    return caught.value


def last_event(task: Task) -> TaskEvent:
    return TaskEvent.objects.filter(task_id=task.pk).order_by("-pk").first()


# The states a task can be driven into, and the steps that get it there from a report.
RECIPES: dict[str, tuple[str, ...]] = {
    "reported": (),
    "void": ("void",),
    "assigned": ("assign",),
    "in_progress": ("assign", "start"),
    "on_hold": ("assign", "start", "hold"),
    "on_hold_from_assigned": ("assign", "hold"),
    "submitted": ("assign", "start", "submit"),
    "reworked": ("assign", "start", "submit", "refuse"),
    "closed": ("assign", "start", "submit", "approve"),
}
RECIPE_STATUS = {
    "reported": Status.REPORTED, "void": Status.VOID, "assigned": Status.ASSIGNED,
    "in_progress": Status.IN_PROGRESS, "on_hold": Status.ON_HOLD,
    "on_hold_from_assigned": Status.ON_HOLD, "submitted": Status.SUBMITTED,
    "reworked": Status.IN_PROGRESS, "closed": Status.CLOSED,
}


class Flow:
    """Drives tasks through the services as the personas of ``world`` would.

    The task is reported (by the road chief) in a category that is not dispatched automatically,
    dispatched by the district supervisor to the grid officer, handled by the grid officer and
    verified by the inspector. The clock moves ten minutes before every step."""

    def __init__(self, world: SimpleNamespace, traveller) -> None:
        self.w = world
        self.traveller = traveller
        self.category = f.CategoryFactory(code="MANUAL", name="手工派遣", auto_dispatch=False,
                                          time_limit=4)

    def tick(self, delta: timedelta = STEP) -> None:
        self.traveller.shift(delta)

    def report(self, **kwargs) -> Task:
        lng, lat = kwargs.pop("point", self.w.point_g1)
        kwargs.setdefault("reporter", self.w.road_chief.user)
        kwargs.setdefault("category", self.category)
        return services.task_report(lng=lng, lat=lat, **kwargs)

    def drive(self, recipe: str, **report_kwargs) -> Task:
        task = self.report(**report_kwargs)
        for step in RECIPES[recipe]:
            self.tick()
            task = self.step(step, task)
        assert task.status == RECIPE_STATUS[recipe]
        return task

    def step(self, action: str, task: Task) -> Task:
        return ACTIONS[action](self, task)


def _assign(flow: Flow, task: Task) -> Task:
    # First dispatch to the grid officer; a reassignment goes to the other grid officer.
    to = flow.w.grid_officer if task.assignee_id is None else flow.w.other_grid_officer
    return services.task_assign(task=task, actor=flow.w.supervisor.user, assignee=to)


def _request_extension(flow: Flow, task: Task) -> Task:
    base = task.deadline or START
    return services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                           until=base + timedelta(days=2), reason="等待配件")


ACTIONS: dict[str, Callable[[Flow, Task], Task]] = {
    "assign": _assign,
    "start": lambda fl, t: services.task_start(task=t, actor=fl.w.grid_officer.user),
    "submit": lambda fl, t: services.task_submit(task=t, actor=fl.w.grid_officer.user,
                                                 note="已清理", photos=[photo()]),
    "approve": lambda fl, t: services.task_verify(task=t, actor=fl.w.inspector.user,
                                                  approved=True),
    "refuse": lambda fl, t: services.task_verify(task=t, actor=fl.w.inspector.user,
                                                 approved=False, note="仍有垃圾"),
    "hold": lambda fl, t: services.task_hold(task=t, actor=fl.w.supervisor.user,
                                             reason="等待拆迁"),
    "resume": lambda fl, t: services.task_resume(task=t, actor=fl.w.supervisor.user),
    "void": lambda fl, t: services.task_void(task=t, actor=fl.w.supervisor.user,
                                             reason="重复上报"),
    "request_extension": _request_extension,
}


@pytest.fixture
def flow(world, traveller) -> Flow:
    return Flow(world, traveller)




# The world's personas by attribute name, plus two accounts that hold no duty.
PERSONAS = ("grid_officer", "other_grid_officer", "road_chief", "community_head",
            "street_leader", "other_street_leader", "supervisor", "handler", "inspector")


@pytest.fixture
def user_for(world):
    """The user account of a persona: a world officer, "citizen" (no officer) or "admin"."""

    def get(name: str):
        if name == "citizen":
            return f.UserFactory(username="citizen")
        if name == "admin":
            return f.UserFactory(username="admin", is_superuser=True, is_staff=True)
        return getattr(world, name).user

    return get


def end_duties(officer, when) -> None:
    """Close every duty of ``officer`` at ``when`` (a handover)."""
    officer.duties.filter(valid_to__isnull=True).update(valid_to=when)


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """A point ``metres`` due north (one degree of latitude is about 111.2 km)."""
    return point[0], point[1] + metres / 111_195.0
