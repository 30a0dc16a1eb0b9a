"""The whole lifecycle through the API, and the errors a client can act on."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tasks_app.models import Campaign, Notification, Source, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.api.conftest import png


def test_a_report_is_dispatched_and_followed_to_the_end(world, client_for):
    lng, lat = world.point_g1
    officer = client_for(world.grid_officer)
    created = client_for(world.inspector).post("/api/v1/tasks/", {
        "category": world.category.pk, "lng": lng, "lat": lat, "description": "垃圾桶满溢",
        "source": Source.INSPECTOR}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == Status.ASSIGNED
    assert body["assignee"] == world.grid_officer.pk
    assert body["grid_code"] == "G1" and body["road_name"] == "中山路"
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(f"/api/v1/tasks/{body['id']}/")
    url = f"/api/v1/tasks/{body['id']}/"

    assert officer.post(url + "start/", {}, format="json").json()["status"] == Status.IN_PROGRESS
    submitted = officer.post(url + "submit/", {"note": "已清运", "photos": [png()]},
                             format="multipart")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == Status.SUBMITTED
    closed = client_for(world.inspector).post(url + "verify/", {"approved": True}, format="json")
    assert closed.json()["status"] == Status.CLOSED
    assert closed["ETag"] == f'"{closed.json()["version"]}"'

    events = officer.get(url + "events/").json()
    assert [e["kind"] for e in events] == ["reported", "started", "submitted", "approved"]
    assert events[1]["actor_name"] == "grid1"
    assert [p["kind"] for p in officer.get(url + "photos/").json()] == ["after"]


def test_rework_extension_hold_and_void(world, client_for, task_in):
    supervisor, officer = client_for(world.supervisor), client_for(world.grid_officer)
    task = task_in(Status.SUBMITTED)
    url = f"/api/v1/tasks/{task.pk}/"
    refused = supervisor.post(url + "verify/", {"approved": False}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_input"  # a rework needs a reason
    rework = supervisor.post(url + "verify/", {"approved": False, "note": "未清理干净"},
                             format="json")
    assert rework.json()["status"] == Status.IN_PROGRESS
    assert rework.json()["rework_count"] == 1

    until = (Task.objects.get(pk=task.pk).deadline + timedelta(days=3)).isoformat()
    asked = officer.post(url + "extend/", {"until": until, "reason": "需要设备"}, format="json")
    assert asked.json()["extension_requested_until"] is not None
    decided = supervisor.post(url + "extend/decide/", {"approved": True}, format="json")
    assert decided.json()["extension_count"] == 1
    assert decided.json()["deadline"] is not None

    held = supervisor.post(url + "hold/", {"reason": "等待审批"}, format="json")
    assert held.json()["status"] == Status.ON_HOLD
    resumed = supervisor.post(url + "resume/", {}, format="json")
    assert resumed.json()["status"] == Status.IN_PROGRESS

    report = task_in(Status.REPORTED)
    voided = supervisor.post(f"/api/v1/tasks/{report.pk}/void/", {"reason": "重复"},
                             format="json")
    assert voided.json()["status"] == Status.VOID


def test_an_illegal_transition_is_409_with_the_domain_code_and_message(world, client_for,
                                                                      task_in):
    task = task_in(Status.CLOSED)
    response = client_for(world.supervisor).post(f"/api/v1/tasks/{task.pk}/hold/",
                                                 {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["message"]
    assert TaskEvent.objects.filter(task=task).count() == 4  # nothing written


def test_a_supervisor_assigns_a_waiting_report(world, client_for, task_in):
    task = task_in(Status.REPORTED)
    response = client_for(world.street_leader).post(
        f"/api/v1/tasks/{task.pk}/assign/", {"assignee": world.grid_officer.pk, "note": "请处理"},
        format="json")
    assert response.status_code == 200
    assert response.json()["assignee_name"] == "grid1"
    assert response.json()["deadline"] is not None
    again = client_for(world.supervisor).post(
        f"/api/v1/tasks/{task.pk}/assign/", {"assignee": world.grid_officer.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_invalid_bodies_answer_400_with_field_errors(world, client_for, task_in):
    task = task_in(Status.REPORTED)
    response = client_for(world.supervisor).post(f"/api/v1/tasks/{task.pk}/assign/",
                                                 {"assignee": 999999}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "assignee" in response.json()["errors"]


def test_a_report_outside_every_grid_is_422(world, client_for):
    response = client_for(world.inspector).post("/api/v1/tasks/", {
        "category": world.category.pk, "lng": 100.0, "lat": 20.0}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "outside_area"
    assert not Task.objects.exists()


def test_a_patrol_fix_on_the_spot_arrives_submitted_with_both_photos(world, client_for):
    lng, lat = world.point_g1
    response = client_for(world.grid_officer).post("/api/v1/tasks/", {
        "category": world.category.pk, "lng": lng, "lat": lat, "fixed_on_spot": True,
        "photos": [png()], "after_photos": [png()]}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == Status.SUBMITTED
    assert response.json()["fixed_on_spot"] is True
    assert Task.objects.get().photos.count() == 2


def test_a_reporter_without_duties_sees_their_own_report_only(world, client_for, report):
    citizen_officer = f.OfficerFactory()
    other = report("g1")
    client = client_for(citizen_officer)
    lng, lat = world.point_g1
    mine = client.post("/api/v1/tasks/", {"category": world.category.pk, "lng": lng,
                                          "lat": lat}, format="json").json()
    listed = [t["id"] for t in client.get("/api/v1/tasks/").json()["results"]]
    assert listed == [mine["id"]]
    assert client.get(f"/api/v1/tasks/{other.pk}/").status_code == 404


def test_urging_sends_one_reminder_an_hour(world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.supervisor)
    url = f"/api/v1/tasks/{task.pk}/urge/"
    assert client.post(url, {"note": "请尽快"}, format="json").status_code == 200
    again = client.post(url, {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert Notification.objects.filter(task=task, kind="reminder").count() == 1


def test_joining_a_campaign_checks_its_scope(world, client_for, task_in, manual_category):
    today = timezone.localdate()
    garbage = Campaign.objects.create(name="垃圾治理", lead_department=world.department,
                                      starts_on=today, deadline=today + timedelta(days=9))
    garbage.categories.add(world.category)
    banners = Campaign.objects.create(name="横幅清理", lead_department=world.department,
                                      starts_on=today, deadline=today + timedelta(days=9))
    banners.categories.add(manual_category)
    task = task_in(Status.ASSIGNED)
    client = client_for(world.supervisor)
    url = f"/api/v1/tasks/{task.pk}/campaign/"
    refused = client.post(url, {"campaign": banners.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_input"
    joined = client.post(url, {"campaign": garbage.pk}, format="json")
    assert joined.status_code == 200 and joined.json()["campaign"] == garbage.pk
    # PATCH cannot move a task into a campaign around these checks.
    patched = client.patch(f"/api/v1/tasks/{task.pk}/", {"campaign": banners.pk},
                           format="json", HTTP_IF_MATCH=f'"{joined.json()["version"]}"')
    assert patched.status_code == 400
    task.refresh_from_db()
    assert task.campaign_id == garbage.pk
