"""Open311 GeoReport v2, checked against the specification's own example documents: the same
elements in the same places, in XML and in JSON, the spec's example request accepted as sent,
and the spec's error format and status codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from gridmgmt.models import Region, Role
from tasks_app import services
from tasks_app.models import (
    Category,
    Open311Client,
    Open311Request,
    ServiceAttribute,
    Source,
    Task,
)
from tasks_app.workflow import Status
from tests import factories as f

SPEC = Path(__file__).parent / "open311_spec"
BASE = "/open311/v2"
SF_POINT = (-122.4212043, 37.76524078)  # the spec's example request is filed here


# -- comparing documents -------------------------------------------------------------------------

def xml_paths(elem: ET.Element, prefix: str = "") -> set[str]:
    path = f"{prefix}/{elem.tag}"
    found = {path}
    for child in elem:
        found |= xml_paths(child, path)
    return found


def json_paths(value, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            found |= {f"{prefix}/{key}"} | json_paths(item, f"{prefix}/{key}")
        return found
    if isinstance(value, list):
        return set().union(*(json_paths(item, f"{prefix}[]") for item in value)) if value else set()
    return set()


def spec_xml(name: str) -> ET.Element:
    return ET.fromstring((SPEC / f"{name}.xml").read_bytes())


def spec_json(name: str):
    return json.loads((SPEC / f"{name}.json").read_text())


def ours_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def ours_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def child_tags(elem: ET.Element) -> list[str]:
    return [c.tag for c in elem]


# -- a place for the spec's example request ------------------------------------------------------

@pytest.fixture
def city(world):
    """Grid SF around the spec's example point, with a grid officer of the sanitation department;
    service 001 asking the two questions the example request answers; an API key ``xyz``."""
    district = f.RegionFactory(code="SF", name="Mission", level=Region.Level.DISTRICT)
    street = f.RegionFactory(code="SF-S", name="Valencia", level=Region.Level.STREET,
                             parent=district)
    community = f.RegionFactory(code="SF-C", name="Mission Dolores",
                                level=Region.Level.COMMUNITY, parent=street)
    ring = [[-122.43, 37.76], [-122.41, 37.76], [-122.41, 37.77], [-122.43, 37.77],
            [-122.43, 37.76]]
    grid = f.GridFactory(code="SF1", name="Mission 1", community=community,
                         boundary={"type": "Polygon", "coordinates": [ring]})
    officer = f.OfficerFactory(name="sf-officer", department=world.department)
    f.DutyFactory(officer=officer, role=Role.GRID_OFFICER, grid=grid)
    category = f.CategoryFactory(code="001", name="Cans left out 24x7", time_limit=24,
                                 time_unit=Category.TimeUnit.HOURS)
    ServiceAttribute.objects.create(category=category, code="WHISPAWN", order=1,
                                    description="Pawn ticket number", required=True)
    ServiceAttribute.objects.create(
        category=category, code="WHISDORN", order=2, description="Which bin?",
        datatype=ServiceAttribute.Datatype.SINGLE,
        values=[{"key": "COISL001", "name": "Blue bin"}, {"key": "COISL002", "name": "Grey"}])
    client = Open311Client(name="Citizen app")
    client.key_prefix, client.key_hash = "xyz", Open311Client.digest("xyz")
    client.save()
    return {"grid": grid, "officer": officer, "category": category, "client": client}


def post_spec_example(fmt: str = "json", body: str | None = None):
    return Client().post(f"{BASE}/requests.{fmt}",
                         body or (SPEC / "post_request.txt").read_text(),
                         content_type="application/x-www-form-urlencoded; charset=utf-8",
                         HTTP_ACCEPT_LANGUAGE="en")


# -- the spec's examples -------------------------------------------------------------------------

def test_discovery_has_the_spec_examples_shape(db):
    xml = ours_xml(Client().get(f"{BASE}/discovery.xml"))
    assert xml_paths(xml) == xml_paths(spec_xml("discovery"))
    doc = ours_json(Client().get(f"{BASE}/discovery.json"))
    assert json_paths(doc) == json_paths(spec_json("discovery"))
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}


def test_services_are_our_active_categories_in_the_spec_examples_shape(city, world):
    f.CategoryFactory(code="OLD", name="retired", is_active=False)
    xml = ours_xml(Client().get(f"{BASE}/services.xml"))
    assert xml_paths(xml) == xml_paths(spec_xml("services"))
    assert child_tags(xml[0]) == child_tags(spec_xml("services")[0])  # the same order
    assert [s.findtext("service_code") for s in xml] == ["001", "GARBAGE"]
    assert [s.findtext("metadata") for s in xml] == ["true", "false"]
    doc = ours_json(Client().get(f"{BASE}/services.json"))
    assert json_paths(doc) == json_paths(spec_json("services"))
    assert doc[0]["metadata"] is True and doc[0]["type"] == "realtime"
    assert doc[1]["service_name"] == "垃圾满溢"


def test_a_service_definition_in_the_spec_examples_shape(city):
    xml = ours_xml(Client().get(f"{BASE}/services/001.xml"))
    assert xml_paths(xml) == xml_paths(spec_xml("service_definition"))
    first = xml.find("attributes/attribute")
    assert child_tags(first) == child_tags(spec_xml("service_definition").find(
        "attributes/attribute"))
    doc = ours_json(Client().get(f"{BASE}/services/001.json"))
    assert json_paths(doc) == json_paths(spec_json("service_definition"))
    which = doc["attributes"][1]
    assert which["datatype"] == "singlevaluelist" and which["required"] is False
    assert which["values"][0] == {"key": "COISL001", "name": "Blue bin"}
    assert doc["attributes"][0]["order"] == 1 and doc["attributes"][0]["variable"] is True


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_spec_example_request_is_filed_as_a_citizen_task(city, world, fmt):
    response = post_spec_example(fmt)
    assert response.status_code == 201, response.content
    if fmt == "xml":
        xml = ours_xml(response)
        assert xml_paths(spec_xml("post_response")) <= xml_paths(xml)
        request_id, token = xml.findtext("request/service_request_id"), xml.findtext(
            "request/token")
        assert xml.findtext("request/account_id") == "123456"
    else:
        doc = ours_json(response)
        assert json_paths(spec_json("post_response")) <= json_paths(doc)
        request_id, token = doc[0]["service_request_id"], doc[0]["token"]
        assert doc[0]["account_id"] == "123456"
        assert doc[0]["service_notice"]

    task = Task.objects.get(code=request_id)
    assert task.source == Source.CITIZEN and task.reporter is None
    assert task.grid == city["grid"] and task.status == Status.ASSIGNED
    assert task.assignee == city["officer"]
    assert task.address == "1234 5th street"
    assert task.description.startswith("A large sinkhole is destroying the street")
    assert "Pawn ticket number: 123456" in task.description
    assert "Which bin?: Blue bin" in task.description
    filed = Open311Request.objects.get(task=task)
    assert filed.token == token and filed.client == city["client"]
    assert (filed.email, filed.first_name, filed.phone) == ("smit333@sfgov.edu", "john",
                                                          "111111111")
    assert filed.attributes == {"WHISPAWN": "123456", "WHISDORN": "COISL001"}
    assert filed.media_url.startswith("http://farm3.static.flickr.com/")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_and_its_token_read_back_in_the_spec_examples_shape(city, fmt):
    filed = ours_json(post_spec_example())[0]
    one = Client().get(f"{BASE}/requests/{filed['service_request_id']}.{fmt}")
    token = Client().get(f"{BASE}/tokens/{filed['token']}.{fmt}")
    if fmt == "xml":
        xml = ours_xml(one)
        assert xml_paths(xml) == xml_paths(spec_xml("requests"))
        assert child_tags(xml[0]) == child_tags(spec_xml("requests")[0])
        assert xml.findtext("request/status") == "open"
        assert xml.findtext("request/media_url") == ""  # photos are never public
        assert xml_paths(ours_xml(token)) == xml_paths(spec_xml("token"))
    else:
        doc = ours_json(one)
        assert json_paths(doc) == json_paths(spec_json("requests"))
        record = doc[0]
        task = Task.objects.get(code=filed["service_request_id"])
        assert record["status"] == "open"
        assert record["service_code"] == "001"
        assert record["agency_responsible"] == "环卫所"
        assert record["expected_datetime"] == timezone.localtime(task.deadline).isoformat(
            timespec="seconds")
        assert record["requested_datetime"].endswith("+08:00")
        assert (record["lat"], record["long"]) == (SF_POINT[1], SF_POINT[0])
        assert ours_json(token) == [{"service_request_id": filed["service_request_id"],
                                     "token": filed["token"]}]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_api_key_is_the_spec_examples_403(city, fmt):
    response = post_spec_example(fmt, (SPEC / "post_request.txt").read_text().replace(
        "api_key=xyz", "api_key=wrong"))
    assert response.status_code == 403
    if fmt == "xml":
        assert xml_paths(ours_xml(response)) == xml_paths(spec_xml("errors"))
        assert ours_xml(response).findtext("error/code") == "403"
    else:
        assert ours_json(response) == spec_json("errors")
    assert not Task.objects.exists()


# -- requests: statuses, filters and limits ---------------------------------------------------

def test_statuses_map_to_open_and_closed_with_notes(world, task_in, city):
    closed, void = task_in(Status.CLOSED), task_in(Status.VOID)
    open_one = task_in(Status.ASSIGNED, where="g2")
    doc = ours_json(Client().get(f"{BASE}/requests.json"))
    by_id = {r["service_request_id"]: r for r in doc}
    assert by_id[open_one.code]["status"] == "open"
    assert by_id[closed.code]["status"] == "closed"
    assert by_id[void.code]["status"] == "closed"
    assert by_id[void.code]["status_notes"].endswith("x")  # the reason it was refused
    assert by_id[void.code]["expected_datetime"] is None
    only_open = ours_json(Client().get(f"{BASE}/requests.json?status=open"))
    assert [r["service_request_id"] for r in only_open] == [open_one.code]
    both = ours_json(Client().get(f"{BASE}/requests.json?status=open,closed"))
    assert len(both) == 3


def test_requests_filter_by_id_service_and_dates(world, report, city):
    one, two = report("g1"), report("g2")
    filed = ours_json(post_spec_example())[0]["service_request_id"]
    get = lambda q: [r["service_request_id"]  # noqa: E731
                     for r in ours_json(Client().get(f"{BASE}/requests.json?{q}"))]
    assert sorted(get(f"service_request_id={one.code},{filed}")) == sorted([one.code, filed])
    assert get("service_code=001") == [filed]
    assert sorted(get("service_code=GARBAGE,001")) == sorted([one.code, two.code, filed])
    Task.objects.filter(pk=one.pk).update(reported_at=timezone.now() - timedelta(days=120))
    assert one.code not in get("")  # the default window is the last 90 days
    start = (timezone.now() - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert get(f"start_date={start}&end_date={end}") == [one.code]
    # An id list overrides every other filter.
    assert get(f"service_request_id={one.code}&status=closed") == [one.code]


@pytest.mark.parametrize("query", [
    "start_date=2010-01-01T00:00:00Z&end_date=2010-06-01T00:00:00Z",  # more than 90 days
    "start_date=yesterday", "end_date=2010-13-45T00:00:00Z", "status=pending",
    "start_date=2010-05-01T00:00:00Z&end_date=2010-04-01T00:00:00Z", "page_size=0",
    "page=x", "page=99999999999999999999999", "page_size=%C2%B2",
])
def test_bad_request_queries_are_400_in_the_spec_error_format(db, query):
    response = Client().get(f"{BASE}/requests.xml?{query}")
    assert response.status_code == 400
    assert xml_paths(ours_xml(response)) == xml_paths(spec_xml("errors"))


def test_pages_of_requests_are_bounded(world, report):
    codes = [report("g2").code for _ in range(3)]
    page = ours_json(Client().get(f"{BASE}/requests.json?page_size=2"))
    assert [r["service_request_id"] for r in page] == codes[::-1][:2]
    rest = ours_json(Client().get(f"{BASE}/requests.json?page_size=2&page=2"))
    assert [r["service_request_id"] for r in rest] == [codes[0]]


# -- posting: what is refused --------------------------------------------------------------------

def _post(**fields):
    body = {"api_key": "xyz", "service_code": "001", "lat": str(SF_POINT[1]),
            "long": str(SF_POINT[0]), "attribute[WHISPAWN]": "1", **fields}
    return Client().post(f"{BASE}/requests.json", {k: v for k, v in body.items()
                                                    if v is not None})


@pytest.mark.parametrize(("fields", "status"), [
    ({"lat": None, "long": None, "address_string": "1234 5th street"}, 400),  # no point
    ({"lat": "91"}, 400),
    ({"lat": "10", "long": "10"}, 400),  # outside every grid
    ({"service_code": None}, 400),
    ({"service_code": "999"}, 404),
    ({"api_key": None}, 403),
    ({"attribute[WHISPAWN]": None}, 400),  # a required answer is missing
    ({"attribute[WHISDORN]": "COISL999"}, 400),  # not in the list
    ({"email": "not-an-address"}, 400),
    ({"media_url": "javascript:alert(1)"}, 400),
    ({"description": "x" * 4001}, 400),
])
def test_refused_posts_file_nothing(city, fields, status):
    response = _post(**fields)
    assert response.status_code == status, response.content
    body = ours_json(response)
    assert body[0]["code"] == status and body[0]["description"]
    assert not Task.objects.exists()


def test_an_unknown_jurisdiction_is_404_when_one_is_configured(city, settings):
    settings.OPEN311_JURISDICTION_ID = "city.gov"
    assert Client().get(f"{BASE}/services.json?jurisdiction_id=city.gov").status_code == 200
    assert Client().get(f"{BASE}/services.json?jurisdiction_id=other.gov").status_code == 404
    assert _post(jurisdiction_id="other.gov").status_code == 404


def test_an_inactive_key_is_refused(city):
    Open311Client.objects.update(is_active=False)
    assert _post().status_code == 403


def test_a_hotline_client_files_tasks_as_hotline(city):
    Open311Client.objects.update(source=Source.HOTLINE)
    code = ours_json(_post())[0]["service_request_id"]
    assert Task.objects.get(code=code).source == Source.HOTLINE


def test_a_photo_can_be_sent_with_the_request(city):
    from tests.api.conftest import png

    response = Client().post(f"{BASE}/requests.json", {
        "api_key": "xyz", "service_code": "001", "lat": SF_POINT[1], "long": SF_POINT[0],
        "attribute[WHISPAWN]": "1", "media": png()})
    assert response.status_code == 201
    assert Task.objects.get().photos.count() == 1


def test_unknown_resources_are_404_in_the_spec_format(db):
    for path in ("requests/nope.json", "tokens/nope.json", "services/nope.json"):
        response = Client().get(f"{BASE}/{path}")
        assert response.status_code == 404
        assert ours_json(response)[0]["code"] == 404


def test_posting_is_throttled(city, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"open311_write": "2/min"}}
    codes = [_post().status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert ours_json(_post())[0]["code"] == 429
    assert Client().get(f"{BASE}/services.json").status_code == 200  # reading has its own rate


def test_an_open311_request_is_a_task_like_any_other(city, world, client_for):
    code = ours_json(_post())[0]["service_request_id"]
    task = Task.objects.get(code=code)
    officer = client_for(city["officer"])
    assert officer.get(f"/api/v1/tasks/{task.pk}/").json()["source"] == Source.CITIZEN
    services.task_start(task=task, actor=city["officer"].user)
    assert ours_json(Client().get(f"{BASE}/requests/{code}.json"))[0]["status"] == "open"
