"""The answer to ``POST /api/v1/tasks/`` is built from the task as written, not read again: it is
the same JSON, byte for byte and field by field, as a GET of the same task, in both languages,
for every kind of report (dispatched to a grid officer or a department's handler, left
unassigned, a repeat with its escalation, fixed on the spot, off any road, with a supervisor's
source, in a campaign, a retry replayed by its Idempotency-Key)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from gridmgmt.models import Region
from tasks_app.api.fields import IdField
from tasks_app.api.serializers import ReportSerializer
from tasks_app.models import Campaign, Category, Task
from tests import factories as f

from .conftest import POINT_G2_OFF_ROAD, png

LANGUAGES = ("zh-hans", "en")


def _post(client, body: dict, language: str, **extra):
    multipart = any(k in body for k in ("photos", "after_photos"))
    return client.post("/api/v1/tasks/", body, format="multipart" if multipart else "json",
                       HTTP_ACCEPT_LANGUAGE=language, **extra)


def _same_as_get(client, response, language: str) -> dict:
    assert response.status_code == 201, response.content
    answer = response.json()
    got = client.get(f"/api/v1/tasks/{answer['id']}/", HTTP_ACCEPT_LANGUAGE=language)
    assert got.status_code == 200
    read = got.json()
    assert list(answer) == list(read)
    for name in read:
        assert answer[name] == read[name], name
    assert response.content == got.content
    assert response["ETag"] == got["ETag"] == f'"{read["version"]}"'
    assert response["Location"].endswith(f"/api/v1/tasks/{read['id']}/")
    return answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_dispatched_report_answers_what_a_get_reads(world, client_for, language):
    client = client_for(world.inspector)
    answer = _same_as_get(client, _post(client, {
        "category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1],
        "title": "垃圾 \"满溢\" <b>&amp;</b>", "description": "第一行\n第二行 \u2028",
        "address": "中山路 1 号"}, language), language)
    assert answer["status"] == "assigned" and answer["assignee"] == world.grid_officer.pk
    assert answer["road_name"] == "中山路" and answer["street_name"] == "东街道"
    assert answer["department_name"] is None or isinstance(answer["department_name"], str)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_report_to_a_departments_handler_answers_what_a_get_reads(world, client_for,
                                                                     language):
    category = f.CategoryFactory(code="HW1", name="环卫", default_department=world.department)
    client = client_for(world.inspector)
    answer = _same_as_get(client, _post(client, {
        "category": category.pk, "lng": POINT_G2_OFF_ROAD[0], "lat": POINT_G2_OFF_ROAD[1]},
        language), language)
    assert answer["assignee"] == world.handler.pk and answer["department_name"] == "环卫所"
    assert answer["road"] is None and answer["road_name"] is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unassigned_report_in_a_campaign_answers_what_a_get_reads(world, client_for,
                                                                      manual_category, language):
    campaign = Campaign.objects.create(name="专项", lead_department=world.department,
                                       starts_on=timezone.localdate(),
                                       deadline=timezone.localdate())
    client = client_for(world.supervisor)
    answer = _same_as_get(client, _post(client, {
        "category": manual_category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1],
        "source": "hotline", "campaign": campaign.pk}, language), language)
    assert answer["status"] == "reported" and answer["assignee"] is None
    assert answer["campaign"] == campaign.pk and answer["deadline"] is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_repeats_with_their_escalation_answer_what_a_get_reads(world, client_for, language):
    client = client_for(world.grid_officer)
    body = {"category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1]}
    answers = [_same_as_get(client, _post(client, body, language), language) for _ in range(3)]
    assert [a["repeat_seq"] for a in answers] == [1, 2, 3]
    assert answers[2]["is_repeat"] and answers[2]["escalation_level"] == 2
    assert answers[2]["needs_plan"] is True


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fix_on_the_spot_answers_what_a_get_reads(world, client_for, language):
    client = client_for(world.grid_officer)
    answer = _same_as_get(client, _post(client, {
        "category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1],
        "fixed_on_spot": "true", "photos": [png()], "after_photos": [png(name="b.png")]},
        language), language)
    assert answer["status"] == "submitted" and answer["fixed_on_spot"] is True


def test_a_retry_with_its_idempotency_key_answers_what_a_get_reads(world, client_for):
    client = client_for(world.inspector)
    body = {"category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1]}
    first = _same_as_get(client, _post(client, body, "zh-hans", HTTP_IDEMPOTENCY_KEY="k-1"),
                         "zh-hans")
    again = _post(client, body, "en", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert _same_as_get(client, again, "en")["id"] == first["id"]
    assert Task.objects.count() == 1


def test_names_renamed_after_the_map_was_cached_are_answered_as_stored(world, client_for):
    client = client_for(world.inspector)
    body = {"category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1]}
    _post(client, body, "zh-hans")  # this process's map index holds the regions as they were
    # Another process renames the community and the street (regions move no map stamp).
    Region.objects.filter(pk=world.community1.pk).update(name="新一社区")
    Region.objects.filter(pk=world.street1.pk).update(name="新东街道")
    world.category.__class__.objects.filter(pk=world.category.pk).update(name="新垃圾")
    answer = _same_as_get(client, _post(client, {**body, "lng": body["lng"] + 0.002},
                                        "zh-hans"), "zh-hans")
    assert (answer["community_name"], answer["street_name"]) == ("新一社区", "新东街道")


def _second_report(world, client_for):
    """An inspector's second report (the first warms the process) and its statements."""
    client = client_for(world.inspector)
    body = {"category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1]}
    _post(client, body, "zh-hans")
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, {**body, "lng": body["lng"] + 0.002}, "zh-hans")
    assert response.status_code == 201
    return response, queries


