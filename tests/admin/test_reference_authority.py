"""Reference data has an owner: bureau administrators edit places, people, duties, categories,
calendars, schemes, campaigns and Open311 clients; street leaders and district supervisors read
their area's rows and edit nothing; nobody edits the duty, scheme or officer record that decides
their own scope or score; logins, groups, tokens, schedules and lock-outs are the superusers'.

Street leaders and supervisors here hold EVERY permission of every app (a group gone wrong, as
the old 督导组 was): the refusals come from authority, not from the missing permission."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from PIL import Image
from rest_framework.authtoken.models import Token

import config.urls  # noqa: F401  (registers the Open311 admins, as serving the first page would)
from gridmgmt import clock
from gridmgmt.models import CalendarDay, Duty, Grid, Officer, Role, WorkCalendar
from seeds.reference import BUREAU_ADMIN_GROUP, bureau_admin_permissions
from tasks_app import evaluation_services, services
from tasks_app.models import (
    Campaign,
    Escalation,
    EvaluationScheme,
    Notification,
    Open311Client,
    Open311Request,
    ServiceAttribute,
    Submission,
    Task,
)
from tasks_app.patrols import alerts
from tasks_app.patrols import services as patrols
from tests import factories as f


def _url(model: type[Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _with_every_permission(officer):
    user = officer.user
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


def _bureau_admin(world, username: str = "bureau"):
    officer = f.OfficerFactory(user=f.UserFactory(username=username, is_staff=True),
                               name=username)
    f.DutyFactory(officer=officer, role=Role.BUREAU_ADMIN, region=world.district)
    group, _ = Group.objects.get_or_create(name=BUREAU_ADMIN_GROUP)
    group.permissions.set(bureau_admin_permissions())
    officer.user.groups.add(group)
    return officer


@pytest.fixture
def rows(world):
    """At least one row of every registered model, so every change view has one to refuse."""
    tasks = [services.task_report(reporter=world.inspector.user, category=world.category,
                                  lng=lng, lat=lat, source="third_party", photos=[_png()])
             for lng, lat in (world.point_g1, world.point_g2)]
    task = tasks[0]
    Escalation.objects.create(task=task, level=1, reason=Escalation.Reason.MANUAL,
                              crossed_at=task.reported_at)
    Notification.objects.create(kind=Notification.Kind.ESCALATION, task=task, level=1,
                                recipient=world.road_chief, email="roadchief@example.org",
                                created_at=task.reported_at)
    Submission.objects.create(key="k-1", user=world.grid_officer.user, task=task, action="start")
    cal = WorkCalendar.objects.create(name="默认日历", is_default=True)
    cal.periods.create(weekday=0, start="09:00", end="17:00")
    cal.days.create(date="2026-10-01", kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    campaign = Campaign.objects.create(name="专项整治", lead_department=world.department,
                                       starts_on="2026-11-01", deadline="2026-12-01")
    campaign.grids.set([world.grid1])
    EvaluationScheme.objects.create(name="2026", is_active=True)
    client = Open311Client(name="12345 热线")
    client.issue_key()
    client.save()
    Open311Request.objects.create(task=tasks[1], client=client, token="t-1")
    ServiceAttribute.objects.create(category=world.category, code="floor", description="楼层")
    Group.objects.create(name="其他组")
    Token.objects.create(user=world.grid_officer.user)
    every = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="sweep", task="tasks_app.jobs.sweep", interval=every)
    CrontabSchedule.objects.create(minute="0", hour="7")
    SolarSchedule.objects.create(event="sunrise", latitude=30, longitude=120)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    axes = {"user_agent": "ua", "http_accept": "*/*", "path_info": "/admin/login/",
            "username": "someone", "ip_address": "127.0.0.1"}
    AccessAttempt.objects.create(**axes, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**axes)
    AccessFailureLog.objects.create(**axes)
    _evaluation_and_patrol_records(world)
    return tasks


def _evaluation_and_patrol_records(world) -> None:
    """The records only services write (a published month and its frozen rows, the review
    meeting's 点评, decision and follow-up; a patrol and an overdue alert), written through
    those services by the officers who may."""
    bureau = _bureau_admin(world, "publisher").user
    today = timezone.localdate(clock.now())
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    evaluation_services.evaluation_publish(month=last_month, actor=bureau)
    unit = {"month": last_month, "level": "street", "unit_id": world.street1.pk}
    evaluation_services.review_write(actor=bureau, comment="超期问题突出", **unit)
    evaluation_services.decision_add(actor=bureau, kind="praise", reason="巡查主动", **unit)
    evaluation_services.follow_up_add(actor=bureau, requirement="逐件销号",
                                      responsible=world.street_leader,
                                      deadline=today + timedelta(days=7), **unit)
    user = world.road_chief.user
    patrol, _ = patrols.patrol_start(actor=user)
    patrols.patrol_check_in(patrol=patrol, actor=user, lng=120.005, lat=30.00505, accuracy=8,
                            key="k-1")
    patrols.patrol_end(patrol=patrol, actor=user)
    alerts.alert_overdue(now=clock.now() + timedelta(hours=30))  # the road, unpatrolled a day


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buf, "PNG")
    return SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")


def _snapshot() -> dict[str, list[dict]]:
    return {m._meta.label: list(m._base_manager.order_by("pk").values())
            for m in admin.site._registry}


def _form_data(obj: Model) -> dict:
    """The row's own values with every text changed: what a change would post."""
    data = {}
    for name, value in model_to_dict(obj).items():
        if isinstance(value, str):
            data[name] = value + "x"
        elif isinstance(value, list) and all(isinstance(v, Model) for v in value):
            data[name] = [v.pk for v in value]  # many-to-many
        elif isinstance(value, (dict, list)):
            data[name] = json.dumps(value)
        elif value is not None:
            data[name] = str(value)
    return data


def _row_for(model: type[Model], user) -> Model:
    """A row the user may read where there is one (so a change is refused, not "not found")."""
    request = type("R", (), {"user": user})()
    row = admin.site._registry[model].get_queryset(request).order_by("pk").first()
    return row or model._base_manager.order_by("pk").first()


CONSOLE_ROLES = ["street_leader", "supervisor"]


@pytest.mark.parametrize("persona", CONSOLE_ROLES)
def test_every_add_and_change_post_is_refused_and_changes_nothing(client, world, rows, persona):
    user = _with_every_permission(getattr(world, persona))
    client.force_login(user)
    before = _snapshot()
    allowed = []
    for model in admin.site._registry:
        row = _row_for(model, user)
        assert row is not None, f"no {model._meta.label} row to try"
        response = client.post(_url(model, "add"), _form_data(row))
        if response.status_code != 403:
            allowed.append(f"add {model._meta.label}: {response.status_code}")
        if model is Task:
            continue  # the workbench: its actions go through services (below)
        response = client.post(_url(model, "change", row.pk), _form_data(row))
        if response.status_code != 403:
            allowed.append(f"change {model._meta.label}: {response.status_code}")
    assert allowed == []
    assert _snapshot() == before


@pytest.mark.parametrize("persona", CONSOLE_ROLES)
def test_the_task_page_never_relabels_a_tasks_source_or_category(client, world, rows, persona):
    client.force_login(_with_every_permission(getattr(world, persona)))
    task = rows[0]
    other = f.CategoryFactory(code="OTHER", name="其他")
    client.post(_url(Task, "change", task.pk), {**_form_data(task), "source": "patrol",
                                                "category": other.pk})
    task.refresh_from_db()
    assert (task.source, task.category_id) == ("third_party", world.category.pk)


def _api_task_codes(client) -> set[str]:
    body = client.get("/api/v1/tasks/", {"page_size": 200}).json()
    return {t["code"] for t in body["results"]}


def test_the_original_attack_a_street_leader_granting_himself_the_district(client, world, rows):
    leader = world.street_leader
    client.force_login(_with_every_permission(leader))
    seen = _api_task_codes(client)
    assert seen == {rows[0].code}
    duties = Duty.objects.count()
    response = client.post(_url(Duty, "add"), {
        "officer": leader.pk, "role": Role.DISTRICT_SUPERVISOR, "region": world.district.pk,
        "valid_from_0": "2020-01-01", "valid_from_1": "00:00:00"})
    assert response.status_code == 403
    assert Duty.objects.count() == duties
    assert _api_task_codes(client) == seen


def test_workbench_style_changelist_actions_on_reference_data_are_refused(client, world, rows):
    client.force_login(_with_every_permission(world.supervisor))
    cal = WorkCalendar.objects.get()
    days = cal.days.count()
    client.post(_url(WorkCalendar, "changelist"),
                {"action": "fill_holidays", "_selected_action": [cal.pk]})
    assert cal.days.count() == days
    key = Open311Client.objects.get()
    client.post(_url(Open311Client, "changelist"),
                {"action": "issue_new_key", "_selected_action": [key.pk]})
    assert Open311Client.objects.get().key_hash == key.key_hash


# -- a street leader reads his area's rows ------------------------------------------------------

def test_a_street_leaders_changelists_show_only_his_area_with_no_add_button(client, world, rows):
    client.force_login(_with_every_permission(world.street_leader))
    grids = client.get(_url(Grid, "changelist")).content.decode()
    assert world.grid1.code in grids and world.grid2.code not in grids
    assert _url(Grid, "add") not in grids
    duties = client.get(_url(Duty, "changelist")).content.decode()
    assert world.grid_officer.name in duties and world.other_grid_officer.name not in duties
    officers = client.get(_url(Officer, "changelist")).content.decode()
    assert world.other_street_leader.name not in officers
    # Another street's grid does not exist for him.
    assert client.get(_url(Grid, "change", world.grid2.pk)).status_code == 302


def test_a_street_leader_sees_his_grid_read_only(client, world, rows):
    client.force_login(_with_every_permission(world.street_leader))
    response = client.get(_url(Grid, "change", world.grid1.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.grid1.name in body
    assert 'name="code"' not in body and 'name="_save"' not in body


def test_field_officers_have_no_console_even_with_every_permission(client, world, rows):
    client.force_login(_with_every_permission(world.grid_officer))
    assert client.get(_url(Grid, "changelist")).status_code == 403
    assert client.post(_url(Grid, "change", world.grid1.pk),
                       _form_data(world.grid1)).status_code == 403


# -- a bureau administrator edits, but not his own scope or score --------------------------------

def _since() -> dict:
    return {"valid_from_0": "2020-01-01", "valid_from_1": "00:00:00"}


def test_a_bureau_admin_adds_a_grid_and_a_duty_for_someone_else(client, world):
    client.force_login(_bureau_admin(world).user)
    response = client.post(_url(Grid, "add"), {
        "code": "G9", "name": "九号网格", "community": world.community1.pk,
        "boundary": json.dumps(f.square(3, 3))})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Grid.objects.filter(code="G9").exists()
    response = client.post(_url(Duty, "add"), {
        "officer": world.grid_officer.pk, "role": Role.GRID_OFFICER,
        "grid": Grid.objects.get(code="G9").pk, **_since()})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert world.grid_officer.duties.filter(grid__code="G9").exists()


def test_a_bureau_admin_cannot_add_or_change_his_own_duty(client, world):
    me = _bureau_admin(world)
    client.force_login(me.user)
    mine = me.duties.get()
    duties = Duty.objects.count()
    response = client.post(_url(Duty, "add"), {
        "officer": me.pk, "role": Role.DISTRICT_SUPERVISOR, "region": world.district.pk,
        **_since()})
    assert response.status_code == 403
    assert Duty.objects.count() == duties
    response = client.post(_url(Duty, "change", mine.pk), {
        "officer": me.pk, "role": Role.BUREAU_ADMIN, "region": world.district.pk,
        **_since(), "valid_to_0": "2020-06-01", "valid_to_1": "00:00:00"})
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.valid_to is None


def test_a_bureau_admin_cannot_move_someone_elses_duty_onto_himself(client, world):
    me = _bureau_admin(world)
    client.force_login(me.user)
    theirs = world.supervisor.duties.get()
    response = client.post(_url(Duty, "change", theirs.pk), {
        "officer": me.pk, "role": Role.DISTRICT_SUPERVISOR, "region": world.district.pk,
        **_since()})
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.officer == world.supervisor


def test_a_bureau_admin_cannot_change_his_own_officer_record(client, world):
    me = _bureau_admin(world)
    client.force_login(me.user)
    response = client.post(_url(Officer, "change", me.pk), {
        "name": me.name, "email": "me@elsewhere.example", "language": "zh-hans",
        "duties-TOTAL_FORMS": "0", "duties-INITIAL_FORMS": "0"})
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.email != "me@elsewhere.example"
    # Another officer's e-mail is his to keep right.
    other = world.grid_officer
    response = client.post(_url(Officer, "change", other.pk), {
        "name": other.name, "email": "grid1@bureau.example", "language": "zh-hans",
        "duties-TOTAL_FORMS": "0", "duties-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    other.refresh_from_db()
    assert other.email == "grid1@bureau.example"


def _scheme_data(name: str) -> dict:
    fields = {f.name: f.default for f in EvaluationScheme._meta.fields
              if f.name.startswith("w_") or f.name == "base"}
    return {**fields, "name": name}


def test_a_bureau_admin_edits_the_scheme_unless_he_is_scored_himself(client, world):
    me = _bureau_admin(world)
    client.force_login(me.user)
    scheme = EvaluationScheme.objects.create(name="2026", is_active=True)
    response = client.post(_url(EvaluationScheme, "change", scheme.pk),
                           {**_scheme_data("2026 修订"), "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    f.DutyFactory(officer=me, role=Role.STREET_LEADER, region=world.street1)
    response = client.post(_url(EvaluationScheme, "change", scheme.pk),
                           {**_scheme_data("对我有利"), "is_active": "on"})
    assert response.status_code == 403
    assert client.post(_url(EvaluationScheme, "add"), _scheme_data("新")).status_code == 403
    assert list(EvaluationScheme.objects.values_list("name", flat=True)) == ["2026 修订"]


def test_duties_are_ended_never_deleted_but_calendar_days_may_go(client, world, rows):
    client.force_login(_bureau_admin(world).user)
    duty = world.grid_officer.duties.get()
    assert client.post(_url(Duty, "delete", duty.pk), {"post": "yes"}).status_code == 403
    assert Duty.objects.filter(pk=duty.pk).exists()
    day = CalendarDay.objects.get()
    assert client.post(_url(CalendarDay, "delete", day.pk), {"post": "yes"}).status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()


def test_a_bureau_admin_gives_a_new_officer_a_login_but_no_console(client, world):
    client.force_login(_bureau_admin(world).user)
    response = client.post(_url(Officer, "add"), {
        "name": "新网格员", "username": "grid_new", "password": "Long-enough-pass-42",
        "phone": "", "email": "new@example.org", "language": "zh-hans", "department": "",
        "duties-TOTAL_FORMS": "1", "duties-INITIAL_FORMS": "0",
        "duties-0-role": Role.GRID_OFFICER, "duties-0-grid": world.grid2.pk,
        "duties-0-valid_from_0": "2020-01-01", "duties-0-valid_from_1": "00:00:00"})
    assert response.status_code == 302, response.content.decode()[:3000]
    officer = Officer.objects.get(user__username="grid_new")
    assert officer.user.check_password("Long-enough-pass-42")
    assert not officer.user.is_staff and not officer.user.is_superuser
    assert officer.duties.get().grid == world.grid2
    # The logins themselves stay the superusers'.
    from django.contrib.auth import get_user_model

    assert client.get(_url(get_user_model(), "changelist")).status_code == 403


def test_a_bureau_admin_cannot_take_a_taken_username(client, world):
    client.force_login(_bureau_admin(world).user)
    officers = Officer.objects.count()
    response = client.post(_url(Officer, "add"), {
        "name": "冒名", "username": world.supervisor.user.username,
        "password": "Long-enough-pass-42", "language": "zh-hans",
        "duties-TOTAL_FORMS": "0", "duties-INITIAL_FORMS": "0"})
    assert response.status_code == 200  # the form again, with the error
    assert Officer.objects.count() == officers

