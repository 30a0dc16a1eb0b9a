"""Shared by the Open311 tests: the specification's example documents and how to compare ours
with them, the place the spec's example request is filed in (``city``), and public tasks in
known states filed as an Open311 client files them (``public_task``)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.test import Client

from gridmgmt.models import Region, Role
from tasks_app import services
from tasks_app.models import Category, Open311Client, ServiceAttribute, Source
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import POINT_G2_OFF_ROAD, png

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


def is_error_document(response, fmt: str, status: int) -> bool:
    """The spec's error document with ``status`` as its code, in ``fmt``."""
    assert response.status_code == status, response.content
    if fmt == "xml":
        xml = ours_xml(response)
        return xml_paths(xml) == xml_paths(spec_xml("errors")) and all(
            e.findtext("code") == str(status) and e.findtext("description") for e in xml)
    doc = ours_json(response)
    return json_paths(doc) == json_paths(spec_json("errors")) and all(
        e["code"] == status and isinstance(e["description"], str) and e["description"]
        for e in doc)


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


def post_request(fmt: str = "json", **fields):
    """A valid request for service 001 at the spec's point, with ``fields`` changed (None
    leaves a field out)."""
    body = {"api_key": "xyz", "service_code": "001", "lat": str(SF_POINT[1]),
            "long": str(SF_POINT[0]), "attribute[WHISPAWN]": "1", **fields}
    return Client().post(f"{BASE}/requests.{fmt}", {k: v for k, v in body.items()
                                                     if v is not None})


# -- public tasks in known states -------------------------------------------------------------

VOID_REASON = "与20261101000001重复, 张三 13800000000 已处理"
PLAN = "明早由李四 13900000000 带车清运"  # an officer's note on starting


@pytest.fixture
def public_task(world, manual_category):
    """``public_task(status, where="g1", source=citizen)`` → a task reported with no reporter, as
    an Open311 client reports one, driven into ``status`` through the services; a void one was
    voided with VOID_REASON, a started one started with the note PLAN."""
    root = f.UserFactory(username="root311", is_superuser=True, is_staff=True)

    def make(state: str, where: str = "g1", source: str = Source.CITIZEN):
        lng, lat = {"g1": world.point_g1, "g2": POINT_G2_OFF_ROAD}[where]
        manual = state in (Status.REPORTED, Status.VOID)
        task = services.task_report(reporter=None, category=manual_category if manual
                                    else world.category, lng=lng, lat=lat, source=source,
                                    description="垃圾桶满了")
        if state == Status.VOID:
            return services.task_void(task=task, actor=root, reason=VOID_REASON)
        if state in (Status.IN_PROGRESS, Status.SUBMITTED, Status.CLOSED):
            task = services.task_start(task=task, actor=task.assignee.user, note=PLAN)
        if state in (Status.SUBMITTED, Status.CLOSED):
            task = services.task_submit(task=task, actor=task.assignee.user, photos=[png()],
                                        note="已清运")
        if state == Status.CLOSED:
            task = services.task_verify(task=task, actor=root, approved=True, note="核查通过")
        return task

    return make
