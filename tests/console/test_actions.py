"""Bulk actions on the task list call the services for each task and report, task by task,
what was refused and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from gridmgmt import clock
from tasks_app import services
from tasks_app.models import Campaign, Category, Notification, Task, TaskEvent
from tasks_app.workflow import Status

from .conftest import close, g1_point, g2_point, report

CHANGELIST = reverse("admin:tasks_app_task_changelist")
EN = {"headers": {"accept-language": "en"}}


def _act(client, action: str, tasks, **data):
    payload = {"action": action, "_selected_action": [t.pk for t in tasks], **data}
    return client.post(CHANGELIST, payload, follow=True, **EN)


def _messages(response) -> list[str]:
    # The action redirects back to the list, which shows (and so consumes) the messages.
    return [str(m) for m in response.context["messages"]]


def test_reassign_asks_for_the_officer_first(supervisor_client, world):
    task = report(world, g1_point(0))
    page = supervisor_client.post(CHANGELIST, {"action": "reassign",
                                               "_selected_action": [task.pk]}, **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Reassign tasks" in body and task.code in body
    assert f'value="{task.pk}"' in body  # the selection is carried to the next step
    choices = [str(o) for o in page.context["form"].fields["assignee"].queryset]
    assert "grid2" in choices and "handler" in choices and "supervisor" not in choices
    assert Task.objects.get(pk=task.pk).assignee == world.grid_officer


def test_reassign_moves_the_tasks_and_reports_each_refusal(supervisor_client, world):
    moving = report(world, g1_point(0))
    already = report(world, g1_point(1))
    services.task_assign(task=already, actor=world.supervisor.user,
                         assignee=world.other_grid_officer)
    closed = close(world, report(world, g1_point(2)), world.grid_officer)
    response = _act(supervisor_client, "reassign", [moving, already, closed], apply="1",
                    assignee=world.other_grid_officer.pk, note="换人处理")
    assert response.status_code == 200
    messages = _messages(response)
    assert "Reassigned 1 task to grid2." in messages
    assert "2 tasks were refused:" in messages
    assert f"{already.code} — The task is already assigned to grid2." in messages
    assert f"{closed.code} — A task that is Closed cannot become Assigned." in messages
    moving.refresh_from_db()
    assert moving.assignee == world.other_grid_officer
    event = moving.events.latest("pk")
    assert (event.kind, event.note, event.actor) == (
        TaskEvent.Kind.REASSIGNED, "换人处理", world.supervisor.user)


def test_reassign_without_an_officer_shows_the_form_again(supervisor_client, world):
    task = report(world, g1_point(0))
    response = _act(supervisor_client, "reassign", [task], apply="1", assignee="")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Task.objects.get(pk=task.pk).version == task.version


def test_urging_sends_one_reminder_and_refuses_a_second_within_the_hour(supervisor_client,
                                                                       world):
    task = report(world, g1_point(0))
    _act(supervisor_client, "urge", [task])
    response = _act(supervisor_client, "urge", [task])
    assert f"{task.code} — The assignee was already reminded less than an hour ago." \
        in _messages(response)
    (reminder,) = Notification.objects.filter(kind=Notification.Kind.REMINDER)
    assert (reminder.task, reminder.recipient, reminder.email) == (
        task, world.grid_officer, "grid1@example.org")
    assert task.events.filter(kind=TaskEvent.Kind.URGED).count() == 1


def test_urging_refuses_tasks_whose_clock_is_not_running(supervisor_client, world):
    undispatched = Category.objects.create(code="NODISP", name="待立案", kind="event",
                                           time_limit=4, auto_dispatch=False)
    reported = report(world, g1_point(0), category=undispatched)
    running = report(world, g1_point(1))
    response = _act(supervisor_client, "urge", [reported, running])
    messages = _messages(response)
    assert "Sent a reminder for 1 task." in messages
    assert f"{reported.code} — Only an assigned or started task can be urged." in messages


def test_adding_to_a_campaign_keeps_to_its_scope(supervisor_client, world):
    today = clock.now().date()
    campaign = Campaign.objects.create(name="东街道环境整治", lead_department=world.department,
                                       starts_on=today, deadline=today + timedelta(days=30))
    campaign.streets.set([world.street1])
    inside = report(world, g1_point(0))
    outside = report(world, g2_point(0))
    page = supervisor_client.post(CHANGELIST, {"action": "add_to_campaign",
                                               "_selected_action": [inside.pk, outside.pk]}, **EN)
    assert "东街道环境整治" in page.content.decode()
    response = _act(supervisor_client, "add_to_campaign", [inside, outside], apply="1",
                    campaign=campaign.pk)
    messages = _messages(response)
    assert "Added 1 task to 东街道环境整治." in messages
    assert f"{outside.code} — The campaign does not cover this task's place." in messages
    assert list(campaign.tasks.all()) == [inside]


def test_a_street_leader_acts_only_on_tasks_of_their_street(street_leader_client, world):
    mine, theirs = report(world, g1_point(0)), report(world, g2_point(0))
    response = _act(street_leader_client, "urge", [mine, theirs])
    assert "Sent a reminder for 1 task." in _messages(response)
    # A task outside the street is not in their list, so it is not even selected.
    assert not theirs.events.filter(kind=TaskEvent.Kind.URGED).exists()
    assert mine.events.filter(kind=TaskEvent.Kind.URGED).exists()


@pytest.mark.parametrize("action", ["reassign", "approve_extension", "urge", "add_to_campaign"])
def test_staff_without_a_supervising_duty_have_no_bulk_actions(client, world, action):
    """Model permissions do not make a supervisor: a grid officer given every permission of the
    tasks app gets no task list and no bulk action; the authority module asks for the duty."""
    from .conftest import staff

    client.force_login(staff(world.grid_officer))
    task = report(world, g1_point(0))
    response = client.get(CHANGELIST)
    assert response.status_code == 403
    assert f'value="{action}"' not in response.content.decode()
    client.post(CHANGELIST, {"action": action, "_selected_action": [task.pk], "apply": "1"})
    assert Task.objects.get(pk=task.pk).version == task.version
    assert Status(task.status) == Status.ASSIGNED
