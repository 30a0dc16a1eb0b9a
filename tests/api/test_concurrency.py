"""Optimistic concurrency (ETag / If-Match) and idempotency keys."""

from __future__ import annotations

import pytest

from tasks_app.models import Photo, Submission, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.api.conftest import png


def test_task_responses_carry_the_version_as_etag(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    response = client_for(world.grid_officer).get(f"/api/v1/tasks/{task.pk}/")
    assert response["ETag"] == f'"{task.version}"'
    assert response.json()["version"] == task.version


def test_the_second_writer_with_the_old_version_gets_412_and_the_first_write_stands(
        world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    url = f"/api/v1/tasks/{task.pk}/assign/"
    read_by_both = client_for(world.supervisor).get(f"/api/v1/tasks/{task.pk}/")["ETag"]
    other_officer = f.OfficerFactory(name="替班网格员")

    first = client_for(world.supervisor).post(url, {"assignee": other_officer.pk},
                                              format="json", HTTP_IF_MATCH=read_by_both)
    assert first.status_code == 200
    second = client_for(world.street_leader).post(url, {"assignee": world.grid_officer.pk},
                                                  format="json", HTTP_IF_MATCH=read_by_both)

    assert second.status_code == 412
    assert second.json()["code"] == "stale_version"
    assert second.json()["version"] == first.json()["version"]
    task.refresh_from_db()
    assert task.assignee == other_officer
    assert task.version == first.json()["version"]
    assert TaskEvent.objects.filter(task=task, kind="reassigned").count() == 1


@pytest.mark.parametrize("if_match", ['"1"', "1", '"0", "1"', "*", 'W/"1"'])
def test_a_current_or_wildcard_if_match_is_accepted(world, client_for, task_in, if_match):
    task = task_in(Status.ASSIGNED)
    assert task.version == 1
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/start/", {}, format="json", HTTP_IF_MATCH=if_match)
    # A weak tag never matches If-Match (strong comparison), anything else names version 1.
    assert response.status_code == (412 if if_match.startswith("W/") else 200)


@pytest.mark.parametrize("if_match", ['"7"', "garbage", '""'])
def test_a_stale_or_unreadable_if_match_changes_nothing(world, client_for, task_in, if_match):
    task = task_in(Status.IN_PROGRESS)
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/submit/", {"photos": [png()]}, format="multipart",
        HTTP_IF_MATCH=if_match)
    assert response.status_code == 412
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert not task.photos.filter(kind=Photo.Kind.AFTER).exists()


def test_a_stale_photo_upload_is_refused(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/photos/", {"image": png()}, format="multipart",
        HTTP_IF_MATCH='"99"')
    assert response.status_code == 412
    assert not task.photos.exists()


def test_the_same_idempotency_key_reports_once(world, client_for):
    lng, lat = world.point_g1
    client = client_for(world.inspector)
    body = {"category": world.category.pk, "lng": lng, "lat": lat}
    first = client.post("/api/v1/tasks/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post("/api/v1/tasks/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 1
    # The key is the user's own: another user with the same key files their own report.
    other = client_for(world.road_chief).post("/api/v1/tasks/", body, format="json",
                                              HTTP_IDEMPOTENCY_KEY="abc-123")
    assert other.json()["id"] != first.json()["id"]


def test_a_retried_action_gets_the_first_result_not_a_409(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer)
    url = f"/api/v1/tasks/{task.pk}/start/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="start-1",
                        HTTP_IF_MATCH='"1"')
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="start-1",
                        HTTP_IF_MATCH='"1"')
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == Status.IN_PROGRESS
    assert TaskEvent.objects.filter(task=task, kind="started").count() == 1
    # Without the key the same call is a real second attempt, and illegal.
    assert client.post(url, {}, format="json").status_code == 409


def test_a_retried_photo_upload_stores_one_photo(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer)
    url = f"/api/v1/tasks/{task.pk}/photos/"
    first = client.post(url, {"image": png()}, format="multipart", HTTP_IDEMPOTENCY_KEY="p-1")
    again = client.post(url, {"image": png()}, format="multipart", HTTP_IDEMPOTENCY_KEY="p-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert task.photos.count() == 1


def test_a_key_reused_for_another_request_is_422(world, client_for, task_in):
    one, two = task_in(Status.ASSIGNED), task_in(Status.ASSIGNED, where="g2")
    client = client_for(world.supervisor)
    assert client.post(f"/api/v1/tasks/{one.pk}/hold/", {"reason": "x"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    other_task = client.post(f"/api/v1/tasks/{two.pk}/hold/", {"reason": "x"}, format="json",
                             HTTP_IDEMPOTENCY_KEY="k")
    other_action = client.post(f"/api/v1/tasks/{one.pk}/resume/", {}, format="json",
                               HTTP_IDEMPOTENCY_KEY="k")
    assert other_task.status_code == other_action.status_code == 422
    assert other_task.json()["code"] == "idempotency_key_reused"
    two.refresh_from_db()
    assert two.status == Status.ASSIGNED


def test_a_failed_request_does_not_burn_its_key(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer)
    url = f"/api/v1/tasks/{task.pk}/start/"
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="s",
                       HTTP_IF_MATCH='"5"').status_code == 412
    assert not Submission.objects.exists()
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="s").status_code == 200


def test_a_malformed_idempotency_key_is_400(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    response = client_for(world.grid_officer).post(
        f"/api/v1/tasks/{task.pk}/start/", {}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 65)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_conflicting_edits_the_second_gets_412_and_the_first_is_intact(world, client_for,
                                                                       task_in):
    task = task_in(Status.ASSIGNED)
    url = f"/api/v1/tasks/{task.pk}/"
    etag = client_for(world.supervisor).get(url)["ETag"]
    first = client_for(world.supervisor).patch(url, {"title": "东门垃圾桶满溢"}, format="json",
                                               HTTP_IF_MATCH=etag)
    second = client_for(world.street_leader).patch(url, {"title": "西门垃圾桶"}, format="json",
                                                   HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    assert second.status_code == 412
    task.refresh_from_db()
    assert task.title == "东门垃圾桶满溢"
    # Reading again and retrying with the new tag works.
    third = client_for(world.street_leader).patch(url, {"title": "西门垃圾桶"}, format="json",
                                                  HTTP_IF_MATCH=f'"{second.json()["version"]}"')
    assert third.status_code == 200


def test_only_supervisors_edit_and_workflow_fields_are_not_editable(world, client_for,
                                                                    task_in):
    task = task_in(Status.ASSIGNED)
    url = f"/api/v1/tasks/{task.pk}/"
    assert client_for(world.grid_officer).patch(url, {"title": "x"},
                                                format="json").status_code == 403
    # The workflow's fields, the plan, the category and the source are not PATCHed: refused.
    for body in ({"status": "closed"}, {"plan": "清运"}, {"source": "patrol"},
                 {"title": "x", "category": 2}):
        response = client_for(world.supervisor).patch(url, body, format="json",
                                                      HTTP_IF_MATCH=f'"{task.version}"')
        assert response.status_code == 400, body
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED and task.plan == "" and task.title != "x"
    assert client_for(world.supervisor).put(url, {"title": "x"}, format="json"
                                            ).status_code == 405
