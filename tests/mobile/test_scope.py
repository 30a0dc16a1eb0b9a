"""An officer cannot see, open or act on another grid's task through the phone pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tasks_app.models import Photo
from tasks_app.workflow import Status

from .conftest import photo, report_at


@pytest.fixture
def officer_client(client, world):
    client.force_login(world.grid_officer.user)
    return client


def test_another_grids_task_is_not_in_any_list(officer_client, other_grid_task, red_task):
    for which in ("mine", "grid", "road", "verify"):
        page = officer_client.get(reverse("mobile:tasks"), {"f": which}).content.decode()
        assert reverse("mobile:task", args=[other_grid_task.pk]) not in page
    mine = officer_client.get(reverse("mobile:tasks")).content.decode()
    assert reverse("mobile:task", args=[red_task.pk]) in mine


def test_another_grids_task_page_is_not_found(officer_client, other_grid_task):
    assert officer_client.get(reverse("mobile:task", args=[other_grid_task.pk])).status_code \
        == 404


@pytest.mark.parametrize("action,data", [
    ("mobile:start", {}),
    ("mobile:submit", {"note": "done"}),
    ("mobile:extend", {"until": "2099-01-01T12:00", "reason": "rain"}),
    ("mobile:verify", {"decision": "approve"}),
])
def test_acting_on_another_grids_task_is_not_found(officer_client, other_grid_task, action,
                                                   data):
    response = officer_client.post(reverse(action, args=[other_grid_task.pk]), data)
    assert response.status_code == 404
    other_grid_task.refresh_from_db()
    assert other_grid_task.status == Status.ASSIGNED
    assert other_grid_task.version == 1


def test_another_grids_photo_is_not_found(officer_client, world):
    task = report_at(world, world.point_g2, photos=[photo()])
    p = Photo.objects.get(task=task)
    assert officer_client.get(reverse("mobile:photo", args=[p.pk])).status_code == 404


def test_own_photo_is_served_through_the_scoped_view(officer_client, world):
    task = report_at(world, world.point_g1, photos=[photo()])
    p = Photo.objects.get(task=task)
    response = officer_client.get(reverse("mobile:photo", args=[p.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]


def test_pages_need_a_login(client, red_task):
    for url in (reverse("mobile:tasks"), reverse("mobile:task", args=[red_task.pk]),
                reverse("mobile:report"), reverse("mobile:locate")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mobile:login"))


def test_an_action_without_a_login_comes_back_to_the_task_page_after_it(client, red_task):
    response = client.post(reverse("mobile:start", args=[red_task.pk]))
    task_page = reverse("mobile:task", args=[red_task.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mobile:login')}?next={task_page}"
