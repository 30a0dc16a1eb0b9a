"""Photos: verified images only, bounded, stored under generated names, and served only to
callers who may see the task."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tasks_app.workflow import Status
from tests.api.conftest import png


def test_an_uploaded_photo_is_listed_and_downloadable_by_those_who_see_the_task(
        world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer)
    response = client.post(f"/api/v1/tasks/{task.pk}/photos/",
                           {"image": png(name="../../etc/passwd.png"), "kind": "before"},
                           format="multipart")
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["kind"] == "before" and photo["width"] == 8
    assert response["ETag"] == '"2"'
    stored = task.photos.get()
    assert "passwd" not in stored.image.name and stored.image.name.endswith(".png")

    download = client.get(photo["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Cache-Control"].startswith("private")
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert client_for(world.other_grid_officer).get(photo["url"]).status_code == 404
    assert client_for(world.supervisor).get(photo["url"]).status_code == 200


def test_a_photo_of_another_task_is_not_served_under_this_one(world, client_for, task_in):
    mine, other = task_in(Status.SUBMITTED), task_in(Status.SUBMITTED, where="g2")
    photo = other.photos.get()
    response = client_for(world.supervisor).get(f"/api/v1/tasks/{mine.pk}/photos/{photo.pk}/")
    assert response.status_code == 404


def test_a_malformed_photo_id_is_a_json_404(world, client_for, task_in):
    task = task_in(Status.SUBMITTED)
    for photo in ("abc", "%C2%B2", "99999999999999999999999"):
        response = client_for(world.supervisor).get(f"/api/v1/tasks/{task.pk}/photos/{photo}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_media_is_not_served_openly(world, client_for, task_in):
    task = task_in(Status.SUBMITTED)
    name = task.photos.get().image.name
    assert client_for(world.supervisor).get(f"/media/{name}").status_code == 404


def test_a_file_that_is_not_an_image_is_400(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client_for(world.grid_officer).post(f"/api/v1/tasks/{task.pk}/photos/",
                                                   {"image": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_photo"
    assert not task.photos.exists()


def test_a_gif_is_refused_even_though_pillow_reads_it(world, client_for, task_in):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "GIF")
    gif = SimpleUploadedFile("x.gif", buf.getvalue(), content_type="image/gif")
    task = task_in(Status.ASSIGNED)
    response = client_for(world.grid_officer).post(f"/api/v1/tasks/{task.pk}/photos/",
                                                   {"image": gif}, format="multipart")
    assert response.status_code == 400


def test_a_photo_too_large_in_bytes_or_pixels_is_413(world, client_for, task_in, settings):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer)
    settings.PHOTO_MAX_PIXELS = 100
    response = client.post(f"/api/v1/tasks/{task.pk}/photos/", {"image": png((20, 20))},
                           format="multipart")
    assert response.status_code == 413
    assert response.json()["code"] == "photo_too_large"
    settings.PHOTO_MAX_PIXELS = 10**6
    settings.PHOTO_MAX_BYTES = 50
    assert client.post(f"/api/v1/tasks/{task.pk}/photos/", {"image": png()},
                       format="multipart").status_code == 413
    assert not task.photos.exists()


def test_a_bad_photo_in_a_submission_changes_nothing(world, client_for, task_in):
    task = task_in(Status.IN_PROGRESS)
    fake = SimpleUploadedFile("x.png", b"not a png", content_type="image/png")
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/submit/", {"photos": [png(), fake]}, format="multipart")
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS and not task.photos.exists()


def test_a_photo_upload_needs_a_file(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    response = client_for(world.grid_officer).post(f"/api/v1/tasks/{task.pk}/photos/",
                                                   {"kind": "after"}, format="multipart")
    assert response.status_code == 400
    assert "image" in response.json()["errors"]
    json_body = client_for(world.grid_officer).post(f"/api/v1/tasks/{task.pk}/photos/",
                                                    {"kind": "after"}, format="json")
    assert json_body.status_code == 415
