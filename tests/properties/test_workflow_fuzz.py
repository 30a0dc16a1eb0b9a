"""Random sequences of workflow actions by random people never reach an invalid state, and every
task's event log replays to its current state.

Each example reports a problem (plain or dispatched at once, sometimes twice at one spot so the
second is a repeat) and then plays up to 15 steps: one of the services, called by one of the
world's personas (or a superuser, or a user who is no officer), with some time passing, or an
escalation sweep. A refusal must be a DomainError that changed nothing; anything else must leave
every task valid.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tasks_app import escalation, services
from tasks_app.errors import DomainError
from tasks_app.models import Escalation, Light, Photo, Task, TaskEvent
from tasks_app.workflow import CLOCK_RUNNING, Status
from tests import factories as f
from tests.workflow.conftest import START, photo, snapshot

pytestmark = pytest.mark.django_db

PERSONAS = ("grid_officer", "other_grid_officer", "road_chief", "community_head",
            "street_leader", "other_street_leader", "supervisor", "handler", "inspector",
            "admin", "citizen")
ASSIGNEES = ("grid_officer", "other_grid_officer", "handler", "road_chief")
DELAYS = (timedelta(0), timedelta(minutes=10), timedelta(hours=3), timedelta(days=1),
          timedelta(days=4))


def _extension_until(task: Task, variant: int):
    base = task.deadline or START
    return base + timedelta(days=variant) if variant else base - timedelta(hours=1)


# action: (service call given the world, the task, the actor, a small variant number)
ACTIONS = {
    "assign": lambda w, t, a, v: services.task_assign(
        task=t, actor=a, assignee=getattr(w, ASSIGNEES[v % len(ASSIGNEES)])),
    "start": lambda w, t, a, v: services.task_start(task=t, actor=a),
    "submit": lambda w, t, a, v: services.task_submit(
        task=t, actor=a, note="已整改", photos=[photo()] if v % 2 == 0 else []),
    "verify": lambda w, t, a, v: services.task_verify(
        task=t, actor=a, approved=v % 2 == 0, note="仍未整改" if v % 3 else ""),
    "request_extension": lambda w, t, a, v: services.task_request_extension(
        task=t, actor=a, until=_extension_until(t, v), reason="等待配件" if v else ""),
    "decide_extension": lambda w, t, a, v: services.task_decide_extension(
        task=t, actor=a, approved=v % 2 == 0, note="不批" if v % 3 else ""),
    "hold": lambda w, t, a, v: services.task_hold(task=t, actor=a, reason="挂账" if v else ""),
    "resume": lambda w, t, a, v: services.task_resume(task=t, actor=a),
    "void": lambda w, t, a, v: services.task_void(task=t, actor=a, reason="重复" if v else ""),
    "add_photo": lambda w, t, a, v: services.task_add_photo(
        task=t, actor=a, image=photo(), kind=("before", "after", "evidence", "x")[v]),
    "update": lambda w, t, a, v: services.task_update_details(
        task=t, actor=a, changes=({"title": f"标题{v}"}, {"plan": "清运"}, {"source": "media"},
                                  {"status": "closed"})[v]),
    "urge": lambda w, t, a, v: services.task_urge(task=t, actor=a),
}

# The step that moves a task on from each state, and who takes each step. Half the draws follow
# them (so sequences get past dispatch into handling and verification), half are anything.
NATURAL_NEXT = {Status.REPORTED: "assign", Status.ASSIGNED: "start", Status.IN_PROGRESS: "submit",
                Status.SUBMITTED: "verify", Status.ON_HOLD: "resume"}
NATURAL_ACTOR = {"start": "assignee", "submit": "assignee", "request_extension": "assignee",
                 "add_photo": "assignee", "verify": "inspector", "report_again": "grid_officer"}
ANY_ACTION = [*ACTIONS, "sweep", "report_again"]


def _draw_step(data, task: Task) -> tuple[str, str, int, timedelta]:
    natural = NATURAL_NEXT.get(task.status)
    action = data.draw(st.sampled_from([natural] if natural else ANY_ACTION) | st.sampled_from(
        ANY_ACTION), label="action")
    persona = data.draw(st.just(NATURAL_ACTOR.get(action, "supervisor"))
                        | st.sampled_from(["assignee", *PERSONAS]), label="persona")
    return (action, persona, data.draw(st.integers(0, 3), label="variant"),
            data.draw(st.sampled_from(DELAYS), label="delay"))


class Example:
    count = 0


def _replayed_status(task: Task) -> str:
    status = ""
    versions = []
    for logged in task.events.order_by("version", "pk"):
        assert logged.from_status == status, (logged.kind, logged.from_status, status)
        status = logged.to_status
        versions.append(logged.version)
    assert versions == list(range(1, task.version + 1)), "events do not count the versions"
    return status


def assert_valid(task: Task) -> None:
    task.refresh_from_db()
    assert task.status in Status.values and task.light in Light.values
    dispatched = task.status not in (Status.REPORTED, Status.VOID)
    assert (task.assignee_id is not None) == dispatched
    assert (task.deadline is not None) == dispatched
    if dispatched:
        assert task.yellow_at <= task.deadline <= task.level2_at <= task.level3_at
    assert _replayed_status(task) == task.status
    assert (task.closed_at is not None) == (task.status == Status.CLOSED)
    if task.status in (Status.SUBMITTED, Status.CLOSED):
        assert task.submitted_at is not None
    assert (task.status == Status.ON_HOLD) == (task.hold_started_at is not None)
    assert (task.status == Status.ON_HOLD) == bool(task.hold_from_status)
    if task.status == Status.ON_HOLD:
        assert task.hold_from_status in CLOCK_RUNNING
    if task.status not in CLOCK_RUNNING:
        assert task.next_escalation_at is None
    if task.status not in (*CLOCK_RUNNING, Status.ON_HOLD):
        # A request waits through a hold; submitting, closing or voiding ends it.
        assert task.extension_requested_until is None
    kinds = list(task.events.values_list("kind", flat=True))
    assert task.rework_count == kinds.count(TaskEvent.Kind.REWORK)
    assert task.extension_count == kinds.count(TaskEvent.Kind.EXTENSION_APPROVED)
    levels = list(Escalation.objects.filter(task=task).values_list("level", flat=True))
    assert -1 <= task.escalation_level <= 3
    assert max(levels, default=-1) == task.escalation_level
    assert task.supervised == (3 in levels)  # 督办 comes with the sweep's level 3
    submitted_photos = sum(extra.get("photos", 0) for extra in task.events.filter(
        kind=TaskEvent.Kind.SUBMITTED).values_list("extra", flat=True))
    assert Photo.objects.filter(task=task).count() == (
        kinds.count(TaskEvent.Kind.PHOTO_ADDED) + submitted_photos)


@pytest.fixture
def people(world):
    users = {name: getattr(world, name).user for name in PERSONAS[:-2]}
    users["admin"] = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    users["citizen"] = f.UserFactory(username="citizen")
    return users


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), manual=st.booleans(), in_g2=st.booleans())
def test_random_workflows_stay_valid_and_replay_from_their_event_log(
        world, people, settings, tmp_path, data, manual, in_g2):
    settings.MEDIA_ROOT = tmp_path / "media"
    Example.count += 1
    # Each example 40 days after the last: beyond the repeat window, so examples stay apart.
    with time_machine.travel(START + timedelta(days=40 * Example.count), tick=False) as clock:
        category = f.CategoryFactory(code="MANUAL", name="手工派遣", auto_dispatch=False) \
            if manual else world.category
        point = world.point_g2 if in_g2 else world.point_g1
        tasks = [services.task_report(reporter=people["inspector"], category=category,
                                      lng=point[0], lat=point[1])]
        for _ in range(data.draw(st.integers(1, 15), label="steps")):
            task = Task.objects.select_related("assignee__user").get(
                pk=tasks[data.draw(st.integers(0, len(tasks) - 1), label="task")].pk)
            action, persona, variant, delay = _draw_step(data, task)
            clock.shift(delay)
            actor = task.assignee.user if persona == "assignee" and task.assignee \
                else people.get(persona, people["citizen"])
            if action == "sweep":
                escalation.sweep(timezone.now())
            elif action == "report_again":
                tasks.append(services.task_report(reporter=actor, category=category,
                                                  lng=point[0], lat=point[1]))
            else:
                before = snapshot(task)
                try:
                    ACTIONS[action](world, task, actor, variant)
                    event(f"{action} done")
                except DomainError:
                    assert snapshot(task) == before, f"a refused {action} changed the task"
                else:
                    if action == "decide_extension" and variant % 2 == 0:
                        # An approved extension never brings the deadline forward.
                        assert Task.objects.get(pk=task.pk).deadline >= task.deadline
            for each in tasks:
                assert_valid(each)

