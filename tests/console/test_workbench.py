"""The task workbench (/admin/tasks_app/task/<id>/change/): each action through the page's own
POST, as a district supervisor, writes its one event; a stale page is refused with nothing
written; the panel offers exactly what authority says is available now; the raw change form
writes nothing; a scored unit cannot relabel a task's source."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gridmgmt import clock
from tasks_app import authority, services
from tasks_app.console.workbench import PANEL_ORDER, STEPS
from tasks_app.models import Campaign, Source, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import g1_point, g2_point, photo, report, staff, submit

Kind = TaskEvent.Kind
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page_url(task: Task) -> str:
    return reverse("admin:tasks_app_task_change", args=[task.pk])


def act(client, task: Task, name: str, version: int | None = None, **data):
    task.refresh_from_db()
    body = {"version": task.version if version is None else version, **data}
    return client.post(reverse("console:task-act", args=[task.pk, name]), body, **EN)


def snapshot(task: Task) -> tuple[dict, int]:
    """The task's row as stored and how many events it has."""
    return Task.objects.filter(pk=task.pk).values().get(), TaskEvent.objects.filter(
        task=task).count()


def panel(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z-]+)"', html))


def shown_actions(user, task: Task) -> set[str]:
    available = authority.of(user).available(task)
    return {name for name in PANEL_ORDER if STEPS[name].action in available}


# -- the tasks each action starts from ------------------------------------------------------

@pytest.fixture
def manual(world):
    """A category nobody is dispatched to automatically, its department the world's 环卫所."""
    return f.CategoryFactory(code="AD", name="乱贴广告", time_limit=4, auto_dispatch=False,
                             default_department=world.department)


@pytest.fixture
def campaign(world):
    today = clock.now().date()
    c = Campaign.objects.create(name="垃圾满溢专项整治", lead_department=world.department,
                                starts_on=today - timedelta(days=3),
                                deadline=today + timedelta(days=27))
    c.categories.set([world.category])
    return c


def reported(world, manual, i: int = 0) -> Task:
    return report(world, g1_point(i), category=manual)


def assigned(world, i: int = 0) -> Task:
    task = report(world, g1_point(i))
    assert task.status == Status.ASSIGNED and task.assignee == world.grid_officer
    return task


def submitted(world, i: int = 0) -> Task:
    return submit(assigned(world, i), world.grid_officer)


def asking_more_time(world, i: int = 0) -> Task:
    task = assigned(world, i)
    return services.task_request_extension(
        task=task, actor=world.grid_officer.user, until=task.deadline + timedelta(days=2),
        reason="需要等待环卫车辆")


def on_hold(world, i: int = 0) -> Task:
    return services.task_hold(task=assigned(world, i), actor=world.supervisor.user,
                              reason="等待施工")


# name → (how the task starts, what the form sends, the event written, the status after)
CASES = {
    "dispatch": (reported, lambda w: {"assignee": w.grid_officer.pk}, Kind.ASSIGNED,
                 Status.ASSIGNED),
    "approve": (submitted, lambda w: {}, Kind.APPROVED, Status.CLOSED),
    "send-back": (submitted, lambda w: {"note": "照片看不清"}, Kind.REWORK,
                  Status.IN_PROGRESS),
    "extension-approve": (asking_more_time, lambda w: {}, Kind.EXTENSION_APPROVED,
                          Status.ASSIGNED),
    "extension-refuse": (asking_more_time, lambda w: {"note": "时限足够"},
                         Kind.EXTENSION_REFUSED, Status.ASSIGNED),
    "hold": (assigned, lambda w: {"note": "等待施工"}, Kind.HELD, Status.ON_HOLD),
    "resume": (on_hold, lambda w: {}, Kind.RESUMED, Status.ASSIGNED),
    "void": (reported, lambda w: {"note": "重复登记"}, Kind.VOIDED, Status.VOID),
    "urge": (assigned, lambda w: {}, Kind.URGED, Status.ASSIGNED),
    "plan": (assigned, lambda w: {"plan": "今日 18:00 前清运完毕"}, Kind.PLANNED,
             Status.ASSIGNED),
    "require-plan": (assigned, lambda w: {"note": "先报方案"}, Kind.UPDATED, Status.ASSIGNED),
    "campaign": (assigned, lambda w: {"campaign": Campaign.objects.get().pk}, Kind.UPDATED,
                 Status.ASSIGNED),
    "details": (assigned, lambda w: {"title": "垃圾桶满溢（复查）", "description": "东侧",
                                     "address": "中山路 14 号"}, Kind.UPDATED, Status.ASSIGNED),
    "correct": (assigned, lambda w: {"source": Source.CITIZEN, "note": "实为群众投诉"},
                Kind.CORRECTED, Status.ASSIGNED),
}


