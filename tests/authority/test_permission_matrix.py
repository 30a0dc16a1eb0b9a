"""The permission matrix: role × action × scope → allowed, or refused with ``forbidden``.

Three tasks: "own" in G1 (street S1, on road R1) assigned to G1's grid officer; "same street"
in G3 (also S1, off the road) assigned to G3's officer; "other street" in G2 (S2) assigned to
G2's officer. Every (persona, action, scope) is asked three ways, which must agree: the
authority module, the service itself (on a task in the state the action needs), and, for the
actions the phone offers, the phone's task page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from gridmgmt.models import Role
from tasks_app import authority, services
from tasks_app.authority import Action
from tasks_app.errors import DomainError
from tasks_app.models import Campaign, Source, Task
from tasks_app.workflow import Status
from tests import factories as f
from tests.workflow.conftest import START, photo, snapshot

OWN, SAME, OTHER = "own", "same_street", "other_street"
ALL = {OWN, SAME, OTHER}
S1 = {OWN, SAME}
NONE: set[str] = set()

PERSONAS = ["grid_officer", "road_chief", "community_head", "street_leader", "supervisor",
            "handler", "inspector", "bureau_admin", "citizen"]

# Where each persona may take each action. Written out, not derived: this is the rule.
ALLOWED: dict[str, dict[str, set[str]]] = {
    "grid_officer": {Action.START: {OWN}, Action.SUBMIT: {OWN}, Action.EXTEND: {OWN},
                     Action.PHOTO: {OWN}, Action.PLAN: {OWN}},
    "road_chief": {},
    "community_head": {Action.ASSIGN: S1, Action.URGE: S1},
    "street_leader": {a: S1 for a in (
        Action.ASSIGN, Action.DECIDE_EXTENSION, Action.HOLD, Action.RESUME, Action.VOID,
        Action.URGE, Action.CAMPAIGN, Action.EDIT, Action.PLAN, Action.VERIFY, Action.PHOTO)},
    "supervisor": {a: ALL for a in (
        Action.ASSIGN, Action.DECIDE_EXTENSION, Action.HOLD, Action.RESUME, Action.VOID,
        Action.URGE, Action.CAMPAIGN, Action.EDIT, Action.PLAN, Action.VERIFY, Action.PHOTO,
        Action.CORRECT)},
    "handler": {},
    "inspector": {Action.VERIFY: ALL, Action.PHOTO: ALL},
    "bureau_admin": {Action.CORRECT: ALL},
    "citizen": {},
}

# The state each action needs, and the service call that takes it.
STATE = {
    Action.START: "assigned", Action.SUBMIT: "in_progress", Action.EXTEND: "assigned",
    Action.PHOTO: "assigned", Action.PLAN: "assigned", Action.ASSIGN: "reported",
    Action.DECIDE_EXTENSION: "extension", Action.HOLD: "assigned", Action.RESUME: "on_hold",
    Action.VOID: "reported", Action.URGE: "assigned", Action.CAMPAIGN: "assigned",
    Action.EDIT: "assigned", Action.VERIFY: "submitted", Action.CORRECT: "assigned",
}


def _call(action: str, task: Task, actor, w):
    s = services
    return {
        # Tasks reported again and again at one place are repeats at level 2: a plan is due.
        Action.START: lambda: s.task_start(task=task, actor=actor, plan="先清运，再设围挡"),
        Action.SUBMIT: lambda: s.task_submit(task=task, actor=actor, photos=[photo()]),
        Action.EXTEND: lambda: s.task_request_extension(
            task=task, actor=actor, until=task.deadline + timedelta(days=1), reason="雨天"),
        Action.PHOTO: lambda: s.task_add_photo(task=task, actor=actor, image=photo()),
        Action.PLAN: lambda: s.task_set_plan(task=task, actor=actor, plan="先清运，再设围挡"),
        Action.ASSIGN: lambda: s.task_assign(task=task, actor=actor, assignee=w.handler),
        Action.DECIDE_EXTENSION: lambda: s.task_decide_extension(task=task, actor=actor,
                                                                 approved=True),
        Action.HOLD: lambda: s.task_hold(task=task, actor=actor, reason="等待审批"),
        Action.RESUME: lambda: s.task_resume(task=task, actor=actor),
        Action.VOID: lambda: s.task_void(task=task, actor=actor, reason="重复上报"),
        Action.URGE: lambda: s.task_urge(task=task, actor=actor),
        Action.CAMPAIGN: lambda: s.task_join_campaign(task=task, actor=actor,
                                                      campaign=w.campaign),
        Action.EDIT: lambda: s.task_update_details(task=task, actor=actor,
                                                   changes={"title": "更正后的标题"}),
        Action.VERIFY: lambda: s.task_verify(task=task, actor=actor, approved=True),
        Action.CORRECT: lambda: s.task_correct(task=task, actor=actor,
                                               source=Source.THIRD_PARTY, reason="来源登记错误"),
    }[action]


@pytest.fixture
def traveller(db):
    with time_machine.travel(START, tick=False) as t:
        yield t


@pytest.fixture
def matrix(world, traveller):
    w = world
    g3 = f.GridFactory(code="G3", name="三号网格", community=w.community1,
                       boundary=f.square(0, 1))
    w.g3_officer = f.OfficerFactory(user=f.UserFactory(username="grid3"), name="grid3")
    f.DutyFactory(officer=w.g3_officer, role=Role.GRID_OFFICER, grid=g3)
    w.bureau_admin = f.OfficerFactory(user=f.UserFactory(username="bureau"), name="bureau")
    f.DutyFactory(officer=w.bureau_admin, role=Role.BUREAU_ADMIN, region=w.district)
    w.citizen = type("Citizen", (), {"user": f.UserFactory(username="citizen")})()
    today = timezone.localdate()
    w.campaign = Campaign.objects.create(name="市容整治", lead_department=w.department,
                                         starts_on=today, deadline=today + timedelta(days=30))
    w.manual = f.CategoryFactory(code="MANUAL", name="手工派遣", auto_dispatch=False,
                                 time_limit=4)
    w.places = {OWN: (w.point_g1, w.grid_officer), SAME: (f.cell_centre(0, 1), w.g3_officer),
                OTHER: (w.point_g2, w.other_grid_officer)}
    return w


def _task(w, scope: str, state: str) -> Task:
    """A task in ``scope`` driven through the services into ``state``."""
    (lng, lat), assignee = w.places[scope]
    boss = w.supervisor.user
    task = services.task_report(reporter=boss, category=w.manual, lng=lng, lat=lat,
                                source=Source.HOTLINE)
    if state == "reported":
        return task
    task = services.task_assign(task=task, actor=boss, assignee=assignee)
    if state == "assigned":
        return task
    if state == "extension":
        return services.task_request_extension(
            task=task, actor=assignee.user, until=task.deadline + timedelta(days=1),
            reason="等待配件")
    if state == "on_hold":
        return services.task_hold(task=task, actor=boss, reason="等待拆迁")
    task = services.task_start(task=task, actor=assignee.user, plan="先清运，再设围挡")
    if state == "in_progress":
        return task
    return services.task_submit(task=task, actor=assignee.user, photos=[photo()])


def _expected(persona: str, action: str, scope: str) -> bool:
    return scope in ALLOWED[persona].get(action, NONE)


@pytest.mark.parametrize("persona", PERSONAS)
def test_authority_and_services_agree_with_the_matrix(matrix, persona):
    w = matrix
    user = getattr(w, persona).user
    wrong = []
    for action in Action.ALL:
        if action not in STATE:
            continue
        for scope in (OWN, SAME, OTHER):
            task = Task.objects.get(pk=_task(w, scope, STATE[action]).pk)
            expected = _expected(persona, action, scope)
            decision = authority.of(user).can(action, task)
            if decision.allowed != expected or (not expected and decision.code != "forbidden"):
                wrong.append(("authority", action, scope, decision))
            before = snapshot(task)
            try:
                _call(action, task, user, w)()
            except DomainError as exc:
                if expected or exc.code != "forbidden":
                    wrong.append(("service", action, scope, exc.code, exc.message))
                elif snapshot(task) != before:
                    wrong.append(("service wrote on refusal", action, scope))
            else:
                if not expected:
                    wrong.append(("service allowed", action, scope))
    assert wrong == []


def test_superusers_may_do_all_but_the_assignees_work(matrix):
    root = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    task = _task(matrix, OTHER, "assigned")
    auth = authority.of(root)
    assert {a for a in Action.ALL if auth.can(a, task)} == \
        set(Action.ALL) - {Action.START, Action.SUBMIT, Action.EXTEND}


@pytest.mark.parametrize("persona", ["grid_officer", "street_leader", "inspector",
                                     "community_head", "supervisor"])
def test_the_phone_offers_exactly_what_the_matrix_allows(matrix, client, persona):
    """The phone offers start, submit, extend and verify; it shows a button iff allowed."""
    w = matrix
    client.force_login(getattr(w, persona).user)
    phone = {Action.START: "start", Action.SUBMIT: "submit", Action.EXTEND: "extend",
             Action.VERIFY: "verify"}
    for action, name in phone.items():
        for scope in (OWN, SAME, OTHER):
            task = _task(w, scope, STATE[action])
            page = client.get(f"/m/t/{task.pk}/")
            if page.status_code == 404:
                assert not _expected(persona, action, scope)
                continue
            offered = f'action="/m/t/{task.pk}/{name}/"' in page.content.decode()
            assert offered == _expected(persona, action, scope), (action, scope)


def test_a_scored_unit_cannot_correct_its_own_source_anywhere(matrix, client):
    """The street leader may not relabel his street's finds: not through the service, the API,
    nor the API's report (a source he may not claim)."""
    w = matrix
    task = _task(w, OWN, "assigned")
    leader = w.street_leader.user
    with pytest.raises(DomainError) as refused:
        services.task_correct(task=task, actor=leader, source=Source.PATROL, reason="主动发现")
    assert refused.value.code == "forbidden"
    client.force_login(leader)
    url = f"/api/v1/tasks/{task.pk}/"
    version = f'"{task.version}"'
    assert client.patch(url, {"source": "patrol"}, content_type="application/json",
                        HTTP_IF_MATCH=version).status_code == 400
    assert client.post(url + "correct/", {"source": "patrol", "reason": "x"},
                       content_type="application/json",
                       HTTP_IF_MATCH=version).status_code == 403
    # A grid officer's API report is a patrol find; he cannot file it as a third-party one.
    client.force_login(w.grid_officer.user)
    lng, lat = w.point_g1
    body = {"category": w.manual.pk, "lng": lng, "lat": lat, "source": "third_party"}
    assert client.post("/api/v1/tasks/", body, content_type="application/json"
                       ).status_code == 403
    task.refresh_from_db()
    assert task.source == Source.HOTLINE and task.version == int(version.strip('"'))
    # The district supervisor (the bureau level, scored on nothing) may, with a reason.
    services.task_correct(task=task, actor=w.supervisor.user, source=Source.PATROL,
                          reason="登记时选错来源")
    task.refresh_from_db()
    assert task.source == Source.PATROL
    assert task.events.order_by("-pk").first().note == "登记时选错来源"
    assert Status(task.status) == Status.ASSIGNED
