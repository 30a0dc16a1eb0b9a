"""Reporting a problem found on patrol: located before sending, repeats shown after."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from gridmgmt import clock
from tasks_app.models import Source, Task
from tasks_app.workflow import Status

from .conftest import photo, report_at

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_report_page_draws_the_officers_grid_to_tap_on(client, world):
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:report"), **EN).content.decode()
    assert '<svg id="map"' in html
    assert "一号网格" in html  # the officer's grid is drawn, with its name
    assert "中山路" in html  # and the road crossing it
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert world.category.name in html


def test_locate_names_the_grid_and_the_road(client, world):
    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    html = client.get(reverse("mobile:locate"), {"lng": lng, "lat": lat}, **EN).content.decode()
    assert "一号网格" in html and "G1" in html and "中山路" in html


def test_locate_warns_of_a_repeat_before_sending(client, world):
    old = report_at(world, world.point_g1)
    Task.objects.filter(pk=old.pk).update(reported_at=clock.now() - timedelta(days=12))
    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    html = client.get(reverse("mobile:locate"),
                      {"lng": lng, "lat": lat, "category": world.category.pk},
                      **EN).content.decode()
    assert "same problem 12 days ago" in html


def test_locate_outside_every_grid_says_so(client, world):
    client.force_login(world.grid_officer.user)
    html = client.get(reverse("mobile:locate"), {"lng": 100, "lat": 10}, **EN).content.decode()
    assert "outside every grid" in html


def test_a_report_is_located_dispatched_and_its_repeat_shown(client, world):
    old = report_at(world, world.point_g1)
    Task.objects.filter(pk=old.pk).update(reported_at=clock.now() - timedelta(days=12))
    client.force_login(world.road_chief.user)
    lng, lat = world.point_g1
    response = client.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat, "address": "中山路12号",
        "description": "垃圾桶满溢", "photos": photo(), "key": "k-report-0001"},
        follow=True, **EN)
    task = Task.objects.exclude(pk=old.pk).get()
    assert response.redirect_chain[-1][0] == reverse("mobile:task", args=[task.pk])
    html = response.content.decode()
    assert f"Reported as {task.code} (一号网格 · 中山路)" in html
    assert "same problem 12 days ago" in html
    assert task.source == Source.PATROL and task.status == Status.ASSIGNED
    assert task.repeat_of == old and task.reporter == world.road_chief.user


def test_an_inspectors_report_counts_as_an_inspectors_find(client, world):
    client.force_login(world.inspector.user)
    lng, lat = world.point_g1
    client.post(reverse("mobile:report"), {"category": world.category.pk, "lng": lng,
                                           "lat": lat, "photos": photo()})
    assert Task.objects.get().source == Source.INSPECTOR


def test_fixed_on_the_spot_needs_the_after_photo(client, world):
    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    data = {"category": world.category.pk, "lng": lng, "lat": lat, "photos": photo(),
            "fixed_on_spot": "on"}
    response = client.post(reverse("mobile:report"), data, HTTP_X_UPLOAD="1", **EN)
    assert response.status_code == 400
    assert "needs the after photo" in response.json()["errors"][0]
    response = client.post(reverse("mobile:report"),
                           {**data, "photos": photo(), "after_photos": photo()})
    task = Task.objects.get()
    assert task.status == Status.SUBMITTED and task.fixed_on_spot
    assert task.photos.count() == 2


def test_a_report_without_a_position_or_outside_the_area_is_refused(client, world):
    client.force_login(world.grid_officer.user)
    response = client.post(reverse("mobile:report"),
                           {"category": world.category.pk, "photos": photo()}, **EN)
    assert response.status_code == 400
    assert "Set the position" in response.content.decode()
    response = client.post(reverse("mobile:report"), {
        "category": world.category.pk, "photos": photo(), "lng": 100, "lat": 10}, **EN)
    assert response.status_code == 422
    assert "outside every grid" in response.content.decode()
    assert not Task.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_by_the_server(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.grid_officer.user)
    lng, lat = world.point_g1
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(reverse("mobile:report"), {
        "category": world.category.pk, "lng": lng, "lat": lat, "photos": fake},
        HTTP_X_UPLOAD="1", **EN)
    assert response.status_code == 400
    assert "not a JPEG, PNG or WebP" in response.json()["errors"][0]


def test_the_service_worker_is_served_under_m(client):
    response = client.get(reverse("mobile:sw"))
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert "/static/mobile/app.js" in body and "const SCOPE = '/m/'" in body
    assert client.get(reverse("mobile:offline")).status_code == 200


def test_a_road_chiefs_map_draws_the_grids_the_road_runs_through(client, world):
    client.force_login(world.road_chief.user)
    html = client.get(reverse("mobile:report")).content.decode()
    assert html.count('class="grid"') == 2  # R1 crosses G1 and G2
    assert 'class="road"' in html