def start(name: str, world, manual) -> Task:
    make = CASES[name][0]
    return make(world, manual) if make is reported else make(world)


@pytest.mark.parametrize("name", list(CASES))
def test_it_takes_each_action_through_its_service_with_one_event(
        name, supervisor_client, world, manual, campaign):
    task = start(name, world, manual)
    assert name in panel(supervisor_client.get(page_url(task)).content.decode())
    version = Task.objects.get(pk=task.pk).version
    _, data, kind, status = CASES[name]

    response = act(supervisor_client, task, name, **data(world))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == page_url(task)
    task.refresh_from_db()
    assert task.version == version + 1
    assert task.status == status
    event = task.events.latest("pk")
    assert (event.kind, event.actor_id) == (kind, world.supervisor.user_id)


@pytest.mark.parametrize("name", list(CASES))
def test_it_refuses_a_stale_page_and_writes_nothing(
        name, supervisor_client, world, manual, campaign):
    task = start(name, world, manual)
    read_at = Task.objects.get(pk=task.pk).version  # the page is read …
    services.task_update_details(task=task, actor=world.street_leader.user,  # … then changed
                                 changes={"address": "中山路 16 号"})
    before = snapshot(task)

    response = act(supervisor_client, task, name, version=read_at, **CASES[name][1](world))

    assert response.status_code == 409
    assert "Someone else changed this task" in response.content.decode()
    assert snapshot(task) == before


def test_it_dispatches_from_the_suggestions_with_their_load(supervisor_client, world, manual):
    # On the road and in grid G1: grid officer, road chief and the category's handlers.
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=manual, lng=lng,
                                lat=lat)
    assigned(world, 3)  # the grid officer carries one open task already
    html = supervisor_client.get(page_url(task), **EN).content.decode()
    suggested = html.split('data-group="suggested"')[1].split("</fieldset>")[0]
    others = html.split('data-group="others"')[1].split("</fieldset>")[0]
    for officer in (world.grid_officer, world.road_chief, world.handler):
        assert f'value="{officer.pk}"' in suggested
    assert re.search(r"grid1</span>.*?1 open", suggested, re.S)
    assert f'value="{world.other_grid_officer.pk}"' in others  # the district's other grid
    assert f'value="{world.supervisor.pk}"' not in html  # not a field officer

    response = act(supervisor_client, task, "dispatch", assignee=world.road_chief.pk)
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.assignee) == (Status.ASSIGNED, world.road_chief)


def test_a_street_leader_chooses_only_among_his_areas_officers(street_leader_client, world,
                                                                manual):
    task = reported(world, manual)
    html = street_leader_client.get(page_url(task)).content.decode()
    assert f'value="{world.other_grid_officer.pk}"' not in html  # the other street's grid
    before = snapshot(task)
    response = act(street_leader_client, task, "dispatch", assignee=world.other_grid_officer.pk)
    assert response.status_code == 400
    assert snapshot(task) == before


