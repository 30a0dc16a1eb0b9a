"""Open311 through client libraries from PyPI, over real HTTP: civicbot's GeoReport v2 client
acting as a citizen app (post a request, read it back, follow the token), and the georeport
package reading the XML answers. Also: issuing an API key in the admin."""

from __future__ import annotations

import re

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from django.test import Client
from georeport import GeoReport

from tasks_app import services
from tasks_app.models import Open311Client as ApiClient
from tasks_app.models import ServiceAttribute, Source, Task
from tests import factories as f


@pytest.fixture
def city_endpoint(live_server, world):
    ServiceAttribute.objects.create(
        category=world.category, code="BIN", order=1, description="哪个垃圾桶？", required=True,
        datatype=ServiceAttribute.Datatype.SINGLE,
        values=[{"key": "blue", "name": "蓝色"}, {"key": "grey", "name": "灰色"}])
    client = ApiClient(name="市民App")
    key = client.issue_key()
    client.save()
    return f"{live_server.url}/open311/v2", key


def test_a_citizen_app_files_a_request_reads_it_back_and_follows_the_token(world,
                                                                          city_endpoint):
    base_url, key = city_endpoint
    app = Open311Client(Endpoint(id="demo", name="示范区", base_url=base_url, write=True),
                        HttpTransport(rate_limiter=RateLimiter(min_interval=0)))
    services = app.list_services()
    assert [s["service_code"] for s in services] == ["GARBAGE"]
    lng, lat = world.point_g1

    sent = app.create_request("GARBAGE", dry_run=False, confirm=CONFIRM_TOKEN, api_key=key,
                              validate_remote=True, lat=lat, lng=lng,
                              description="小区门口垃圾桶满了", attributes={"BIN": "blue"},
                              email="citizen@example.org", first_name="王")
    answer = sent.response[0]
    request_id = answer["service_request_id"]
    assert "token" not in answer  # the id is known at once, so no token (GeoReport v2)

    task = Task.objects.get(code=request_id)
    assert task.source == Source.CITIZEN and task.assignee == world.grid_officer
    assert "哪个垃圾桶？: 蓝色" in task.description

    read = app.get_request(request_id)
    assert read["status"] == "open" and read["service_code"] == "GARBAGE"
    assert read["description"].startswith("小区门口垃圾桶满了")
    assert read["expected_datetime"] is not None
    token = task.open311_request.token  # issued all the same, for clients that follow one
    assert app.get_token(token) == [{"service_request_id": request_id, "token": token}]
    listed = app.list_requests(service_code="GARBAGE", status="open")
    assert [r["service_request_id"] for r in listed] == [request_id]


def test_a_citizen_app_is_told_what_is_missing(world, city_endpoint):
    base_url, key = city_endpoint
    app = Open311Client(Endpoint(id="demo", name="示范区", base_url=base_url, write=True),
                        HttpTransport(rate_limiter=RateLimiter(min_interval=0)))
    from civicbot.http import HttpError

    with pytest.raises(HttpError) as refused:
        app.create_request("GARBAGE", dry_run=False, confirm=CONFIRM_TOKEN, api_key=key,
                           lat=world.point_g1[1], lng=world.point_g1[0])
    assert refused.value.status == 400
    assert "attribute[BIN]" in refused.value.body
    assert not Task.objects.exists()


def test_georeport_reads_our_xml(world, city_endpoint):
    base_url, _key = city_endpoint
    task = services.task_report(reporter=None, category=world.category, lng=world.point_g1[0],
                                lat=world.point_g1[1], source=Source.HOTLINE)
    reader = GeoReport(base_url, output_format="xml")
    service = reader.get_service_list()  # one service: xmltodict gives the element itself
    assert service["service_code"] == "GARBAGE" and service["metadata"] == "true"
    definition = reader.get_service_definition("GARBAGE")
    assert definition["attributes"]["attribute"]["code"] == "BIN"
    one = reader.get_service_request(task.code)
    assert one["service_request_id"] == task.code and one["status"] == "open"
    listed = reader.get_service_requests(service_code="GARBAGE", status="open")
    assert listed["service_request_id"] == task.code
    as_json = GeoReport(base_url).get_service_request(task.code)
    assert as_json["agency_responsible"] is None and as_json["lat"] == task.lat


def test_the_admin_issues_a_key_once_and_stores_only_its_digest(world):
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    browser = Client()
    browser.force_login(admin)
    response = browser.post("/admin/tasks_app/open311client/add/",
                            {"name": "12345热线", "source": Source.HOTLINE, "is_active": "on"},
                            follow=True)
    assert response.status_code == 200
    client = ApiClient.objects.get()
    shown = " ".join(str(m) for m in response.context["messages"])
    key = re.search(r"[A-Za-z0-9_-]{40}", shown).group(0)
    assert key.startswith(client.key_prefix)
    assert ApiClient.digest(key) == client.key_hash
    assert key not in client.key_hash
