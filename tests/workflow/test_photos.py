"""Photos enter through the services (task_report, task_submit, task_add_photo): only real JPEG,
PNG or WebP images within the size limits are stored, under generated names; one bad photo
means nothing of the call is written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Photo, Task, TaskEvent

from .conftest import assert_refused, image_bytes, media_files, photo


def _upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


BAD = {
    "text": (_upload(b"this is not an image at all"), "invalid_photo"),
    "empty": (_upload(b""), "invalid_photo"),
    "gif": (_upload(image_bytes("GIF"), "anim.gif"), "invalid_photo"),
    "truncated_png": (_upload(image_bytes("PNG", (64, 64))[:40], "cut.png"), "invalid_photo"),
    "html_named_jpg": (_upload(b"<html><script>alert(1)</script></html>"), "invalid_photo"),
}


def _bad(kind: str) -> SimpleUploadedFile:
    upload, _ = BAD[kind]
    upload.seek(0)
    return SimpleUploadedFile(upload.name, upload.read(), content_type="image/jpeg")


@pytest.mark.parametrize("kind", list(BAD))
def test_a_file_that_is_no_supported_image_is_refused_on_submit(flow, settings, kind):
    task = flow.drive("in_progress")

    assert_refused(task, BAD[kind][1], lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user, photos=[_bad(kind)]))
    assert media_files(settings) == []


def test_an_oversized_photo_is_refused_on_submit(flow, settings):
    task = flow.drive("in_progress")
    settings.PHOTO_MAX_BYTES = 200
    big = photo("big.jpg", "JPEG")
    assert big.size > 200

    assert_refused(task, "photo_too_large", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user, photos=[big]))
    assert media_files(settings) == []


def test_a_photo_with_too_many_pixels_is_refused(flow, settings):
    task = flow.drive("in_progress")
    settings.PHOTO_MAX_PIXELS = 100

    assert_refused(task, "photo_too_large", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user, photos=[photo(size=(20, 20))]))


def test_one_bad_photo_among_good_ones_writes_none_of_them(flow, settings):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_photo", lambda: services.task_submit(
        task=task, actor=flow.w.grid_officer.user,
        photos=[photo(), _bad("text"), photo()]))
    assert media_files(settings) == []


@pytest.mark.parametrize("field", ["photos", "after_photos"])
def test_a_bad_photo_on_a_report_writes_nothing(flow, settings, field):
    photos = {"photos": [photo()], "after_photos": [photo()]}
    photos[field] = [photo(), _bad("text")]

    with pytest.raises(DomainError) as caught:
        flow.report(reporter=flow.w.grid_officer.user, fixed_on_spot=True, **photos)
    assert caught.value.code == "invalid_photo"
    assert (Task.objects.count(), TaskEvent.objects.count(), Photo.objects.count()) == (0, 0, 0)
    assert media_files(settings) == []


def test_an_oversized_photo_on_a_report_writes_nothing(flow, settings):
    settings.PHOTO_MAX_BYTES = 200

    with pytest.raises(DomainError) as caught:
        flow.report(photos=[photo("big.jpg", "JPEG")])
    assert caught.value.code == "photo_too_large"
    assert Task.objects.count() == 0
    assert media_files(settings) == []


def test_a_bad_photo_added_to_a_task_writes_nothing(flow, settings):
    task = flow.drive("in_progress")

    assert_refused(task, "invalid_photo", lambda: services.task_add_photo(
        task=task, actor=flow.w.grid_officer.user, image=_bad("gif")))
    assert media_files(settings) == []


@pytest.mark.parametrize("fmt,ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("WEBP", ".webp")])
def test_a_stored_photo_gets_a_generated_name_with_its_real_format(flow, settings, fmt, ext):
    task = flow.drive("in_progress")

    task = services.task_submit(task=task, actor=flow.w.grid_officer.user,
                                photos=[photo("../../evil.php", fmt)])

    stored = task.photos.get()
    assert stored.image.name.startswith(f"photos/{task.pk}/")
    assert stored.image.name.endswith(ext)
    assert "evil" not in stored.image.name
    assert (stored.width, stored.height, stored.size) == (8, 8, len(image_bytes(fmt)))
    assert [p.name for p in media_files(settings)] == [stored.image.name.rsplit("/", 1)[1]]