def test_it_reassigns_an_assigned_task_naming_the_previous_assignee(supervisor_client, world):
    task = assigned(world)
    assert ">Reassign<" in supervisor_client.get(page_url(task), **EN).content.decode()
    response = act(supervisor_client, task, "dispatch", assignee=world.handler.pk, note="转环卫")
    assert response.status_code == 302
    event = Task.objects.get(pk=task.pk).events.latest("pk")
    assert event.kind == Kind.REASSIGNED
    assert event.extra == {"assignee": world.handler.pk, "previous": world.grid_officer.pk,
                           "department": world.department.pk}


@pytest.mark.parametrize("name", ["send-back", "extension-refuse", "hold", "void", "correct"])
def test_an_action_that_needs_a_reason_is_refused_without_one(
        name, supervisor_client, world, manual):
    task = start(name, world, manual)
    before = snapshot(task)
    data = {k: v for k, v in CASES[name][1](world).items() if k != "note"}
    response = act(supervisor_client, task, name, note="  ", **data)
    assert response.status_code == 400
    assert "A reason is required" in response.content.decode()
    assert snapshot(task) == before


def test_the_extension_panel_shows_the_requested_date_and_the_reason(supervisor_client, world):
    task = asking_more_time(world)
    html = supervisor_client.get(page_url(task), **EN).content.decode()
    assert {"extension-approve", "extension-refuse"} <= panel(html)
    assert "需要等待环卫车辆" in html
    until = timezone.localtime(task.extension_requested_until)
    assert f"{until:%Y-%m-%d %H:%M}" in html


def test_only_campaigns_that_cover_the_task_are_offered(supervisor_client, world, campaign):
    other = Campaign.objects.create(name="违章停车整治", lead_department=world.department,
                                    starts_on=campaign.starts_on, deadline=campaign.deadline)
    other.categories.set([f.CategoryFactory(code="PARK", name="乱停车")])
    task = assigned(world)
    html = supervisor_client.get(page_url(task)).content.decode()
    assert campaign.name in html and other.name not in html
    response = act(supervisor_client, task, "campaign", campaign=other.pk)
    assert response.status_code == 400
    assert Task.objects.get(pk=task.pk).campaign is None


# -- who sees what --------------------------------------------------------------------------

def test_a_street_leader_sees_exactly_what_he_may_do_on_his_streets_task(
        street_leader_client, world):
    task = assigned(world)
    shown = panel(street_leader_client.get(page_url(task)).content.decode())
    assert shown == shown_actions(world.street_leader.user, task)
    assert {"dispatch", "hold", "urge", "plan", "details"} <= shown
    assert "correct" not in shown  # his street is scored on it
    assert not {"approve", "resume", "void"} & shown  # not what an assigned task needs


def test_a_district_supervisor_sees_exactly_what_he_may_do(supervisor_client, world):
    task = submitted(world)
    shown = panel(supervisor_client.get(page_url(task)).content.decode())
    assert shown == shown_actions(world.supervisor.user, task)
    assert {"approve", "send-back", "correct"} <= shown
    assert not {"dispatch", "hold", "urge"} & shown


def test_another_streets_task_does_not_exist_for_a_street_leader(street_leader_client, world):
    task = report(world, g2_point(0))
    assert street_leader_client.get(page_url(task)).status_code == 404
    before = snapshot(task)
    assert act(street_leader_client, task, "hold", note="x").status_code == 404
    assert snapshot(task) == before


def test_the_console_is_not_a_grid_officers(client, world):
    task = assigned(world)
    client.force_login(staff(world.grid_officer))
    assert client.get(page_url(task)).status_code == 403
    before = snapshot(task)
    assert act(client, task, "plan", plan="自己写的方案").status_code == 403
    assert snapshot(task) == before


