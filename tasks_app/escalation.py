"""The escalation sweep: lights and the ladder, set-based.

A sweep touches only running tasks whose ``next_escalation_at`` has passed (a partial index keeps
a sweep with nothing to do at one index probe, whatever the table size). Each level is claimed
with one conditional ``UPDATE … WHERE escalation_level < L … RETURNING id``: a row another sweep
already moved is not returned, so two sweeps at once, or a sweep run twice, cross each
(task, level) once. The claim, the Escalation rows and the outbox rows commit together, so a crash
loses nothing and repeats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Case, F, Field, Value, When
from django.db.models.functions import Coalesce, Least, NullIf

from . import notify
from .models import Escalation, Light, Task
from .workflow import CLOCK_RUNNING

# Ladder level → the threshold field whose time crosses it.
LEVEL_FIELD = {0: "yellow_at", 1: "deadline", 2: "level2_at", 3: "level3_at"}
# Stands in for "never" inside LEAST(), which treats NULL differently on each database.
_FAR = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass
class SweepResult:
    crossed: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0, 3: 0})
    lights_checked: int = 0
    alerts: int = 0

    def as_dict(self) -> dict[str, int]:
        out = {f"level_{lvl}": n for lvl, n in self.crossed.items()}
        out.update(lights_checked=self.lights_checked, alerts=self.alerts)
        return out


def _claim_level(level: int, now: datetime) -> list[int]:
    table = Task._meta.db_table
    field = Task._meta.get_field(LEVEL_FIELD[level])
    assert isinstance(field, Field)
    column = field.column
    running = list(CLOCK_RUNNING)
    placeholders = ", ".join(["%s"] * len(running))
    sql = (
        f"UPDATE {table} SET escalation_level = %s, "  # noqa: S608 - identifiers are ours
        f"supervised = CASE WHEN %s THEN TRUE ELSE supervised END "
        f"WHERE next_escalation_at <= %s AND status IN ({placeholders}) "
        f"AND escalation_level < %s AND {column} <= %s RETURNING id"
    )
    when = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, level == 3, when, *running, level, when])
        return [row[0] for row in cursor.fetchall()]


def next_check_expression():
    """The SQL twin of deadlines.next_check(): the earliest pending light change or level."""
    light_next = Case(When(light=Light.GREEN, then=F("yellow_at")),
                      When(light=Light.YELLOW, then=F("deadline")), default=Value(None))
    level_next = Case(*[When(escalation_level=lvl - 1, then=F(name))
                        for lvl, name in LEVEL_FIELD.items()], default=Value(None))
    far = Value(_FAR)
    return NullIf(Least(Coalesce(light_next, far), Coalesce(level_next, far)), far)


def light_expression(now: datetime):
    return Case(When(deadline__lte=now, then=Value(Light.RED)),
                When(yellow_at__lte=now, then=Value(Light.YELLOW)), default=Value(Light.GREEN))


@transaction.atomic
def sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    crossings: list[tuple[int, int]] = []
    claimed: set[int] = set()
    # Highest level first: a task that passed several thresholds since the last sweep crosses
    # the highest one and its people are told once, with everyone up to that level.
    for level in (3, 2, 1, 0):
        ids = [pk for pk in _claim_level(level, now) if pk not in claimed]
        claimed.update(ids)
        result.crossed[level] = len(ids)
        crossings.extend((pk, level) for pk in ids)
        Escalation.objects.bulk_create(
            [Escalation(task_id=pk, level=lvl, reason=Escalation.Reason.TIME, crossed_at=now)
             for pk in ids for lvl in range(0, level + 1)],
            ignore_conflicts=True,
        )
    due = Task.objects.filter(next_escalation_at__lte=now, status__in=CLOCK_RUNNING)
    result.lights_checked = due.update(light=light_expression(now))
    due.update(next_escalation_at=next_check_expression())
    if crossings:
        result.alerts = notify.create_alerts(crossings, now=now)
    return result
