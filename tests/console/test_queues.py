"""The supervisors' queues (待派遣, 待核查, 延期申请, 挂账, 督办, 返工): who sees which tasks in
each, the counts on the dashboard and in the navigation, the order of urgency, and the bulk actions
offered on them (urge and dispatch through the services; no bulk verify, no bulk approval)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt import clock
from tasks_app import services
from tasks_app.console import queues
from tasks_app.models import Category, Notification, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import g1_point, g2_point, report, staff, submit

CHANGELIST = reverse("admin:tasks_app_task_changelist")
INDEX = "/admin/"
KEYS = [q.key for q in queues.QUEUES]


def _queued(world, point, officer) -> dict[str, Task]:
    """One task in each queue at the points ``point(0..)``, worked by ``officer``."""
    manual = Category.objects.get_or_create(code="MANUAL", defaults={
        "name": "待立案", "kind": "event", "time_limit": 4, "auto_dispatch": False})[0]
    sup = world.supervisor.user
    dispatch = report(world, point(0), category=manual)
    verify = submit(report(world, point(1)), officer)
    extension = report(world, point(2))
    extension = services.task_request_extension(
        task=extension, actor=officer.user, until=extension.deadline + timedelta(days=2),
        reason="需要吊车")
    hold = services.task_hold(task=report(world, point(3)), actor=sup, reason="等待拆迁")
    supervised = report(world, point(4))
    # As the sweep leaves a task three limits past its deadline.
    Task.objects.filter(pk=supervised.pk).update(escalation_level=3, supervised=True)
    rework = submit(report(world, point(5)), officer)
    rework = services.task_verify(task=rework, actor=world.inspector.user, approved=False,
                                  note="没扫干净")
    report(world, point(6))  # assigned, waiting for nobody's decision: in no queue
    return {"dispatch": dispatch, "verify": verify, "extension": extension, "hold": hold,
            "supervised": supervised, "rework": rework}


@pytest.fixture
def scene(world):
    return {"s1": _queued(world, g1_point, world.grid_officer),
            "s2": _queued(world, g2_point, world.other_grid_officer)}


def _listed(client, key: str) -> list[int]:
    response = client.get(CHANGELIST, {"queue": key})
    assert response.status_code == 200
    return [t.pk for t in response.context["cl"].result_list]


def _nav_counts(body: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(
        r'class="queue-link[^"]*" data-queue="(\w+)"[^>]*>[^<]*<b class="queue-count">(\d+)</b>',
        body)}


def test_each_queue_lists_its_tasks_for_a_district_supervisor(supervisor_client, scene):
    for key in KEYS:
        assert sorted(_listed(supervisor_client, key)) == sorted(
            [scene["s1"][key].pk, scene["s2"][key].pk]), key


def test_a_street_leader_sees_only_the_queues_of_their_street(street_leader_client, scene):
    for key in KEYS:
        assert _listed(street_leader_client, key) == [scene["s1"][key].pk], key


@pytest.mark.parametrize(("who", "each"), [("supervisor", 2), ("street_leader", 1)])
def test_the_dashboard_and_the_navigation_count_each_queue(client, world, scene, who, each):
    client.force_login(staff(getattr(world, who)))
    response = client.get(INDEX)
    dashboard = response.context["dashboard"]
    assert {q.key: q.value for q in dashboard.queues} == dict.fromkeys(KEYS, each)
    assert _nav_counts(response.content.decode()) == dict.fromkeys(KEYS, each)
    # Each count links to the list that holds as many tasks; the nav says the same elsewhere.
    for q in dashboard.queues:
        assert client.get(q.url).context["cl"].result_count == q.value
    assert _nav_counts(client.get(reverse("console:map")).content.decode()) \
        == dict.fromkeys(KEYS, each)


def test_a_task_leaves_its_queue_when_it_is_decided(supervisor_client, world, scene):
    task = scene["s1"]["hold"]
    services.task_resume(task=task, actor=world.supervisor.user)
    assert task.pk not in _listed(supervisor_client, "hold")
    assert supervisor_client.get(INDEX).context["dashboard"].queue_counts["hold"] == 1


def test_each_queue_lists_the_most_urgent_first(supervisor_client, world):
    manual = Category.objects.create(code="MANUAL", name="待立案", kind="event", time_limit=4,
                                     auto_dispatch=False)
    newer, older = (report(world, g1_point(i), category=manual) for i in range(2))
    Task.objects.filter(pk=older.pk).update(reported_at=clock.now() - timedelta(days=3))
    assert _listed(supervisor_client, "dispatch") == [older.pk, newer.pk]
    # Rework: the deadline passed longest ago first.
    later, sooner = (services.task_verify(task=submit(report(world, g1_point(5 + i)),
                                                      world.grid_officer),
                                          actor=world.inspector.user, approved=False,
                                          note="重做") for i in range(2))
    Task.objects.filter(pk=sooner.pk).update(deadline=clock.now() - timedelta(days=2))
    Task.objects.filter(pk=later.pk).update(deadline=clock.now() + timedelta(hours=2))
    assert _listed(supervisor_client, "rework") == [sooner.pk, later.pk]
    # A column chosen by the user still orders the list.
    response = supervisor_client.get(CHANGELIST, {"queue": "dispatch", "o": "-0"})
    assert [t.pk for t in response.context["cl"].result_list] == sorted(
        [older.pk, newer.pk], key=lambda pk: Task.objects.get(pk=pk).code, reverse=True)


def test_search_works_within_a_queue(supervisor_client, scene):
    target = scene["s2"]["verify"]
    response = supervisor_client.get(CHANGELIST, {"queue": "verify", "q": target.code})
    assert [t.pk for t in response.context["cl"].result_list] == [target.pk]


def _actions(client, key: str) -> list[str]:
    form = client.get(CHANGELIST, {"queue": key}).context["action_form"]
    return [name for name, _label in form.fields["action"].choices if name]


@pytest.mark.parametrize("key", KEYS)
def test_no_queue_offers_a_bulk_verify_or_a_bulk_extension_decision(supervisor_client, scene,
                                                                     key):
    offered = _actions(supervisor_client, key)
    assert "urge" in offered
    assert not [a for a in offered if "verif" in a or "approve" in a or "extension" in a]


def test_posting_a_bulk_approval_anyway_changes_nothing(supervisor_client, scene):
    task = scene["s1"]["extension"]
    supervisor_client.post(f"{CHANGELIST}?queue=extension", {
        "action": "approve_extension", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.extension_requested_until is not None and task.extension_count == 0


def test_bulk_urge_on_the_supervised_queue_reminds_each_assignee_through_the_service(
        supervisor_client, world, scene):
    tasks = [scene["s1"]["supervised"], scene["s2"]["supervised"]]
    response = supervisor_client.post(f"{CHANGELIST}?queue=supervised", {
        "action": "urge", "_selected_action": [t.pk for t in tasks]}, follow=True)
    assert response.status_code == 200
    for task in tasks:
        event = task.events.get(kind=TaskEvent.Kind.URGED)
        assert event.actor == world.supervisor.user
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == 2


def test_bulk_dispatch_from_the_dispatch_queue_goes_through_the_service(supervisor_client,
                                                                        world, scene):
    task = scene["s1"]["dispatch"]
    assert "reassign" in _actions(supervisor_client, "dispatch")
    supervisor_client.post(f"{CHANGELIST}?queue=dispatch", {
        "action": "reassign", "_selected_action": [task.pk], "apply": "1",
        "assignee": world.grid_officer.pk, "note": "请尽快处理"}, follow=True)
    task.refresh_from_db()
    assert (task.status, task.assignee) == (Status.ASSIGNED, world.grid_officer)
    event = task.events.latest("pk")
    assert (event.kind, event.actor) == (TaskEvent.Kind.ASSIGNED, world.supervisor.user)
    assert task.pk not in _listed(supervisor_client, "dispatch")


def _queue_count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum('"extension_requested_until" IS NOT NULL' in q["sql"] and "COUNT" in q["sql"]
               for q in ctx.captured_queries)


def test_the_queues_cost_the_dashboard_no_query_of_their_own(supervisor_client, world):
    empty = len(_captured(supervisor_client))
    _queued(world, g1_point, world.grid_officer)
    _queued(world, g2_point, world.other_grid_officer)
    assert len(_captured(supervisor_client)) == empty
    # The dashboard's one aggregate carries the counts; the navigation reuses them.
    assert _queue_count_queries(supervisor_client, INDEX) == 1
    # Elsewhere the navigation counts once per page.
    assert _queue_count_queries(supervisor_client, reverse("console:map")) == 1


def _captured(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(INDEX).status_code == 200
    return ctx.captured_queries


def test_staff_without_the_console_see_no_queue_counts(client, world, scene):
    client.force_login(staff(world.grid_officer))
    body = client.get(CHANGELIST).content.decode()
    assert "queue-count" not in body
