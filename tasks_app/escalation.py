"""The escalation sweep: lights and the ladder, set-based, one row version per task.

A sweep touches only running tasks whose ``next_escalation_at`` has passed (a partial index keeps
a sweep with nothing to do at one index probe, whatever the table size). It locks them
(``SELECT … FOR UPDATE``, in id order so two sweeps never deadlock) and reads, with each task's
level, the level the sweep moves it to; then one ``UPDATE`` per batch of those ids sets the
level, the light, 督办 and the next check together. A task another sweep moved meanwhile is
re-read once that sweep commits: its next check is then in the future, so it is no longer
due and is skipped; a sweep run twice, or two at once, therefore cross each (task, level)
once. The lock, the Escalation rows and the outbox rows commit together, so a crash loses
nothing and repeats nothing.

Each task is written once: the task table has about twenty indexes, and every row version
rewrites them all (bench/README.md, sweep: three passes, one for the claim, one for the light,
one for the next check, cost three times as much).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import BooleanField, Case, DateTimeField, F, Q, SmallIntegerField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least, NullIf

from . import notify
from .models import Escalation, Light, Task
from .workflow import CLOCK_RUNNING

# Ladder level → the threshold field whose time crosses it.
LEVEL_FIELD = {0: "yellow_at", 1: "deadline", 2: "level2_at", 3: "level3_at"}
# Stands in for "never" inside LEAST(), which treats NULL differently on each database.
_FAR = datetime(9000, 1, 1, tzinfo=UTC)
_NEVER = Value(None, output_field=DateTimeField())


@dataclass
class SweepResult:
    crossed: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0, 3: 0})
    lights_checked: int = 0
    alerts: int = 0

    def as_dict(self) -> dict[str, int]:
        out = {f"level_{lvl}": n for lvl, n in self.crossed.items()}
        out.update(lights_checked=self.lights_checked, alerts=self.alerts)
        return out


def _crosses(level: int, now: datetime) -> Q:
    """The task stands below ``level`` and the level's threshold has passed."""
    return Q(escalation_level__lt=level, **{f"{LEVEL_FIELD[level]}__lte": now})


def level_expression(now: datetime):
    """The level after a sweep at ``now``: the highest level whose threshold has passed, if it
    is above the task's level (highest first: a task that passed several thresholds since the
    last sweep crosses the highest one and its people are told once, with everyone up to it)."""
    return Case(*[When(_crosses(lvl, now), then=Value(lvl)) for lvl in (3, 2, 1, 0)],
                default=F("escalation_level"), output_field=SmallIntegerField())


def light_expression(now: datetime):
    return Case(When(deadline__lte=now, then=Value(Light.RED)),
                When(yellow_at__lte=now, then=Value(Light.YELLOW)), default=Value(Light.GREEN))


def next_check_expression(now: datetime):
    """The SQL twin of deadlines.next_check() applied to the light and level the sweep at
    ``now`` leaves (the expression reads the row before the sweep, as an UPDATE's SET does): the
    earliest pending light change or level."""
    # The light's next change: green → yellow_at, yellow → deadline, red → none.
    light_next = Case(When(deadline__lte=now, then=_NEVER),
                      When(yellow_at__lte=now, then=F("deadline")), default=F("yellow_at"))
    # The next level's threshold: level L → the threshold of L + 1, none after 3.
    after = {3: _NEVER, 2: F("level3_at"), 1: F("level2_at"), 0: F("deadline")}
    unchanged = Case(*[When(escalation_level=lvl - 1, then=F(name))
                       for lvl, name in LEVEL_FIELD.items()], default=_NEVER)
    level_next = Case(*[When(_crosses(lvl, now), then=after[lvl]) for lvl in (3, 2, 1, 0)],
                      default=unchanged)
    far = Value(_FAR)
    return NullIf(Least(Coalesce(light_next, far), Coalesce(level_next, far)), far)


def _due(now: datetime):
    return Task.objects.filter(next_escalation_at__lte=now, status__in=CLOCK_RUNNING)


def _batches(ids: list[int]):
    """Filters for ``ids``, a few at a time: on PostgreSQL one ``= ANY(array)`` (a single
    parameter: no statement of thousands of placeholders to compile, send and plan); elsewhere
    ``IN`` lists that fit the parameter limit beside the UPDATE's own (``now`` twenty times)."""
    if connection.vendor == "postgresql":
        column = f'"{Task._meta.db_table}"."{Task._meta.pk.column}"'
        yield RawSQL(f"{column} = ANY(%s)", (ids,), output_field=BooleanField())
        return
    size = (connection.features.max_query_params or 10_000) - 100
    for start in range(0, len(ids), size):
        yield Q(pk__in=ids[start:start + size])


_ESCALATIONS_SQL = """
INSERT INTO {table} (task_id, level, reason, crossed_at)
WITH crossing (task_id, level) AS ({crossings}),
ladder (level) AS (VALUES (0), (1), (2), (3))
SELECT c.task_id, l.level, %s, %s FROM crossing c JOIN ladder l ON l.level <= c.level
WHERE 1 = 1
ON CONFLICT DO NOTHING
"""


def _record_escalations(crossings: list[tuple[int, int]], now: datetime) -> None:
    """Escalation rows for levels 0 to the one crossed, set-based (a level already recorded,
    by a repeat or an urge, is kept as it is)."""
    when = connection.ops.adapt_datetimefield_value(now)
    tail = [Escalation.Reason.TIME, when]
    with connection.cursor() as cursor:
        for source, params in notify.rows_source(crossings, ("BIGINT", "SMALLINT"),
                                                 spare_params=len(tail)):
            cursor.execute(_ESCALATIONS_SQL.format(crossings=source,
                                                   table=Escalation._meta.db_table),
                           params + tail)


@transaction.atomic
def sweep(now: datetime) -> SweepResult:
    result = SweepResult()
    # Lock the due tasks and read where each one goes. A row another sweep is writing is waited
    # for and re-read; if that sweep moved it, it is no longer due and is not returned.
    # With each task, who it is assigned to and where: the alerts need them.
    due = list(_due(now).select_for_update().order_by("pk").annotate(to=level_expression(now))
               .values_list("pk", "escalation_level", "to", "assignee_id", "road_id", "grid_id"))
    crossings = [(pk, to) for pk, was, to, *_place in due if to > was]
    if due:
        for only in _batches([row[0] for row in due]):
            # One row version per task: level, 督办 (level 3), light and next check together.
            result.lights_checked += _due(now).filter(only).update(
                escalation_level=level_expression(now),
                supervised=Case(When(_crosses(3, now), then=Value(True)),
                                default=F("supervised")),
                light=light_expression(now),
                next_escalation_at=next_check_expression(now))
    for _pk, to in crossings:
        result.crossed[to] += 1
    _record_escalations(crossings, now)
    if crossings:
        places = {pk: tuple(place) for pk, was, to, *place in due if to > was}
        result.alerts = notify.create_alerts(crossings, now=now, places=places)
    return result
