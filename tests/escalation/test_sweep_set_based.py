"""The set-based sweep (one row version per task, INSERT … SELECT of escalations and alerts) leaves
the same rows as the sweep it replaced (three passes over the tasks, the ladder in Python), kept
here as the reference: on a generated city of tasks in every state, over three sweeps."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Case, F, Field, Value, When
from django.db.models.functions import Coalesce, Least, NullIf
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridmgmt.models import Role
from tasks_app import escalation, notify, services
from tasks_app.models import Escalation, Light, Notification, Task
from tasks_app.workflow import CLOCK_RUNNING
from tests import factories as f

# -- the sweep as it was (tasks_app/escalation.py and notify.create_alerts before issue 14) ------


def _old_claim_level(level: int, now: datetime) -> list[int]:
    table = Task._meta.db_table
    field = Task._meta.get_field(escalation.LEVEL_FIELD[level])
    assert isinstance(field, Field)
    running = list(CLOCK_RUNNING)
    placeholders = ", ".join(["%s"] * len(running))
    sql = (
        f"UPDATE {table} SET escalation_level = %s, "  # noqa: S608 - identifiers are ours
        f"supervised = CASE WHEN %s THEN TRUE ELSE supervised END "
        f"WHERE next_escalation_at <= %s AND status IN ({placeholders}) "
        f"AND escalation_level < %s AND {field.column} <= %s RETURNING id"
    )
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, level == 3, when, *running, level, when])
        return [row[0] for row in cursor.fetchall()]


def _old_next_check_expression():
    light_next = Case(When(light=Light.GREEN, then=F("yellow_at")),
                      When(light=Light.YELLOW, then=F("deadline")), default=Value(None))
    level_next = Case(*[When(escalation_level=lvl - 1, then=F(name))
                        for lvl, name in escalation.LEVEL_FIELD.items()], default=Value(None))
    far = Value(escalation._FAR)
    return NullIf(Least(Coalesce(light_next, far), Coalesce(level_next, far)), far)


def _old_create_alerts(crossings: list[tuple[int, int]], now: datetime) -> None:
    from gridmgmt.models import Officer

    told = notify.ladder(crossings, now)
    emails = dict(Officer.objects.values_list("pk", "email"))
    Notification.objects.bulk_create(
        [Notification(kind=(Notification.Kind.YELLOW_WARNING if level == 0
                            else Notification.Kind.ESCALATION),
                      task_id=pk, level=level, recipient_id=officer_id,
                      email=emails.get(officer_id, ""), created_at=now, next_attempt_at=now)
         for (pk, level), people in told.items() for officer_id in people],
        ignore_conflicts=True)


def _old_sweep(now: datetime) -> dict[int, int]:
    crossed = {0: 0, 1: 0, 2: 0, 3: 0}
    crossings: list[tuple[int, int]] = []
    for level in (3, 2, 1, 0):
        ids = _old_claim_level(level, now)
        crossed[level] = len(ids)
        crossings.extend((pk, level) for pk in ids)
        Escalation.objects.bulk_create(
            [Escalation(task_id=pk, level=lvl, reason=Escalation.Reason.TIME, crossed_at=now)
             for pk in ids for lvl in range(0, level + 1)], ignore_conflicts=True)
    due = Task.objects.filter(next_escalation_at__lte=now, status__in=CLOCK_RUNNING)
    due.update(light=escalation.light_expression(now))
    due.update(next_escalation_at=_old_next_check_expression())
    if crossings:
        _old_create_alerts(crossings, now)
    return crossed


# -- a generated city -------------------------------------------------------------------------

def _state() -> dict:
    return {
        "tasks": list(Task.objects.order_by("pk").values()),
        "escalations": list(Escalation.objects.order_by("task_id", "level")
                            .values("task_id", "level", "reason", "crossed_at")),
        "alerts": sorted(
            tuple(row.values()) for row in Notification.objects.values(
                "kind", "task_id", "level", "period", "recipient_id", "email", "context",
                "status", "attempts", "last_error", "next_attempt_at", "claimed_at", "sent_at",
                "created_at")),
    }


def _city(world, now: datetime, count: int = 120) -> None:
    """Tasks in every state around ``now``: running or not, any light and level, thresholds
    passed or not (some missing), next checks due, later, stale or none; some on the road, some
    already escalated by a repeat with their people told; a leader holding two roles, a second
    community head, and a street leader whose duty ended."""
    rnd = random.Random(14)
    f.DutyFactory(officer=world.other_grid_officer, role=Role.COMMUNITY_HEAD,
                  region=world.community2)
    f.DutyFactory(role=Role.COMMUNITY_HEAD, region=world.community1)
    f.DutyFactory(role=Role.STREET_LEADER, region=world.street1,
                  valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1))
    bases = []
    for point in (world.point_g1, world.point_g2):
        bases.append(services.task_report(reporter=world.inspector.user,
                                          category=world.category, lng=point[0], lat=point[1]))
    clones = []
    for i in range(count):
        t = Task.objects.get(pk=bases[i % 2].pk)
        t.pk = t.code = None
        hours = lambda lo, hi: timedelta(hours=rnd.uniform(lo, hi))  # noqa: E731
        t.yellow_at = now + hours(-120, 40)
        t.deadline = t.yellow_at + hours(0, 30)
        t.level2_at = t.deadline + hours(0, 30)
        t.level3_at = t.level2_at + hours(0, 60)
        if rnd.random() < 0.1:
            t.level3_at = None
            if rnd.random() < 0.5:
                t.level2_at = None
        if rnd.random() < 0.03:
            t.yellow_at = t.deadline = t.level2_at = t.level3_at = None
        t.status = rnd.choice(["assigned", "in_progress", "in_progress", "assigned", "on_hold",
                               "closed"])
        t.escalation_level = rnd.choice([-1, -1, -1, 0, 0, 1, 2, 3])
        t.light = rnd.choice(list(Light))
        t.supervised = rnd.random() < 0.2
        t.road = world.road if rnd.random() < 0.5 else None
        t.next_escalation_at = rnd.choice([
            now - hours(0, 100), now - hours(0, 100), now + hours(0, 50), None,
            (t.yellow_at or now) - hours(0, 1)])
        clones.append(t)
    Task.objects.bulk_create(clones)
    # Repeats already escalated to level 1: their escalation row and some people told.
    for task in Task.objects.filter(escalation_level=1)[:10]:
        Escalation.objects.create(task=task, level=1, reason=Escalation.Reason.REPEAT,
                                  crossed_at=now - timedelta(days=1))
        Notification.objects.create(kind=Notification.Kind.ESCALATION, task=task, level=1,
                                    recipient=world.community_head, email="x@example.org",
                                    status=Notification.Status.SENT,
                                    created_at=now - timedelta(days=1))


@pytest.mark.django_db
def test_the_set_based_sweep_leaves_the_rows_the_three_pass_sweep_left(world):
    now = timezone.now()
    _city(world, now)
    instants = [now, now + timedelta(hours=20), now + timedelta(hours=100)]
    expected = []
    with transaction.atomic():
        for at in instants:
            crossed = _old_sweep(at)
            expected.append((crossed, _state()))
        transaction.set_rollback(True)
    assert sum(expected[0][0].values()) > 20  # the city has work for the sweep
    assert {lvl for lvl, n in expected[0][0].items() if n} == {0, 1, 2, 3}
    for at, (crossed, state) in zip(instants, expected, strict=True):
        alerts_before = Notification.objects.count()
        result = escalation.sweep(at)
        assert result.crossed == crossed
        got = _state()
        assert got["tasks"] == state["tasks"]
        assert got["escalations"] == state["escalations"]
        assert got["alerts"] == state["alerts"]
        assert result.alerts == Notification.objects.count() - alerts_before


@pytest.mark.django_db
def test_the_sql_ladder_tells_the_people_recipients_for_names(world):
    now = timezone.now()
    _city(world, now, count=40)
    crossings = [(pk, rnd_level) for pk, rnd_level in zip(
        Task.objects.order_by("pk").values_list("pk", flat=True),
        [0, 1, 2, 3] * 20, strict=False)]
    Notification.objects.all().delete()
    added = notify.create_alerts(crossings, now=now)
    expected = {(pk, level, officer) for (pk, level), people in notify.ladder(crossings,
                                                                             now).items()
                for officer in people}
    assert set(Notification.objects.values_list("task_id", "level", "recipient_id")) == expected
    assert added == len(expected)
    # A second time adds nobody.
    assert notify.create_alerts(crossings, now=now) == 0


def _crossing_tasks(world, count: int) -> datetime:
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=world.category,
                                lng=lng, lat=lat)
    clones = []
    for _ in range(count - 1):
        t = Task.objects.get(pk=task.pk)
        t.pk = t.code = None
        clones.append(t)
    Task.objects.bulk_create(clones)
    return task.level3_at + timedelta(minutes=1)


@pytest.mark.django_db
def test_the_sweep_costs_the_same_statements_for_5_or_150_crossings(world):
    def statements(count):
        with transaction.atomic():
            at = _crossing_tasks(world, count)
            with CaptureQueriesContext(connection) as queries:
                result = escalation.sweep(at)
            assert result.crossed[3] == count
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    # Lock and read, one UPDATE, the escalations, the alerts (and the savepoint's two).
    # (SQLite takes some 160 alerts a statement, its parameter limit; PostgreSQL any number.)
    assert statements(5) == statements(150) == 6


@pytest.mark.django_db
def test_each_task_gets_one_row_version_per_sweep(world):
    """One UPDATE writes the level, 督办, the light and the next check together."""
    at = _crossing_tasks(world, 3)
    with CaptureQueriesContext(connection) as queries:
        escalation.sweep(at)
    updates = [q["sql"] for q in queries.captured_queries
               if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert all(col in updates[0] for col in ('"escalation_level"', '"supervised"', '"light"',
                                             '"next_escalation_at"'))
    assert set(Task.objects.values_list("escalation_level", "supervised", "light")) == {
        (3, True, "red")}
