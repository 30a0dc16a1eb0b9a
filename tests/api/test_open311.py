"""Open311 GeoReport v2, checked against the specification's own example documents: the same
elements in the same places, in XML and in JSON, the spec's example request accepted as sent,
and the spec's error format and status codes."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from tasks_app import services
from tasks_app.models import (
    Category,
    Open311Client,
    Open311Request,
    Photo,
    ServiceAttribute,
    Source,
    Task,
)
from tasks_app.workflow import Status
from tests import factories as f
from tests.exif import SECRET_MODEL, has_gps_or_camera, jpeg_with_gps

from .conftest import png
from .open311_helpers import (
    BASE,
    PLAN,
    SF_POINT,
    SPEC,
    VOID_REASON,
    child_tags,
    is_error_document,
    json_paths,
    ours_json,
    ours_xml,
    post_request,
    post_spec_example,
    spec_json,
    spec_xml,
    xml_paths,
)

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
        assert xml_paths(xml) == xml_paths(spec_xml("post_response"))
        request_id = xml.findtext("request/service_request_id")
        assert xml.findtext("request/account_id") == "123456"
    else:
        doc = ours_json(response)
        assert json_paths(doc) == json_paths(spec_json("post_response"))
        request_id = doc[0]["service_request_id"]
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
    assert filed.client == city["client"]
    assert (filed.email, filed.first_name, filed.phone) == ("smit333@sfgov.edu", "john",
                                                          "111111111")
    assert filed.attributes == {"WHISPAWN": "123456", "WHISDORN": "COISL001"}
    assert filed.media_url.startswith("http://farm3.static.flickr.com/")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_and_its_token_read_back_in_the_spec_examples_shape(city, fmt):
    request_id = ours_json(post_spec_example())[0]["service_request_id"]
    filed = {"service_request_id": request_id,
             "token": Open311Request.objects.get(task__code=request_id).token}
    one = Client().get(f"{BASE}/requests/{filed['service_request_id']}.{fmt}")
    token = Client().get(f"{BASE}/tokens/{filed['token']}.{fmt}")
    if fmt == "xml":
        xml = ours_xml(one)
        assert xml_paths(xml) == xml_paths(spec_xml("requests"))
        assert child_tags(xml[0]) == child_tags(spec_xml("requests")[0])
        assert xml.findtext("request/status") == "open"
        assert xml.findtext("request/media_url").startswith("http://farm3.static.flickr.com/")
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

def test_statuses_map_to_open_and_closed_with_notes(world, public_task):
    closed, void = public_task(Status.CLOSED), public_task(Status.VOID)
    open_one = public_task(Status.ASSIGNED, where="g2")
    doc = ours_json(Client().get(f"{BASE}/requests.json", HTTP_ACCEPT_LANGUAGE="en"))
    by_id = {r["service_request_id"]: r for r in doc}
    assert by_id[open_one.code]["status"] == "open"
    assert by_id[closed.code]["status"] == "closed"
    assert by_id[void.code]["status"] == "closed"
    assert by_id[void.code]["status_notes"] == "Void"  # not the supervisor's reason
    assert by_id[void.code]["expected_datetime"] is None
    only_open = ours_json(Client().get(f"{BASE}/requests.json?status=open"))
    assert [r["service_request_id"] for r in only_open] == [open_one.code]
    both = ours_json(Client().get(f"{BASE}/requests.json?status=open,closed"))
    assert len(both) == 3


def test_requests_filter_by_id_service_and_dates(world, public_task, city):
    one, two = public_task(Status.ASSIGNED), public_task(Status.ASSIGNED, where="g2")
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


def test_pages_of_requests_are_bounded(world, public_task):
    codes = [public_task(Status.ASSIGNED, where="g2").code for _ in range(3)]
    page = ours_json(Client().get(f"{BASE}/requests.json?page_size=2"))
    assert [r["service_request_id"] for r in page] == codes[::-1][:2]
    rest = ours_json(Client().get(f"{BASE}/requests.json?page_size=2&page=2"))
    assert [r["service_request_id"] for r in rest] == [codes[0]]


# -- posting: what is refused --------------------------------------------------------------------

_post = post_request


@pytest.mark.parametrize(("fields", "status"), [
    ({"lat": None, "long": None, "address_string": "1234 5th street"}, 400),  # names nothing
    ({"lat": None, "long": None}, 400),  # no location at all
    ({"long": None}, 400),  # half a point
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


# -- GeoReport v2 where the spec is clear --------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_answers_the_request_id_and_no_token(city, fmt):
    response = post_request(fmt)
    assert response.status_code == 201
    if fmt == "xml":
        request = ours_xml(response).find("request")
        assert request.find("token") is None and request.findtext("service_request_id")
    else:
        assert "token" not in ours_json(response)[0]
    assert Task.objects.filter(code=Open311Request.objects.get().task.code).exists()


def test_an_address_string_alone_is_placed_on_the_road_it_names(world, city):
    response = post_request(lat=None, long=None, address_string="中山路 88号 便利店门口")
    assert response.status_code == 201, response.content
    task = Task.objects.get(code=ours_json(response)[0]["service_request_id"])
    assert task.road == world.road and task.address == "中山路 88号 便利店门口"
    assert task.grid in (world.grid1, world.grid2)
    read = ours_json(Client().get(f"{BASE}/requests/{task.code}.json"))[0]
    assert read["address"] == "中山路 88号 便利店门口" and read["lat"] == pytest.approx(30.005)


def test_an_address_string_naming_a_grid_is_placed_inside_it(world, city):
    response = post_request(lat=None, long=None, address_string="二号网格 小区北门")
    assert response.status_code == 201, response.content
    task = Task.objects.get()
    assert task.grid == world.grid2 and task.assignee == world.other_grid_officer


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_address_string_naming_nothing_known_is_a_400_that_files_nothing(world, city, fmt):
    response = post_request(fmt, lat=None, long=None, address_string="1234 5th street")
    assert is_error_document(response, fmt, 400)
    body = response.content.decode()
    assert "address_string" in body and "lat" in body
    assert not Task.objects.exists() and not Open311Request.objects.exists()


def test_a_posted_media_url_is_returned_with_the_request(city):
    url = "https://photos.example.org/2026/11/bin.jpg"
    code = ours_json(post_request(media_url=url))[0]["service_request_id"]
    assert ours_json(Client().get(f"{BASE}/requests/{code}.json"))[0]["media_url"] == url
    listed = ours_xml(Client().get(f"{BASE}/requests.xml?service_request_id={code}"))
    assert listed.findtext("request/media_url") == url


def test_a_closed_request_was_updated_when_it_was_closed(world, public_task):
    task = public_task(Status.CLOSED)
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        Task.objects.get(pk=task.pk).save()  # a later internal edit of the row
    task.refresh_from_db()
    assert task.updated_at - task.closed_at > timedelta(hours=4)
    record = ours_json(Client().get(f"{BASE}/requests/{task.code}.json"))[0]
    assert record["updated_datetime"] == timezone.localtime(task.closed_at).isoformat(
        timespec="seconds")


def test_a_void_request_was_updated_when_it_was_voided(world, public_task):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        task = public_task(Status.VOID)
    voided = task.events.get(kind="voided").created_at
    Task.objects.get(pk=task.pk).save()
    record = ours_json(Client().get(f"{BASE}/requests/{task.code}.json"))[0]
    assert record["updated_datetime"] == timezone.localtime(voided).isoformat(
        timespec="seconds")


def test_an_open_request_was_updated_at_its_last_change(world, public_task):
    task = public_task(Status.IN_PROGRESS)
    record = ours_json(Client().get(f"{BASE}/requests/{task.code}.json"))[0]
    assert record["updated_datetime"] == timezone.localtime(task.updated_at).isoformat(
        timespec="seconds")


def test_the_discovery_changeset_changes_when_the_service_definitions_change(city):
    def changeset() -> str:
        doc = ours_json(Client().get(f"{BASE}/discovery.json"))
        assert doc["endpoints"][0]["changeset"] == doc["changeset"]
        return doc["changeset"]

    seen = [changeset()]
    category = city["category"]
    steps = [
        lambda: Category.objects.get(pk=category.pk).save(),  # renamed, limits edited …
        lambda: ServiceAttribute.objects.create(category=category, code="NEW", order=3,
                                                description="Since when?"),
        lambda: _reworded(ServiceAttribute.objects.get(code="NEW")),
        lambda: ServiceAttribute.objects.filter(code="NEW").delete(),
        lambda: f.CategoryFactory(code="NEW1", name="新类别"),
    ]
    for i, step in enumerate(steps, start=1):
        with time_machine.travel(timezone.now() + timedelta(minutes=10 * i)):
            step()
        seen.append(changeset())
    assert len(set(seen)) == len(seen), seen
    assert changeset() == seen[-1]  # and stays put while nothing changes


def _reworded(attribute: ServiceAttribute) -> None:
    attribute.description = "Since when, roughly?"
    attribute.save()


@pytest.mark.parametrize("path", [
    "nope.json", "nope.xml", "requests.html", "requests.yaml", "services/001.csv",
    "requests/x/y.json", "discovery.xml/more", "", "requests", "tokens/.xml", "v3/services.json",
])
def test_an_unknown_path_or_format_gets_an_open311_error_document(city, path):
    response = Client().get(f"{BASE}/{path}")
    fmt = "xml" if path.endswith(".xml") else "json"
    assert is_error_document(response, fmt, 404)
    assert b"<html" not in response.content.lower()


@pytest.mark.parametrize(("method", "path"), [
    ("delete", "requests.json"), ("put", "requests.xml"), ("post", "services.json"),
    ("post", "discovery.xml"), ("patch", "nope.json"),
])
def test_an_unknown_method_gets_an_open311_error_document(city, method, path):
    response = getattr(Client(), method)(f"{BASE}/{path}")
    fmt = "xml" if path.endswith(".xml") else "json"
    assert is_error_document(response, fmt, 404 if path == "nope.json" else 405)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_oversized_photo_is_a_400_open311_error(city, settings, fmt):
    settings.PHOTO_MAX_BYTES = 2000
    noise = io.BytesIO()
    Image.frombytes("RGB", (60, 60), os.urandom(60 * 60 * 3)).save(noise, "PNG")
    assert len(noise.getvalue()) > 2000
    response = Client().post(f"{BASE}/requests.{fmt}", {
        "api_key": "xyz", "service_code": "001", "lat": SF_POINT[1], "long": SF_POINT[0],
        "attribute[WHISPAWN]": "1",
        "media": SimpleUploadedFile("big.png", noise.getvalue(), content_type="image/png")})
    assert is_error_document(response, fmt, 400)
    assert not Task.objects.exists() and not Photo.objects.exists()


# -- what is published ---------------------------------------------------------------------------

def test_only_the_public_sources_are_published(world, public_task, settings):
    tasks = {source: public_task(Status.ASSIGNED, source=source) for source in Source.values}
    listed = {r["service_request_id"]
              for r in ours_json(Client().get(f"{BASE}/requests.json"))}
    assert listed == {tasks[s].code for s in ("citizen", "hotline", "media")}
    for source in ("patrol", "inspector", "third_party", "city_inspection"):
        one = Client().get(f"{BASE}/requests/{tasks[source].code}.json")
        assert is_error_document(one, "json", 404)
        by_id = Client().get(f"{BASE}/requests.json?service_request_id={tasks[source].code}")
        assert ours_json(by_id) == []
    settings.OPEN311_PUBLIC_SOURCES = ["citizen"]
    listed = {r["service_request_id"]
              for r in ours_json(Client().get(f"{BASE}/requests.json"))}
    assert listed == {tasks["citizen"].code}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_internal_notes_and_officers_never_leave(world, public_task, fmt):
    tasks = [public_task(state) for state in (Status.VOID, Status.IN_PROGRESS, Status.CLOSED)]
    officer = world.grid_officer
    officer.phone, officer.email = "13712345678", "grid1@bureau.example.org"
    officer.save()
    pages = [Client().get(f"{BASE}/requests.{fmt}"),
             *(Client().get(f"{BASE}/requests/{t.code}.{fmt}") for t in tasks)]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        for secret in (VOID_REASON, "13800000000", PLAN, "13900000000", "已清运", "核查通过",
                       officer.name, officer.phone, officer.email, "root311"):
            assert secret not in body, secret


# -- bad input -----------------------------------------------------------------------------------

TEXT_FIELDS = ["description", "first_name", "last_name", "address_string", "phone", "device_id",
               "account_id", "email", "media_url", "service_code", "api_key", "lat",
               "attribute[WHISPAWN]", "jurisdiction_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_nul_byte_in_any_posted_field_is_a_400_that_files_nothing(city, field, fmt):
    value = {"lat": f"{SF_POINT[1]}\x00", "service_code": "001\x00",
             "api_key": "xyz\x00"}.get(field, "hello\x00world")
    response = post_request(fmt, **{field: value})
    assert is_error_document(response, fmt, 400)
    assert "NUL" in response.content.decode()
    assert not Task.objects.exists() and not Open311Request.objects.exists()


@pytest.mark.parametrize("path", [
    "requests.json?service_request_id=1%00", "requests.json?service_code=GARBAGE%00",
    "requests.json?status=open%00", "requests/2026%00.json", "tokens/abc%00.json",
    "services/GAR%00BAGE.json", "services.json?jurisdiction_id=x%00",
    "requests.json?start_date=2026-11-01T00:00:00Z%00",
])
def test_a_nul_byte_in_a_query_or_path_is_a_400(city, path):
    assert is_error_document(Client().get(f"{BASE}/{path}"), "json", 400)


def test_a_failure_after_the_task_is_filed_leaves_neither_rows_nor_photo_files(
        city, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Open311Request.objects, "create", broken)
    response = Client(raise_request_exception=False).post(f"{BASE}/requests.json", {
        "api_key": "xyz", "service_code": "001", "lat": SF_POINT[1], "long": SF_POINT[0],
        "attribute[WHISPAWN]": "1", "media": png()})
    assert response.status_code == 500
    assert not Task.objects.exists() and not Photo.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_switched_off_client_files_nothing_through_the_service(city, world):
    client = city["client"]
    client.is_active = False
    with pytest.raises(Exception, match="switched off|停用"):
        services.open311_request_file(client=client, category=city["category"],
                                      lng=SF_POINT[0], lat=SF_POINT[1])
    assert not Task.objects.exists()


# -- the citizen's photo -------------------------------------------------------------------------

def test_the_citizens_photo_is_published_without_gps_or_camera(city):
    response = Client().post(f"{BASE}/requests.json", {
        "api_key": "xyz", "service_code": "001", "lat": SF_POINT[1], "long": SF_POINT[0],
        "attribute[WHISPAWN]": "1",
        "media": SimpleUploadedFile("bin.jpg", jpeg_with_gps(), content_type="image/jpeg")})
    code = ours_json(response)[0]["service_request_id"]
    stored = Task.objects.get(code=code).photos.get()
    assert has_gps_or_camera(stored.image.read())  # the evidence keeps its EXIF

    url = ours_json(Client().get(f"{BASE}/requests/{code}.json"))[0]["media_url"]
    assert url == f"http://testserver{BASE}/media/{code}.jpg"
    public = Client().get(url)
    assert public.status_code == 200 and public["Content-Type"] == "image/jpeg"
    assert not has_gps_or_camera(public.content)
    assert SECRET_MODEL.encode() not in public.content
    xml = ours_xml(Client().get(f"{BASE}/requests/{code}.xml"))
    assert xml.findtext("request/media_url") == url


def test_officers_photos_and_unpublished_tasks_have_no_public_media(world, city, public_task):
    task = public_task(Status.CLOSED)  # an officer's after photo, a public source
    assert task.photos.exists()
    assert ours_json(Client().get(f"{BASE}/requests/{task.code}.json"))[0]["media_url"] is None
    assert is_error_document(Client().get(f"{BASE}/media/{task.code}.png"), "json", 404)
    hidden = Client().post(f"{BASE}/requests.json", {
        "api_key": "xyz", "service_code": "001", "lat": SF_POINT[1], "long": SF_POINT[0],
        "attribute[WHISPAWN]": "1", "media": png()})
    code = ours_json(hidden)[0]["service_request_id"]
    Task.objects.filter(code=code).update(source=Source.PATROL)
    assert is_error_document(Client().get(f"{BASE}/media/{code}.png"), "json", 404)
