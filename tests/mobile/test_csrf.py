"""Every form post on the phone pages needs the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tasks_app.models import Task
from tasks_app.workflow import Status

from .conftest import photo


@pytest.fixture
def strict(world) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.grid_officer.user)
    return client


def _token(client: Client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_an_action_without_the_token_is_refused(strict, red_task):
    response = strict.post(reverse("mobile:start", args=[red_task.pk]))
    assert response.status_code == 403
    red_task.refresh_from_db()
    assert red_task.status == Status.ASSIGNED


def test_an_action_with_the_token_goes_through(strict, red_task):
    url = reverse("mobile:task", args=[red_task.pk])
    token = _token(strict, url)
    response = strict.post(reverse("mobile:start", args=[red_task.pk]),
                           {"csrfmiddlewaretoken": token, "version": red_task.version})
    assert response.status_code == 302
    red_task.refresh_from_db()
    assert red_task.status == Status.IN_PROGRESS


def test_a_report_without_the_token_is_refused(strict, world):
    lng, lat = world.point_g1
    before = Task.objects.count()
    response = strict.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat, "photos": photo()})
    assert response.status_code == 403
    assert Task.objects.count() == before


def test_login_and_logout_need_the_token(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("mobile:login"),
                           {"username": "grid1", "password": "pass-12345"})
    assert response.status_code == 403
    client.force_login(world.grid_officer.user)
    assert client.post(reverse("mobile:logout")).status_code == 403


def test_every_form_on_the_pages_carries_the_token(world, red_task, client):
    client.force_login(world.grid_officer.user)
    for url in (reverse("mobile:task", args=[red_task.pk]), reverse("mobile:report"),
                reverse("mobile:tasks")):
        html = client.get(url).content.decode()
        forms = html.count("<form")
        assert forms >= 1
        assert html.count('name="csrfmiddlewaretoken"') == forms
