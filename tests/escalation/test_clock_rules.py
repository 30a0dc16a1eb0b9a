"""Who is charged for time: verification waits and moot extension requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks_app import services

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=SH)


def jpeg() -> SimpleUploadedFile:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "JPEG")
    return SimpleUploadedFile("after.jpg", buf.getvalue(), content_type="image/jpeg")


def _started(world):
    lng, lat = world.point_g1
    with time_machine.travel(MONDAY_9, tick=False):
        task = services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng, lat=lat)
        return services.task_start(task=task, actor=world.grid_officer.user)


def test_time_waiting_for_verification_is_not_charged_to_the_assignee(world):
    task = _started(world)
    assert task.deadline == MONDAY_9.replace(hour=14, minute=30)  # 3 h before lunch, 1 h after
    with time_machine.travel(MONDAY_9 + timedelta(hours=1), tick=False):
        task = services.task_submit(task=task, actor=world.grid_officer.user, photos=[jpeg()])
    # The inspector only looks at it on Wednesday, two working days later, and refuses it.
    with time_machine.travel(MONDAY_9 + timedelta(days=2), tick=False):
        task = services.task_verify(task=task, actor=world.inspector.user, approved=False,
                                    note="还有垃圾")
    # 3 working hours were left at submission, so the new deadline is Wednesday 12:00.
    assert task.deadline == MONDAY_9.replace(day=18, hour=12, minute=0)
    assert task.light == "green"


def test_a_pending_extension_request_ends_with_the_submission(world):
    task = _started(world)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=30), tick=False):
        task = services.task_request_extension(
            task=task, actor=world.grid_officer.user, until=task.deadline + timedelta(days=2),
            reason="需要协调物业")
        task = services.task_submit(task=task, actor=world.grid_officer.user, photos=[jpeg()])
    assert task.extension_requested_until is None


def test_a_reassignment_drops_the_previous_assignees_request(world):
    task = _started(world)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=30), tick=False):
        task = services.task_request_extension(
            task=task, actor=world.grid_officer.user, until=task.deadline + timedelta(days=2),
            reason="需要协调物业")
        task = services.task_assign(task=task, actor=world.supervisor.user,
                                    assignee=world.road_chief)
    assert task.extension_requested_until is None and task.assignee == world.road_chief


def test_adding_a_photo_to_a_submitted_fix_does_not_bar_the_inspector_from_verifying(world):
    task = _started(world)
    with time_machine.travel(MONDAY_9 + timedelta(hours=1), tick=False):
        task = services.task_submit(task=task, actor=world.grid_officer.user, photos=[jpeg()])
        services.task_add_photo(task=task, actor=world.inspector.user, image=jpeg())
        task = services.task_verify(task=task, actor=world.inspector.user, approved=True)
    assert task.status == "closed"
