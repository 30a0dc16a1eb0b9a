"""Helpers for the phone-page tests: tasks in the persona world, photos, plain static storage."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gridmgmt import clock
from tasks_app import services
from tasks_app.models import Light, Task


@pytest.fixture(autouse=True)
def _plain_static_and_fresh_cache(settings):
    # Hashed static names need collectstatic; the pages only need the files to be found.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Login throttling counts live in the cache: a key prefix of its own per test starts them at
    # zero without flushing a shared Redis database (which also holds Celery's queues).
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex}"},
    }


def jpeg_bytes(width: int = 64, height: int = 48, color: str = "#a0c0e0") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


def photo(name: str = "p.jpg", **kw) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kw), content_type="image/jpeg")


def report_at(world, point, *, category=None, reporter=None, **kw) -> Task:
    lng, lat = point
    return services.task_report(reporter=reporter or world.inspector.user,
                                category=category or world.category, lng=lng, lat=lat, **kw)


def make_red(task: Task) -> Task:
    now = clock.now()
    Task.objects.filter(pk=task.pk).update(
        deadline=now - timedelta(hours=1), yellow_at=now - timedelta(hours=3), light=Light.RED)
    task.refresh_from_db()
    return task


def g1_point(i: int) -> tuple[float, float]:
    """Distinct points in grid G1, about 100 m apart, so that no report repeats another."""
    return 120.0005 + (i % 9) * 0.001, 30.0005 + (i // 9) * 0.001


@pytest.fixture
def red_task(world) -> Task:
    return make_red(report_at(world, world.point_g1))


@pytest.fixture
def other_grid_task(world) -> Task:
    return report_at(world, world.point_g2)
