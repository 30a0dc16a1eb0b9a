"""Bounds the services keep whatever channel calls them (API, phone, console, Open311): an
extension at most a year past the deadline, at most nine photos of a kind per call, a report
joins only a running campaign that covers it, and a photo must decode to its last pixel."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Campaign, Photo, Task, TaskEvent
from tests import factories as f

from .conftest import assert_refused, media_files, photo


def test_an_extension_to_the_year_9999_is_refused(flow):
    task = flow.drive("in_progress")
    until = datetime(9999, 12, 31, 23, 59, tzinfo=task.deadline.tzinfo)

    error = assert_refused(task, "invalid_input", lambda: services.task_request_extension(
        task=task, actor=flow.w.grid_officer.user, until=until, reason="想延期"))
    assert "year" in error.message or "年" in error.message


def test_an_extension_is_at_most_a_year_past_the_current_deadline(flow):
    task = flow.drive("in_progress")
    too_far = task.deadline + services.MAX_EXTENSION + timedelta(minutes=1)
    assert_refused(task, "invalid_input", lambda: services.task_request_extension(
        task=task, actor=flow.w.grid_officer.user, until=too_far, reason="忙"))

    furthest = task.deadline + services.MAX_EXTENSION
    asked = services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                            until=furthest, reason="忙")
    assert asked.extension_requested_until == furthest


def test_the_furthest_extension_can_be_approved_and_the_task_reassigned(flow):
    # The overflow the bound prevents showed up here: approve, then reassign, then resume.
    task = flow.drive("in_progress")
    services.task_request_extension(task=task, actor=flow.w.grid_officer.user,
                                    until=task.deadline + services.MAX_EXTENSION, reason="忙")
    task = services.task_decide_extension(task=task, actor=flow.w.supervisor.user,
                                          approved=True)
    task = services.task_hold(task=task, actor=flow.w.supervisor.user, reason="等待审批")
    task = services.task_resume(task=task, actor=flow.w.supervisor.user)
    task = services.task_assign(task=task, actor=flow.w.supervisor.user,
                                assignee=flow.w.other_grid_officer)
    assert task.status == "assigned"


def test_a_report_takes_at_most_nine_photos_of_a_kind(flow, settings):
    with pytest.raises(DomainError) as caught:
        flow.report(photos=[photo(f"p{i}.png") for i in range(services.MAX_PHOTOS + 1)])
    assert caught.value.code == "invalid_input"
    assert Task.objects.count() == 0 and Photo.objects.count() == 0
    assert media_files(settings) == []

    task = flow.report(photos=[photo(f"p{i}.png") for i in range(services.MAX_PHOTOS)])
    assert task.photos.count() == services.MAX_PHOTOS


def test_a_submit_takes_at_most_nine_photos(flow, settings):
    task = flow.drive("in_progress")
    assert_refused(task, "invalid_input", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user,
        photos=[photo(f"a{i}.png") for i in range(services.MAX_PHOTOS + 1)]))
    assert media_files(settings) == []


def _campaign(world, **kw) -> Campaign:
    kw.setdefault("starts_on", date(2026, 11, 1))
    kw.setdefault("deadline", date(2026, 12, 31))
    categories, streets = kw.pop("categories", []), kw.pop("streets", [])
    campaign = Campaign.objects.create(name="专项整治", lead_department=world.department, **kw)
    campaign.categories.set(categories)
    campaign.streets.set(streets)
    return campaign


def test_a_report_may_not_join_a_campaign_that_ended(flow):
    ended = _campaign(flow.w, starts_on=date(2026, 10, 1), deadline=date(2026, 10, 31))
    with pytest.raises(DomainError) as caught:
        flow.report(campaign=ended)
    assert caught.value.code == "conflict"
    assert Task.objects.count() == 0 and TaskEvent.objects.count() == 0


def test_a_report_may_not_join_a_campaign_that_does_not_cover_its_place_or_category(flow):
    elsewhere = _campaign(flow.w, streets=[flow.w.street2])  # the report is in street 1
    other_kind = _campaign(flow.w, categories=[f.CategoryFactory(code="BANNER")])
    for campaign in (elsewhere, other_kind):
        with pytest.raises(DomainError) as caught:
            flow.report(campaign=campaign)
        assert caught.value.code == "invalid_input"
    assert Task.objects.count() == 0


def test_a_report_joins_a_running_campaign_that_covers_it(flow):
    covering = _campaign(flow.w, streets=[flow.w.street1], categories=[flow.category])
    assert flow.report(campaign=covering).campaign == covering


def _jpeg(size=(256, 256)) -> bytes:
    buf = io.BytesIO()
    # Noise, so the scan data is long enough to cut in the middle.
    Image.effect_noise(size, 60).convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_truncated_jpeg_is_refused(flow, settings):
    whole = _jpeg()
    cut = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    with Image.open(io.BytesIO(whole[: len(whole) // 2])) as img:
        img.verify()  # what the check used to rely on: it passes a cut file

    task = flow.drive("in_progress")
    assert_refused(task, "invalid_photo", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user, photos=[cut]))
    assert media_files(settings) == []


def test_a_whole_jpeg_is_accepted(flow):
    task = flow.drive("in_progress")
    whole = SimpleUploadedFile("whole.jpg", _jpeg(), content_type="image/jpeg")
    task = services.task_submit(task=task, actor=flow.w.grid_officer.user, photos=[whole])
    assert task.photos.get().image.name.endswith(".jpg")
