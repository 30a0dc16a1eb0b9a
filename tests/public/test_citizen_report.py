"""A citizen's report on the web (/public/report/): filed through the Open311 service with the
built-in web client (source citizen), a follow link shown once, the open problems nearby shown
before a duplicate is sent, and abuse refused with a clear 4xx and nothing written."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from gridmgmt.models import Role
from tasks_app import services
from tasks_app.models import Open311Request, Photo, Source, Task
from tasks_app.public.models import CitizenReport
from tasks_app.public.services import WEB_CLIENT_NAME

URL = "/public/report/"


pytestmark = pytest.mark.usefixtures("fresh_cache", "zh_hans")


def jpeg(name="p.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "#aa8866").save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def form(world, **kw) -> dict:
    lng, lat = world.point_g1
    data = {"category": world.category.pk, "lng": f"{lng:.6f}", "lat": f"{lat:.6f}",
            "description": "人行道上垃圾堆积，已经好几天了", "address": "中山路12号门口",
            "email": "", "phone": "", "website": "", "seen": ""}
    data.update(kw)
    return data


def nothing_written() -> bool:
    return not (Task.objects.exists() or Open311Request.objects.exists()
                or CitizenReport.objects.exists() or Photo.objects.exists())


def test_a_citizen_reports_on_the_web_and_is_given_a_follow_link(client, world):
    response = client.post(URL, form(world, email="li@example.com", phone="138 0000-0000",
                                     photos=[jpeg()]))
    assert response.status_code == 302
    key = re.match(r"^/public/follow/([^/]+)/\?new=1$", response["Location"]).group(1)

    task = Task.objects.get()
    assert task.source == Source.CITIZEN
    assert task.photos.filter(kind=Photo.Kind.BEFORE).count() == 1
    filed = Open311Request.objects.get(task=task)
    assert filed.client.name == WEB_CLIENT_NAME
    assert (filed.email, filed.phone) == ("li@example.com", "13800000000")
    report = CitizenReport.objects.get(task=task)
    # Only the digest of the key is kept.
    assert report.follow_hash == CitizenReport.digest(key) and key not in report.follow_hash
    assert report.language == "zh-hans"  # the closure e-mail's language

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store, private"
    html = page.content.decode()
    assert f"/public/follow/{key}/" in html  # shown once, to keep
    assert task.code in html
    assert "li@example.com" not in html and "13800000000" not in html


def test_the_language_the_citizen_reports_in_is_kept_for_the_closure_mail(client, world):
    response = client.post(URL, form(world, email="li@example.com"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert CitizenReport.objects.get().language == "en"


def test_the_web_client_cannot_be_used_through_the_open311_api(client, world):
    client.post(URL, form(world))
    web = Open311Request.objects.get().client
    # Its key was thrown away: only a digest, of a key nobody saw.
    assert web.key_hash and web.source == Source.CITIZEN
    response = client.post("/open311/v2/requests.json", {
        "api_key": web.key_prefix, "service_code": world.category.code,
        "lat": world.point_g1[1], "long": world.point_g1[0], "description": "x"})
    assert response.status_code in (400, 403)
    assert Task.objects.count() == 1


def test_an_open_problem_nearby_is_shown_before_a_duplicate_is_sent(client, world):
    earlier = services.task_report(reporter=None, category=world.category,
                                   lng=world.point_g1[0], lat=world.point_g1[1],
                                   source=Source.HOTLINE)
    # A few metres away, not shown yet: refused with the earlier one to follow, nothing new.
    near = form(world, lng=f"{world.point_g1[0] + 0.00005:.6f}", photos=[jpeg()])
    response = client.post(URL, near)
    assert response.status_code == 409
    html = response.content.decode()
    assert reverse("public:problem", args=[earlier.code]) in html
    assert f'name="seen" value="{earlier.pk}"' in html
    assert Task.objects.count() == 1 and not CitizenReport.objects.exists()

    # The page the script asks shows the same before sending.
    nearby = client.get(reverse("public:report-nearby"), {
        "category": world.category.pk, "lng": near["lng"], "lat": near["lat"]}).json()
    assert nearby["ids"] == [earlier.pk]

    # A different problem at the same place: sent after seeing it, and filed as a repeat (the
    # service's rule, as for Open311).
    near.update(seen=str(earlier.pk), photos=[jpeg()])
    assert client.post(URL, near).status_code == 302
    new = CitizenReport.objects.get().task
    assert new.repeat_of_id == earlier.pk

    # Its public page says where it stands, and nothing of the citizen.
    page = client.get(reverse("public:problem", args=[earlier.code]))
    assert page.status_code == 200
    assert earlier.category.name in page.content.decode()


def test_an_internal_find_nearby_is_not_linked(client, world):
    services.task_report(reporter=world.grid_officer.user, category=world.category,
                         lng=world.point_g1[0], lat=world.point_g1[1])  # a patrol find
    body = client.get(reverse("public:report-nearby"), {
        "category": world.category.pk, "lng": world.point_g1[0],
        "lat": world.point_g1[1]}).json()
    assert body["ids"] == []
    assert "/public/problem/" not in body["html"]
    assert client.post(URL, form(world)).status_code == 302  # nothing to see first
    patrol = Task.objects.get(source=Source.PATROL)
    assert client.get(reverse("public:problem", args=[patrol.code])).status_code == 404


@pytest.mark.parametrize("change, status", [
    ({"website": "http://spam.example"}, 400),  # the honeypot
    ({"category": ""}, 400),
    ({"lng": "", "lat": ""}, 400),
    ({"lng": "121.5", "lat": "31.2"}, 400),  # outside every grid
    ({"description": "   "}, 400),
    ({"email": "not-an-address"}, 400),
    ({"phone": "call me"}, 400),
    ({"seen": "1,x"}, 400),
    ({"photos": [SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")]},
     400),
    ({"photos": [jpeg(f"{i}.jpg") for i in range(4)]}, 400),  # more than three
])
def test_bad_input_is_refused_and_nothing_is_written(client, world, change, status):
    response = client.post(URL, form(world, **change))
    assert response.status_code == status
    assert nothing_written()


def test_a_photo_over_the_size_limit_is_refused(client, world, settings):
    settings.PHOTO_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.jpg", b"\xff" * 2000, content_type="image/jpeg")
    assert client.post(URL, form(world, photos=[big])).status_code == 400
    assert nothing_written()


def test_the_form_needs_its_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL, form(world)).status_code == 403
    assert nothing_written()


def _spread(world, i: int) -> dict:
    # Points about 100 m apart in G1: no report is near another.
    return {"lng": f"{120.0005 + (i % 9) * 0.001:.6f}", "lat": f"{30.0007:.6f}"}


def test_reports_are_throttled_per_address(client, world, settings):
    settings.PUBLIC_THROTTLES = {"report_address": (2, 3600)}
    for i in range(2):
        assert client.post(URL, form(world, **_spread(world, i))).status_code == 302
    response = client.post(URL, form(world, **_spread(world, 5)))
    assert response.status_code == 429
    assert Task.objects.count() == 2
    # Another address is not held back.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert other.post(URL, form(world, **_spread(world, 6))).status_code == 302


def test_reports_are_throttled_per_phone_number(world, settings):
    settings.PUBLIC_THROTTLES = {"report_contact": (2, 86400)}
    for i in range(2):
        c = Client(REMOTE_ADDR=f"10.0.0.{i + 1}")
        phone = "13800000000" if i == 0 else "138-0000 0000"
        assert c.post(URL, form(world, phone=phone, **_spread(world, i))).status_code == 302
    c = Client(REMOTE_ADDR="10.0.0.9")
    response = c.post(URL, form(world, phone="13800000000", **_spread(world, 4)))
    assert response.status_code == 429
    assert Task.objects.count() == 2


def test_the_citizens_contact_shows_on_the_workbench_to_supervisors_in_scope_only(
        client, world):
    from tests.console.conftest import staff

    client.post(URL, form(world, email="li@example.com", phone="13800000000"))
    task = Task.objects.get()
    url = reverse("admin:tasks_app_task_change", args=[task.pk])
    for officer in (world.supervisor, world.street_leader):
        client.force_login(staff(officer))
        html = client.get(url).content.decode()
        assert "13800000000" in html and "li@example.com" in html

    # A bureau administrator sees the task in the console, not the contact.
    from tests import factories as f

    admin = f.OfficerFactory(user=f.UserFactory(username="admin1"), name="admin1")
    f.DutyFactory(officer=admin, role=Role.BUREAU_ADMIN, region=world.district)
    client.force_login(staff(admin))
    page = client.get(url)
    assert page.status_code == 200
    assert "13800000000" not in page.content.decode()
    assert "li@example.com" not in page.content.decode()


def test_the_public_pages_cost_a_few_queries_however_many_problems_there_are(
        client, world, django_assert_num_queries):
    lng, lat = world.point_g1
    for _ in range(6):  # open problems nearby, all listed
        services.task_report(reporter=None, category=world.category, lng=lng, lat=lat,
                             source=Source.HOTLINE)
    shown = Task.objects.latest("pk")
    client.get(URL)  # the map's frame is cached from here on
    with django_assert_num_queries(1):  # the categories
        assert client.get(URL).status_code == 200
    # The category, the problems in the repeat window nearby, which of them are public.
    with django_assert_num_queries(3):
        body = client.get(reverse("public:report-nearby"), {
            "category": world.category.pk, "lng": lng, "lat": lat}).json()
    assert len(body["ids"]) == 5  # at most five are listed
    with django_assert_num_queries(1):
        assert client.get(reverse("public:problem", args=[shown.code])).status_code == 200


def test_the_open311_record_in_the_admin_shows_the_contact_to_supervisors_in_scope_only(
        client, world):
    from tests import factories as f
    from tests.console.conftest import staff

    client.post(URL, form(world, email="li@example.com", phone="13800000000"))
    filed = Open311Request.objects.get()
    url = reverse("admin:tasks_app_open311request_change", args=[filed.pk])
    listing = reverse("admin:tasks_app_open311request_changelist")

    client.force_login(staff(world.street_leader, "view_open311request"))
    assert "13800000000" in client.get(url).content.decode()
    assert client.get(listing, {"q": "13800000000"}).context["cl"].result_count == 1

    user = f.UserFactory(username="admin2")
    admin = f.OfficerFactory(user=user, name="admin2")
    f.DutyFactory(officer=admin, role=Role.BUREAU_ADMIN, region=world.district)
    client.force_login(staff(admin, "view_open311request"))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "13800000000" not in html and "li@example.com" not in html
    # Nor can the contact be found by searching for it.
    assert client.get(listing, {"q": "13800000000"}).context["cl"].result_count == 0
