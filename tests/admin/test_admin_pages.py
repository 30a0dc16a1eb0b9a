"""The admin: every model is there and its pages render; the workflow's fields and the records
(events, photos, escalations) cannot be edited through it; staff see only their scope."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from gridmgmt.models import CalendarDay, WorkCalendar
from tasks_app import services
from tasks_app.models import (
    Escalation,
    EvaluationScheme,
    Notification,
    Submission,
    Task,
    TaskEvent,
)
from tasks_app.workflow import Status

MODELS = [m for label in ("gridmgmt", "tasks_app") for m in apps.get_app_config(label).get_models()]
EN = {"headers": {"accept-language": "en"}}


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _png(name: str = "p.png", size: tuple[int, int] = (4, 3)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def task(world):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat, title="垃圾桶满溢", address="中山路 12 号",
                                photos=[_png()])
    return services.task_start(task=task, actor=world.grid_officer.user, note="已到现场处理")


@pytest.fixture
def records(world, task):
    """One row of each record kind, so their change pages render something."""
    Escalation.objects.create(task=task, level=1, reason=Escalation.Reason.MANUAL,
                              crossed_at=task.reported_at)
    Notification.objects.create(kind=Notification.Kind.ESCALATION, task=task, level=1,
                                recipient=world.road_chief, email="roadchief@example.org",
                                created_at=task.reported_at)
    Submission.objects.create(key="k-1", user=world.grid_officer.user, task=task,
                              action="start")


@pytest.fixture
def calendar(db):
    cal = WorkCalendar.objects.create(name="默认日历", is_default=True)
    cal.periods.create(weekday=0, start="09:00", end="17:00")
    cal.days.create(date="2026-10-01", kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    return cal


def test_every_model_of_both_apps_is_registered():
    missing = [m._meta.label for m in MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_add_and_change_pages_render(admin_client, records, calendar, model):
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    add = admin_client.get(_url(model, "add"))
    model_admin = admin.site.get_model_admin(model)
    request = add.wsgi_request
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)
    obj = model.objects.first()
    if obj is not None:
        assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_task_list_search_finds_by_code_and_address(admin_client, task):
    url = _url(Task, "changelist")
    assert task.code in admin_client.get(url, {"q": task.code}).content.decode()
    assert task.code in admin_client.get(url, {"q": "中山路"}).content.decode()
    assert task.code not in admin_client.get(url, {"q": "no-such-task"}).content.decode()


@pytest.mark.parametrize(("params", "listed"), [
    ({"status__exact": Status.IN_PROGRESS}, True),
    ({"status__exact": Status.CLOSED}, False),
    ({"light__exact": "green"}, True),
    ({"repeat": "yes"}, False),
    ({"repeat": "no"}, True),
])
def test_task_list_filters(admin_client, task, params, listed):
    body = admin_client.get(_url(Task, "changelist"), params).content.decode()
    assert (task.code in body) is listed


def test_task_list_filters_by_street(admin_client, world, task):
    url = _url(Task, "changelist")
    assert task.code in admin_client.get(url, {"street": world.street1.pk}).content.decode()
    assert task.code not in admin_client.get(url, {"street": world.street2.pk}).content.decode()


def test_task_list_queries_do_not_grow_with_rows(admin_client, world, task):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(_url(Task, "changelist")).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    lng, lat = world.point_g2
    for i in range(5):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng + i * 0.0005, lat=lat)
    assert queries() == before


def test_task_change_page_shows_the_timeline_and_photos_without_links(admin_client, task):
    body = admin_client.get(_url(Task, "change", task.pk), **EN).content.decode()
    assert "已到现场处理" in body  # the start event's note
    assert "Reported" in body and "In progress" in body
    assert reverse("mobile:photo", args=[task.photos.get().pk]) in body  # the before photo
    assert "/media/" not in body


def test_the_task_page_is_no_form_a_post_to_it_changes_nothing(admin_client, world, task):
    # Details, plan, category and source change only through the workbench's actions
    # (tests/console/test_workbench.py), each through its service.
    url = _url(Task, "change", task.pk)
    before = Task.objects.filter(pk=task.pk).values().get()
    response = admin_client.post(url, {
        "title": "垃圾桶满溢（复查）", "source": "citizen", "description": "", "plan": "每日清运",
        "campaign": "", "address": "中山路 14 号", "status": Status.CLOSED,
        "assignee": world.handler.pk, "escalation_level": "3"})
    assert response.status_code == 405
    assert Task.objects.filter(pk=task.pk).values().get() == before
    assert task.events.count() == 2


def test_task_events_cannot_be_added_changed_or_deleted(admin_client, task):
    event = task.events.first()
    assert admin_client.get(_url(TaskEvent, "add")).status_code == 403
    assert admin_client.post(_url(TaskEvent, "change", event.pk), {"note": "x"}).status_code == 403
    assert admin_client.post(_url(TaskEvent, "delete", event.pk), {"post": "yes"}).status_code \
        == 403
    event.refresh_from_db()
    assert event.note == ""
    body = admin_client.get(_url(TaskEvent, "changelist")).content.decode()
    assert "delete_selected" not in body


def test_tasks_cannot_be_added_or_deleted_through_the_admin(admin_client, task):
    assert admin_client.get(_url(Task, "add")).status_code == 403
    assert admin_client.post(_url(Task, "delete", task.pk), {"post": "yes"}).status_code == 403
    assert Task.objects.filter(pk=task.pk).exists()


def test_the_calendar_action_fills_chinas_holidays(admin_client, calendar):
    response = admin_client.post(_url(WorkCalendar, "changelist"), {
        "action": "fill_holidays", "_selected_action": [calendar.pk]})
    assert response.status_code == 302
    years = {d.year for d in calendar.days.values_list("date", flat=True)}
    assert len(years) >= 2
    assert calendar.days.filter(kind=CalendarDay.Kind.WORKDAY).exists()
    # The entry an admin made is kept as it was.
    assert calendar.days.get(date="2026-10-01").name == "国庆节"


def _staff(officer, *perms: str):
    user = officer.user
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    return user


def test_staff_see_only_the_tasks_of_their_street(client, world, task):
    _staff(world.other_street_leader, "view_task", "change_task")
    client.force_login(world.other_street_leader.user)
    assert task.code not in client.get(_url(Task, "changelist")).content.decode()
    assert client.get(_url(Task, "change", task.pk)).status_code == 404  # does not exist

    _staff(world.street_leader, "view_task", "change_task")
    client.force_login(world.street_leader.user)
    assert task.code in client.get(_url(Task, "changelist")).content.decode()
    assert client.get(_url(Task, "change", task.pk)).status_code == 200


def test_staff_without_a_supervising_duty_have_no_task_workbench(client, world, task):
    _staff(world.grid_officer, "view_task", "change_task")
    client.force_login(world.grid_officer.user)
    url = _url(Task, "change", task.pk)
    assert client.get(url).status_code == 403  # the phone is theirs, not the console
    assert client.post(url, {"title": "x"}).status_code == 405


def test_a_second_active_evaluation_scheme_is_a_form_error(admin_client, db):
    EvaluationScheme.objects.create(name="2026", is_active=True)
    fields = {f.name: f.default for f in EvaluationScheme._meta.fields
              if f.name.startswith("w_") or f.name == "base"}
    response = admin_client.post(_url(EvaluationScheme, "add"),
                                 {**fields, "name": "2027", "is_active": "on"})
    assert response.status_code == 200  # the form again, with the error
    assert not EvaluationScheme.objects.filter(name="2027").exists()