def test_the_answer_does_not_read_the_task_again(world, client_for):
    response, queries = _second_report(world, client_for)
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and 'FROM "tasks_app_task"' in q["sql"]]
    assert len(reads) == 1, reads  # the repeat lookup only
    assert json.loads(response.content)["id"] == Task.objects.latest("pk").pk


class _WithQuerysetField(ReportSerializer):
    category = IdField(queryset=Category.objects.filter(is_active=True))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_category_read_by_hand_answers_as_the_queryset_field(world, language):
    retired = f.CategoryFactory(code="OLD", name="旧类别", is_active=False)
    base = {"lng": world.point_g1[0], "lat": world.point_g1[1]}
    with translation.override(language):
        for value in (world.category.pk, str(world.category.pk), retired.pk, 10**9, 2**63, 0,
                      -1, 1.5, "1.5", True, None, "", "x", [world.category.pk]):
            body = {**base, "category": value}
            ours, theirs = ReportSerializer(data=body), _WithQuerysetField(data=body)
            assert ours.is_valid() == theirs.is_valid(), value
            assert json.dumps(ours.errors, default=str) == json.dumps(theirs.errors,
                                                                      default=str), value
            if theirs.is_valid():
                got, expected = ours.validated_data["category"], theirs.validated_data["category"]
                assert {f.attname: getattr(got, f.attname) for f in Category._meta.fields} == \
                    {f.attname: getattr(expected, f.attname) for f in Category._meta.fields}


def test_the_token_read_brings_the_reporters_officer_and_duties(world, client_for):
    response, queries = _second_report(world, client_for)
    sql = [q["sql"] for q in queries.captured_queries]
    officers = [s for s in sql if '"gridmgmt_officer" o LEFT JOIN' in s]
    assert len(officers) == 1 and '"authtoken_token"' in officers[0], sql
    assert not any(s.startswith('SELECT "gridmgmt_duty"') for s in sql), sql
    assert response.json()["source"] == "inspector"  # the duties decided the source


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_token_is_refused_as_before(world, client_for, language):
    body = {"category": world.category.pk, "lng": world.point_g1[0], "lat": world.point_g1[1]}
    client = client_for(world.inspector)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    refused = _post(client, body, language)
    listed = client.get("/api/v1/tasks/", HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == listed.status_code == 401
    assert refused.content == listed.content
    assert refused["WWW-Authenticate"] == listed["WWW-Authenticate"] == "Token"

    client = client_for(world.grid_officer)
    world.grid_officer.user.is_active = False
    world.grid_officer.user.save()
    refused = _post(client, body, language)
    listed = client.get("/api/v1/tasks/", HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == listed.status_code == 401
    assert refused.content == listed.content
    assert Task.objects.count() == 0
