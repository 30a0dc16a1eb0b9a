"""The task's page in the console: its timeline and its photos, shown through the scoped photo
view (media files are never served openly)."""

from __future__ import annotations

from django.urls import reverse

from tasks_app.models import Photo

from .conftest import g1_point, photo, report, staff


def test_the_task_page_shows_photo_thumbnails_through_the_scoped_view(supervisor_client, world):
    task = report(world, g1_point(0), photos=[photo("before.jpg")])
    shot = Photo.objects.get(task=task)
    body = supervisor_client.get(reverse("admin:tasks_app_task_change", args=[task.pk])) \
        .content.decode()
    url = reverse("mobile:photo", args=[shot.pk])
    assert f'<img src="{url}"' in body
    assert "/media/" not in body
    image = supervisor_client.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_a_photo_outside_ones_scope_is_not_found(client, world):
    task = report(world, g1_point(0), photos=[photo("before.jpg")])
    client.force_login(staff(world.other_street_leader))
    assert client.get(reverse("mobile:photo", args=[task.photos.get().pk])).status_code == 404
