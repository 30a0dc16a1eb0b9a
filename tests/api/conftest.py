"""API fixtures: clients signed in with a token as any persona of the ``world``, images, and
tasks in known places and states (built through the services, as the app would)."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridmgmt.models import Region
from tasks_app import services
from tasks_app.models import Task
from tasks_app.workflow import Status
from tests import factories as f

# In G2, well away from road R1 (which runs along latitude 30.005).
POINT_G2_OFF_ROAD = (120.015, 30.009)


def png(size: tuple[int, int] = (8, 8), name: str = "photo.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Throttle counts live in the cache: a key prefix of its own per test starts them at zero
    # without flushing a shared Redis database (which also holds Celery's queues).
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"api{uuid.uuid4().hex}"},
    }



_TASK_WRITE = re.compile(r"^/api/v1/tasks/([0-9]+)/")


class ETagClient(APIClient):
    """Writes to a task as a careful client does: with ``If-Match`` naming the version it read
    (here read just before the write). A test that means another tag passes HTTP_IF_MATCH; one
    that means none uses ``client_for(who, if_match=False)``."""

    send_if_match = True

    def _if_match(self, path: str, extra: dict) -> dict:
        found = _TASK_WRITE.match(path)
        if self.send_if_match and found and "HTTP_IF_MATCH" not in extra:
            version = Task.objects.filter(pk=int(found.group(1))).values_list(
                "version", flat=True).first()
            if version is not None:
                extra["HTTP_IF_MATCH"] = f'"{version}"'
        return extra

    def post(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        return super().post(path, data, format, content_type, follow, **self._if_match(path, extra))

    def patch(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        return super().patch(path, data, format, content_type, follow,
                             **self._if_match(path, extra))


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """``client_for(officer_or_user)`` → an APIClient sending that user's token, and If-Match
    on every write to a task (``if_match=False``: none, as a forgetful client)."""

    def make(who, *, if_match: bool = True) -> APIClient:
        user = getattr(who, "user", who)
        token, _ = Token.objects.get_or_create(user=user)
        client = ETagClient()
        client.send_if_match = if_match
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def manual_category(world):
    """A category that is never dispatched automatically: its reports stay ``reported``."""
    return f.CategoryFactory(code="BANNER", name="违规横幅", auto_dispatch=False)


@pytest.fixture
def elsewhere(world):
    """A second district with one grid, outside every persona's scope."""
    d2 = f.RegionFactory(code="D2", name="另一区", level=Region.Level.DISTRICT)
    s3 = f.RegionFactory(code="S3", name="南街道", level=Region.Level.STREET, parent=d2)
    c3 = f.RegionFactory(code="C3", name="三社区", level=Region.Level.COMMUNITY, parent=s3)
    return f.GridFactory(code="G3", name="三号网格", community=c3, boundary=f.square(5, 5))


@pytest.fixture
def report(world) -> Callable:
    """``report(where="g1", by=officer, category=...)`` → a task reported through the service.
    ``where`` is g1 (on road R1), g2 (off the road) or g3 (another district)."""

    def make(where: str = "g1", by=None, category=None, **kwargs):
        lng, lat = {"g1": world.point_g1, "g2": POINT_G2_OFF_ROAD,
                    "g3": f.cell_centre(5, 5)}[where]
        # Someone from the other district reports there; the world's inspector reports here.
        by = by or (f.OfficerFactory() if where == "g3" else world.inspector)
        return services.task_report(reporter=by.user, category=category or world.category,
                                    lng=lng, lat=lat, **kwargs)

    return make


@pytest.fixture
def task_in(world, report, manual_category) -> Callable:
    """``task_in(status, where="g1")`` → a task in that state; assigned ones belong to the
    grid officer of the place (the grid officer of G1 for g1)."""

    def make(state: str, where: str = "g1"):
        if state in (Status.REPORTED, Status.VOID):
            task = report(where, category=manual_category)
            if state == Status.VOID:
                task = services.task_void(task=task, actor=world.supervisor.user, reason="x")
            return task
        task = report(where)
        if task.status == Status.REPORTED:  # no grid officer there (another district)
            officer = f.OfficerFactory()
            task = services.task_assign(task=task, actor=_superuser(), assignee=officer)
        assignee = task.assignee.user
        if state == "extension_requested":
            return services.task_request_extension(
                task=task, actor=assignee, until=task.deadline + timedelta(days=2), reason="雨天")
        if state == Status.ON_HOLD:
            return services.task_hold(task=task, actor=_superuser(), reason="等待审批")
        if state in (Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED):
            task = services.task_start(task=task, actor=assignee)
        if state in (Status.SUBMITTED, Status.CLOSED):
            task = services.task_submit(task=task, actor=assignee, photos=[png()])
        if state == Status.CLOSED:
            task = services.task_verify(task=task, actor=_superuser(), approved=True)
        return task

    return make


def _superuser():
    return f.UserFactory(username="root", is_superuser=True, is_staff=True)


# The Open311 tests' fixtures (the spec's example city, public tasks), kept with their helpers.
from .open311_helpers import city, public_task  # noqa: E402, F401