def test_posting_the_raw_change_form_changes_nothing(supervisor_client, world):
    task = assigned(world)
    before = snapshot(task)
    response = supervisor_client.post(page_url(task), {
        "title": "改了", "source": Source.PATROL, "plan": "x", "status": Status.CLOSED,
        "assignee": world.handler.pk, "_save": "Save"})
    assert response.status_code == 405
    assert snapshot(task) == before


@pytest.mark.parametrize("persona", ["street_leader", "inspector"])
def test_a_scored_unit_or_an_inspector_cannot_relabel_the_source(client, world, persona):
    task = report(world, g1_point(0), source=Source.THIRD_PARTY)
    client.force_login(staff(getattr(world, persona)))
    before = snapshot(task)
    response = act(client, task, "correct", source=Source.PATROL, note="其实是我们发现的")
    assert response.status_code == 403
    assert snapshot(task) == before
    assert Task.objects.get(pk=task.pk).source == Source.THIRD_PARTY


def test_the_header_shows_the_assignee_the_place_and_the_clock(supervisor_client, world):
    world.grid_officer.phone = "13800000001"
    world.grid_officer.save()
    task = services.task_set_plan(task=assigned(world), actor=world.supervisor.user,
                                  plan="每日两次清运")
    html = supervisor_client.get(page_url(task), **EN).content.decode()
    for text in ("13800000001", "grid1", "一号网格", "一社区", "东街道", "每日两次清运",
                 "of working time left", world.category.name, task.code):
        assert text in html, text
    assert 'name="title"' not in html.split('class="wb-panel"')[0]  # no field outside the panel


def test_photos_before_and_after_sit_side_by_side_through_the_scoped_view(supervisor_client,
                                                                           world):
    task = report(world, g1_point(0), photos=[photo("before.jpg")])
    task = submit(task, world.grid_officer)
    html = supervisor_client.get(page_url(task)).content.decode()
    pair = html.split('class="wb-pair"')[1].split("</section>")[0]
    urls = [reverse("mobile:photo", args=[p.pk]) for p in task.photos.order_by("pk")]
    assert all(f'<img src="{u}"' in pair for u in urls)
    assert "/media/" not in html


def test_bulk_reassign_lists_the_field_officers_of_the_actors_area_with_their_load(
        street_leader_client, world):
    task = assigned(world)
    page = street_leader_client.post(reverse("admin:tasks_app_task_changelist"), {
        "action": "reassign", "_selected_action": [task.pk]}, **EN)
    assert page.status_code == 200
    field = page.context["form"].fields["assignee"]
    labels = {o.name: field.label_from_instance(o) for o in field.queryset}
    # His street's grid officer (with the task he carries) and the district's handlers; not
    # the other street's grid officer, nor anyone who is not a field officer.
    assert labels["grid1"] == "grid1 · 1 open"
    assert "handler" in labels and "grid2" not in labels and "streetlead" not in labels
    response = street_leader_client.post(reverse("admin:tasks_app_task_changelist"), {
        "action": "reassign", "_selected_action": [task.pk], "apply": "1",
        "assignee": world.other_grid_officer.pk}, **EN)
    assert response.status_code == 200 and response.context["form"].errors
    assert Task.objects.get(pk=task.pk).assignee == world.grid_officer


def test_the_plan_shows_who_wrote_it_and_when_and_a_required_one_is_asked_for(
        supervisor_client, world):
    task = assigned(world)
    act(supervisor_client, task, "require-plan", note="先报方案")
    task.refresh_from_db()
    assert task.plan_required and task.needs_plan
    html = supervisor_client.get(page_url(task)).content.decode()
    assert "开始处置前须填写整改方案。" in html
    act(supervisor_client, task, "plan", plan="今日 18:00 前清运完毕")
    task.refresh_from_db()
    html = supervisor_client.get(page_url(task)).content.decode()
    assert "今日 18:00 前清运完毕" in html
    assert f"{world.supervisor.name} 填写于" in html
    assert task.plan_by_id == world.supervisor.user_id and task.plan_at is not None
