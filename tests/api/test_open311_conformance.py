"""Open311 GeoReport v2 conformance: every endpoint answers in the shape of the specification's
example document for it, in JSON and in XML (the same elements, in the spec's order, with the
spec's types), and every error an endpoint gives is the spec's error document with the HTTP
status as its code. The examples are in tests/api/open311_spec/."""

from __future__ import annotations

import pytest
from django.test import Client

from tasks_app.models import Open311Request
from tasks_app.workflow import Status

from .open311_helpers import (
    BASE,
    SPEC,
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

FORMATS = ["json", "xml"]
# Elements whose JSON value the spec's examples give as booleans or numbers; every other leaf is
# text (or null when empty). The spec's numeric ids are strings in the spec's own field list.
BOOLEANS = {"metadata", "variable", "required"}
NUMBERS = {"lat", "long", "order"}  # an error's code too: is_error_document checks it


@pytest.fixture
def filed(city, public_task):
    """The spec's example request, filed; and a closed public request beside it."""
    code = ours_json(post_spec_example())[0]["service_request_id"]
    closed = public_task(Status.CLOSED)
    return {"code": code, "token": Open311Request.objects.get(task__code=code).token,
            "closed": closed.code}


def _get(path: str, fmt: str):
    return Client().get(f"{BASE}/{path}".replace("{fmt}", fmt))


# What each endpoint's answer is compared with: (example, path or poster).
ENDPOINTS = {
    "discovery": ("discovery", "discovery.{fmt}"),
    "services": ("services", "services.{fmt}"),
    "service definition": ("service_definition", "services/001.{fmt}"),
    "requests": ("requests", "requests.{fmt}?status=open,closed"),
    "request by id": ("requests", "requests/{code}.{fmt}"),
    "token": ("token", "tokens/{token}.{fmt}"),
    "post": ("post_response", None),
}


def _answer(endpoint: str, fmt: str, filed):
    example, path = ENDPOINTS[endpoint]
    if path is None:
        response = post_spec_example(fmt, (SPEC / "post_request.txt").read_text().replace(
            "attribute[WHISPAWN]=123456", "attribute[WHISPAWN]=654321"))
        assert response.status_code == 201
        return example, response
    response = _get(path.format(fmt="{fmt}", **filed), fmt)
    assert response.status_code == 200, response.content
    return example, response


def _check_types(ours, spec, where: str = "") -> None:
    """Each leaf of ours has the type the spec's example gives its element."""
    if isinstance(spec, list):
        assert isinstance(ours, list), where
        for item in ours:
            _check_types(item, spec[0], where + "[]")
    elif isinstance(spec, dict):
        assert isinstance(ours, dict), where
        for key, value in ours.items():
            _check_types(value, spec[key], f"{where}/{key}")
    elif ours is not None:
        name = where.rsplit("/", 1)[-1]
        if name in BOOLEANS:
            assert isinstance(ours, bool), where
        elif name in NUMBERS:
            assert isinstance(ours, int | float) and not isinstance(ours, bool), where
        else:
            assert isinstance(ours, str), where


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_endpoint_answers_json_in_the_shape_and_types_of_the_spec_example(
        filed, endpoint):
    example, response = _answer(endpoint, "json", filed)
    ours, spec = ours_json(response), spec_json(example)
    assert json_paths(ours) == json_paths(spec)
    if isinstance(ours, list):
        assert ours, "an empty list proves nothing"
        for item in ours:  # every item has every element, as in the spec's first
            assert set(item) == set(spec[0])
    _check_types(ours, spec)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_endpoint_answers_xml_in_the_shape_and_order_of_the_spec_example(filed, endpoint):
    example, response = _answer(endpoint, "xml", filed)
    ours, spec = ours_xml(response), spec_xml(example)
    assert ours.tag == spec.tag
    assert xml_paths(ours) == xml_paths(spec)
    if spec.tag in ("services", "service_requests"):
        assert len(ours), "an empty list proves nothing"
        for item in ours:
            assert item.tag == spec[0].tag
            if spec.tag == "services":  # the spec's second service lists them in another order
                assert set(child_tags(item)) == set(child_tags(spec[0]))
            else:
                assert child_tags(item) == child_tags(spec[0])
    else:
        assert child_tags(ours) == child_tags(spec)
    for flag in ours.iter():
        if flag.tag in BOOLEANS:
            assert flag.text in ("true", "false"), flag.tag


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_request_reads_as_closed_with_its_close_time(filed, fmt):
    response = _get(f"requests/{filed['closed']}.{fmt}", fmt)
    if fmt == "xml":
        record = ours_xml(response).find("request")
        status, updated = record.findtext("status"), record.findtext("updated_datetime")
    else:
        record = ours_json(response)[0]
        status, updated = record["status"], record["updated_datetime"]
    assert status == "closed" and updated.endswith("+08:00")


# -- errors --------------------------------------------------------------------------------------

def _jurisdiction(settings):
    settings.OPEN311_JURISDICTION_ID = "city.gov"


# (endpoint, what goes wrong, status, how to provoke it)
ERRORS = [
    ("discovery", "unknown format", 404, lambda fmt, s: Client().get(
        f"{BASE}/discovery.yaml" if fmt == "json" else f"{BASE}/discovery/x.xml")),
    ("discovery", "method not allowed", 405,
     lambda fmt, s: Client().post(f"{BASE}/discovery.{fmt}")),
    ("services", "unknown jurisdiction", 404, lambda fmt, s: _jurisdiction(s) or _get(
        "services.{fmt}?jurisdiction_id=other.gov", fmt)),
    ("service definition", "unknown service_code", 404,
     lambda fmt, s: _get("services/NOPE.{fmt}", fmt)),
    ("requests", "bad query", 400, lambda fmt, s: _get("requests.{fmt}?status=pending", fmt)),
    ("requests", "more than 90 days", 400, lambda fmt, s: _get(
        "requests.{fmt}?start_date=2010-01-01T00:00:00Z&end_date=2010-06-01T00:00:00Z", fmt)),
    ("requests", "NUL in a query", 400,
     lambda fmt, s: _get("requests.{fmt}?service_code=0%0001", fmt)),
    ("post", "no service_code", 400, lambda fmt, s: post_request(fmt, service_code=None)),
    ("post", "a required attribute missing", 400,
     lambda fmt, s: post_request(fmt, **{"attribute[WHISPAWN]": None})),
    ("post", "no location", 400, lambda fmt, s: post_request(fmt, lat=None, long=None)),
    ("post", "an address naming nothing", 400, lambda fmt, s: post_request(
        fmt, lat=None, long=None, address_string="1234 5th street")),
    ("post", "NUL in a field", 400, lambda fmt, s: post_request(fmt, first_name="a\x00")),
    ("post", "invalid api_key", 403, lambda fmt, s: post_request(fmt, api_key="wrong")),
    ("post", "unknown service_code", 404, lambda fmt, s: post_request(fmt, service_code="999")),
    ("post", "a point outside every grid", 400,
     lambda fmt, s: post_request(fmt, lat="10", long="10")),
    ("post", "not a form", 415, lambda fmt, s: Client().post(
        f"{BASE}/requests.{fmt}", "{}", content_type="application/json")),
    ("request by id", "unknown service_request_id", 404,
     lambda fmt, s: _get("requests/0.{fmt}", fmt)),
    ("token", "unknown token", 404, lambda fmt, s: _get("tokens/nope.{fmt}", fmt)),
    ("media", "no such media", 404, lambda fmt, s: Client().get(f"{BASE}/media/0.jpg")),
    ("any", "unknown path", 404, lambda fmt, s: _get("reports.{fmt}", fmt)),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("endpoint", "what", "status", "provoke"), ERRORS,
                         ids=[f"{e}: {w}" for e, w, _s, _p in ERRORS])
def test_every_error_is_the_spec_error_document(city, settings, fmt, endpoint, what, status,
                                                provoke):
    response = provoke(fmt, settings)
    # The media endpoint answers images, so its error is JSON whatever was asked.
    assert is_error_document(response, "json" if endpoint == "media" else fmt, status)
    if endpoint == "post":
        assert not Open311Request.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_throttled_posts_get_the_spec_error_document_with_retry_after(city, settings, fmt):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"open311_write": "1/min"}}
    assert post_request(fmt).status_code == 201
    response = post_request(fmt)
    assert is_error_document(response, fmt, 429)
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_spec_error_example_is_what_a_wrong_key_gets(city, fmt):
    response = post_spec_example(fmt, (SPEC / "post_request.txt").read_text().replace(
        "api_key=xyz", "api_key=wrong"))
    if fmt == "json":
        assert response.status_code == 403 and ours_json(response) == spec_json("errors")
    else:
        xml = ours_xml(response)
        spec = spec_xml("errors")
        assert [(e.findtext("code"), e.findtext("description")) for e in xml] == [
            (e.findtext("code"), e.findtext("description")) for e in spec]
