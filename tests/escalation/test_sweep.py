"""The ladder over time: green, yellow, red, level 2, level 3, each person told once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from gridmgmt.models import CalendarDay, WorkCalendar, WorkPeriod
from tasks_app import escalation, notify, services
from tasks_app.models import Escalation, Notification

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def calendar(db):
    cal = WorkCalendar.objects.create(name="std", is_default=True)
    for wd in range(5):
        WorkPeriod.objects.create(calendar=cal, weekday=wd, start="08:30", end="12:00")
        WorkPeriod.objects.create(calendar=cal, weekday=wd, start="13:30", end="18:00")
    # 2026-10-01..07 National Day; Saturday 2026-10-10 is worked.
    for day in range(1, 8):
        CalendarDay.objects.create(calendar=cal, date=f"2026-10-0{day}", kind="holiday")
    CalendarDay.objects.create(calendar=cal, date="2026-10-10", kind="workday")
    return cal


def told(task, level):
    return set(Notification.objects.filter(task=task, level=level)
               .values_list("recipient__user__username", flat=True))


def sweep_at(when):
    with time_machine.travel(when, tick=False):
        return escalation.sweep(when)


def test_it_walks_a_task_up_the_ladder_across_a_weekend_and_a_holiday(world, calendar):
    world.category.time_limit = 8  # 8 working hours = one working day
    world.category.save()
    lng, lat = world.point_g1
    # Dispatched Wednesday 2026-09-30 at 14:00: 4 h that day, then the holiday week.
    with time_machine.travel(at(2026, 9, 30, 14, 0), tick=False):
        task = services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng, lat=lat)
    # 4 h used on Sep 30; Oct 1-7 are off; 4 h more on Thursday Oct 8: 3.5 h + 0.5 h → 14:00.
    assert task.deadline == at(2026, 10, 8, 14, 0)
    # 80 % of 8 h = 6.4 h: 4 h on Sep 30 plus 2.4 h on Oct 8 → 10:54.
    assert task.yellow_at == at(2026, 10, 8, 10, 54)
    # Level 2 one more limit (8 working hours) after the deadline; level 3 three more, counting
    # the worked Saturday Oct 10 and skipping Sunday Oct 11.
    assert task.level2_at == at(2026, 10, 9, 14, 0)
    assert task.level3_at == at(2026, 10, 12, 14, 0)

    r = sweep_at(at(2026, 10, 5, 9, 0))
    assert r.crossed == {0: 0, 1: 0, 2: 0, 3: 0}
    task.refresh_from_db()
    assert task.light == "green"

    sweep_at(at(2026, 10, 8, 11, 0))
    task.refresh_from_db()
    assert (task.light, task.escalation_level) == ("yellow", 0)
    assert told(task, 0) == {"grid1"}

    sweep_at(at(2026, 10, 8, 14, 5))
    task.refresh_from_db()
    assert (task.light, task.escalation_level) == ("red", 1)
    # On a road: the road chief is told, and the community head (第一责任人) as for any task.
    assert told(task, 1) == {"grid1", "roadchief", "commhead"}

    sweep_at(at(2026, 10, 9, 14, 1))
    task.refresh_from_db()
    assert task.escalation_level == 2
    assert told(task, 2) == {"grid1", "roadchief", "commhead", "streetlead"}
    assert not task.supervised

    sweep_at(at(2026, 10, 12, 9, 0))
    task.refresh_from_db()
    assert task.escalation_level == 2

    sweep_at(at(2026, 10, 12, 14, 1))
    task.refresh_from_db()
    assert task.escalation_level == 3 and task.supervised
    assert told(task, 3) == {"grid1", "roadchief", "commhead", "streetlead", "supervisor"}
    assert task.next_escalation_at is None

    # Every crossing recorded once, and sweeping again changes nothing.
    assert list(task.escalations.values_list("level", flat=True)) == [0, 1, 2, 3]
    before = Notification.objects.count()
    assert sweep_at(at(2026, 10, 20, 9, 0)).crossed == {0: 0, 1: 0, 2: 0, 3: 0}
    assert Notification.objects.count() == before


def test_a_task_off_any_road_goes_to_the_community_head(world):
    lng, lat = world.point_g1[0], 30.0095  # far from the road at 30.005
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    assert task.road is None
    sweep_at(task.deadline)
    assert told(task, 1) == {"grid1", "commhead"}


def test_a_late_sweep_crosses_the_highest_level_once_and_records_all(world):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.level3_at)
    task.refresh_from_db()
    assert task.escalation_level == 3
    assert sorted(Escalation.objects.filter(task=task).values_list("level", flat=True)) == \
        [0, 1, 2, 3]
    # Told once, at the highest level, with everyone up to it.
    assert set(Notification.objects.filter(task=task).values_list("level", flat=True)) == {3}


def test_holds_stop_the_clock(world):
    lng, lat = world.point_g1
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):  # Monday
        task = services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng, lat=lat)
    with time_machine.travel(at(2026, 11, 16, 10, 0), tick=False):
        services.task_hold(task=task, actor=world.supervisor.user, reason="等待产权单位确认")
    assert sweep_at(at(2026, 11, 20, 9, 0)).crossed == {0: 0, 1: 0, 2: 0, 3: 0}
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):  # a week later
        task = services.task_resume(task=task, actor=world.supervisor.user)
    # 1 h used before the hold, 3 h left from Monday 09:00 → 12:00.
    assert task.deadline == at(2026, 11, 23, 12, 0)
    assert task.light == "green"


def test_a_repeat_is_escalated_at_once_through_the_outbox(world):
    lng, lat = world.point_g1
    services.task_report(reporter=world.inspector.user, category=world.category,
                         lng=lng, lat=lat)
    second = services.task_report(reporter=world.inspector.user, category=world.category,
                                  lng=lng, lat=lat)
    third = services.task_report(reporter=world.inspector.user, category=world.category,
                                 lng=lng, lat=lat)
    assert told(second, 1) == {"grid1", "roadchief", "commhead"}
    assert told(third, 2) == {"grid1", "roadchief", "commhead", "streetlead"}


def test_sending_renders_each_kind_in_the_recipients_language(world):
    world.road_chief.language = "en"
    world.road_chief.save()
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.deadline)
    counts = notify.send_pending(now=task.deadline)
    assert counts["sent"] == 3  # the assignee, the road chief and the community head
    english = next(m for m in mail.outbox if m.to == [world.road_chief.email])
    assert "Escalation" in english.subject and task.code in english.subject
    from django.conf import settings
    from django.test import Client

    assert f"{settings.SITE_URL}/m/t/{task.pk}/" in english.body
    # The link opens the task's phone page for the person it was sent to.
    client = Client()
    client.force_login(world.road_chief.user)
    assert client.get(f"/m/t/{task.pk}/").status_code == 200
    assert "grid1" in english.body  # who else was told
    assert english.alternatives[0][1] == "text/html"
    # A second pass sends nothing more.
    assert notify.send_pending(now=task.deadline)["sent"] == 0


def test_an_officer_without_email_gets_a_row_that_says_why(world):
    world.grid_officer.email = ""
    world.grid_officer.save()
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.yellow_at)
    notify.send_pending(now=task.yellow_at)
    row = Notification.objects.get(task=task, level=0)
    assert row.status == "skipped" and "e-mail" in row.last_error


def test_failures_retry_with_backoff_then_fail(world, settings):
    settings.EMAIL_BACKEND = "tests.escalation.broken_backend.BrokenBackend"
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.yellow_at)
    row = Notification.objects.get(task=task, level=0)
    now = task.yellow_at
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        with time_machine.travel(now, tick=False):
            notify.send_pending(now=now)
        row.refresh_from_db()
        assert row.attempts == attempt
        if attempt < notify.MAX_ATTEMPTS:
            assert row.status == "pending" and row.next_attempt_at > now
            now = row.next_attempt_at
    assert row.status == "failed" and "refused" in row.last_error


def test_the_sweep_command_prints_counts(world, capsys):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    call_command("sweep", "--at", task.deadline.isoformat())
    out = capsys.readouterr().out
    assert "level_1=1" in out and "alerts=3" in out


def test_digest_once_per_day(world):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.deadline)
    with time_machine.travel(task.deadline, tick=False):
        first = notify.create_digests(now=task.deadline)
        notify.create_digests(now=task.deadline)
    digests = Notification.objects.filter(kind="digest")
    assert first == digests.count()
    # The assignee gets their red task; the street leader and supervisor get their area's.
    assert set(digests.values_list("recipient__user__username", flat=True)) >= {
        "grid1", "commhead", "streetlead", "supervisor"}
    assert "streetlead2" not in set(digests.values_list("recipient__user__username", flat=True))


def test_setup_schedules_creates_defaults_and_keeps_admin_edits(db, capsys):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    call_command("setup_schedules")
    sweep = PeriodicTask.objects.get(name="escalation sweep")
    assert sweep.task == "tasks_app.sweep" and sweep.interval.every == 5
    digest = PeriodicTask.objects.get(name="daily digest")
    assert (digest.crontab.hour, digest.crontab.minute) == ("8", "30")
    warm = PeriodicTask.objects.get(name="dashboard trends")
    assert warm.task == "tasks_app.warm_dashboards"
    assert (warm.crontab.hour, warm.crontab.minute) == ("0", "10")
    # An admin slows the sweep down; running the command again must not undo it.
    sweep.interval, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    sweep.save()
    call_command("setup_schedules")
    assert PeriodicTask.objects.get(name="escalation sweep").interval.every == 10
    assert PeriodicTask.objects.filter(name="escalation sweep").count() == 1


def test_an_alert_for_a_task_closed_before_sending_is_skipped_with_the_reason(world):
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    sweep_at(task.yellow_at)
    services.task_hold(task=task, actor=world.supervisor.user, reason="等待确认")
    Notification.objects.filter(task=task).update(status="pending")
    task.refresh_from_db()
    from tasks_app.models import Task

    Task.objects.filter(pk=task.pk).update(status="void")
    notify.send_pending(now=task.yellow_at)
    row = Notification.objects.get(task=task, level=0)
    assert row.status == "skipped" and "void" in row.last_error
    assert not mail.outbox
