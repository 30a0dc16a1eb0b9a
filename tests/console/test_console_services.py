"""The services behind the console's actions: urging (a reminder through the outbox) and adding
a task to a campaign."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from gridmgmt import clock
from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Campaign, Category, Notification, TaskEvent

from .conftest import close, g1_point, g2_point, report


def _codes(fn) -> str:
    with pytest.raises(DomainError) as exc:
        fn()
    return exc.value.code


def test_urging_writes_one_event_and_one_reminder_to_the_assignee(world):
    task = report(world, g1_point(0))
    version = task.version
    services.task_urge(task=task, actor=world.supervisor.user, note="请今天处理")
    task.refresh_from_db()
    assert task.version == version + 1
    event = task.events.latest("pk")
    assert (event.kind, event.note, event.extra["reminder"]) == (TaskEvent.Kind.URGED,
                                                                "请今天处理", 1)
    (row,) = Notification.objects.filter(task=task, kind=Notification.Kind.REMINDER)
    assert (row.recipient, row.level, row.status) == (world.grid_officer, 10, "pending")


def test_a_second_urge_waits_an_hour_and_is_then_a_new_reminder(world):
    task = report(world, g1_point(0))
    services.task_urge(task=task, actor=world.supervisor.user)
    assert _codes(lambda: services.task_urge(task=task, actor=world.street_leader.user)) \
        == "conflict"
    with time_machine.travel(clock.now() + timedelta(minutes=61)):
        services.task_urge(task=task, actor=world.street_leader.user)
    levels = sorted(Notification.objects.filter(kind=Notification.Kind.REMINDER)
                    .values_list("level", flat=True))
    assert levels == [10, 11]


def test_only_a_supervisor_of_the_place_urges(world):
    task = report(world, g1_point(0))
    assert _codes(lambda: services.task_urge(task=task, actor=world.grid_officer.user)) \
        == "forbidden"
    assert _codes(lambda: services.task_urge(task=task, actor=world.other_street_leader.user)) \
        == "forbidden"
    assert not task.events.filter(kind=TaskEvent.Kind.URGED).exists()


def test_a_task_without_a_running_clock_is_not_urged(world):
    closed = close(world, report(world, g1_point(0)), world.grid_officer)
    assert _codes(lambda: services.task_urge(task=closed, actor=world.supervisor.user)) \
        == "illegal_transition"
    assert not Notification.objects.filter(kind=Notification.Kind.REMINDER).exists()


@pytest.fixture
def campaign(world):
    today = clock.now().date()
    c = Campaign.objects.create(name="垃圾满溢专项整治", lead_department=world.department,
                                starts_on=today - timedelta(days=3),
                                deadline=today + timedelta(days=27))
    c.categories.set([world.category])
    c.streets.set([world.street1])
    return c


def test_a_task_in_the_campaigns_scope_joins_it_with_one_event(world, campaign):
    task = report(world, g1_point(0))
    services.task_join_campaign(task=task, actor=world.supervisor.user, campaign=campaign)
    task.refresh_from_db()
    assert task.campaign == campaign
    event = task.events.latest("pk")
    assert event.kind == TaskEvent.Kind.UPDATED
    assert event.extra["changed"] == {"campaign": [None, campaign.pk]}
    assert _codes(lambda: services.task_join_campaign(
        task=task, actor=world.supervisor.user, campaign=campaign)) == "conflict"


def test_a_task_outside_the_campaigns_categories_or_places_does_not_join(world, campaign):
    other = Category.objects.create(code="SIGN", name="店招店牌", kind="event", time_limit=4)
    wrong_category = report(world, g1_point(0), category=other)
    wrong_street = report(world, g2_point(0))
    for task in (wrong_category, wrong_street):
        assert _codes(lambda t=task: services.task_join_campaign(
            task=t, actor=world.supervisor.user, campaign=campaign)) == "invalid_input"
    # A grid named by the campaign covers a task in another street.
    campaign.grids.set([world.grid2])
    services.task_join_campaign(task=wrong_street, actor=world.supervisor.user,
                                campaign=campaign)


def test_an_ended_campaign_takes_no_more_tasks(world, campaign):
    campaign.deadline = clock.now().date() - timedelta(days=1)
    campaign.save()
    task = report(world, g1_point(0))
    assert _codes(lambda: services.task_join_campaign(
        task=task, actor=world.supervisor.user, campaign=campaign)) == "conflict"


def test_only_a_supervisor_adds_to_a_campaign(world, campaign):
    task = report(world, g1_point(0))
    assert _codes(lambda: services.task_join_campaign(
        task=task, actor=world.other_street_leader.user, campaign=campaign)) == "forbidden"
