"""The notification outbox: who is told at each ladder level, and sending what is pending.

Rows are written in the same transaction as the change that causes them and sent afterwards by
a job, so an alert is never lost to a crash and, being unique per (kind, task, level, recipient),
never created twice. Sending claims rows before it sends, so two senders never send one row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from gridmgmt import clock
from gridmgmt.models import Duty, Officer, Role

from .models import Notification, Task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between tries
CLAIM_TIMEOUT = timedelta(minutes=10)  # a "sending" row older than this was abandoned
BATCH = 200


# -- who is told ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """What the ladder needs to know of a task: read as plain values, no model instances, so a
    sweep that crosses thousands of tasks stays cheap."""

    task_id: int
    assignee_id: int | None
    road_id: int | None
    community_id: int | None
    street_id: int | None
    district_id: int | None


def _places(task_ids: list[int]) -> dict[int, Place]:
    rows = Task.objects.filter(pk__in=task_ids).values_list(
        "pk", "assignee_id", "road_id", "grid__community_id", "grid__community__parent_id",
        "grid__community__parent__parent_id")
    return {row[0]: Place(*row) for row in rows}


def _ladder_holders(places: list[Place], now: datetime) -> dict[tuple[str, int], list[int]]:
    """Current holders (officer ids) of the ladder roles for all these places, in one query."""
    roads = {p.road_id for p in places if p.road_id}
    regions = {r for p in places for r in (p.community_id, p.street_id, p.district_id) if r}
    duties = Duty.objects.valid_at(now).filter(
        Q(role=Role.ROAD_CHIEF, road_id__in=roads)
        | Q(role__in=[Role.COMMUNITY_HEAD, Role.STREET_LEADER, Role.DISTRICT_SUPERVISOR],
            region_id__in=regions)
    ).order_by("officer_id").values_list("role", "road_id", "region_id", "officer_id")
    holders: dict[tuple[str, int], list[int]] = defaultdict(list)
    for role, road_id, region_id, officer_id in duties:
        holders[(role, road_id or region_id)].append(officer_id)
    return holders


def ladder(crossings: list[tuple[int, int]], now: datetime) -> dict[tuple[int, int], list[int]]:
    """Who each (task id, level) crossing tells, in Python: the rule create_alerts() runs in SQL
    (tests/escalation/test_sweep_set_based.py checks the two agree)."""
    places = _places([pk for pk, _ in crossings])
    holders = _ladder_holders(list(places.values()), now)
    return {(pk, level): recipients_for(places[pk], level, holders) for pk, level in crossings}


def recipients_for(place: Place, level: int, holders) -> list[int]:
    """DESIGN.md's ladder, as officer ids: 0 the assignee; 1 + the road chief (task on a road)
    and the community head; 2 + the street leader; 3 + the district supervisors."""
    people: list[int] = [place.assignee_id] if place.assignee_id else []
    if level >= 1:
        # The road chief of a task on a road, and always the community head: he is the first
        # responsible person (第一责任人) for every problem of his community, on a road or not.
        people += holders.get((Role.ROAD_CHIEF, place.road_id), []) if place.road_id else []
        people += holders.get((Role.COMMUNITY_HEAD, place.community_id), [])
    if level >= 2:
        people += holders.get((Role.STREET_LEADER, place.street_id), [])
    if level >= 3:
        people += holders.get((Role.DISTRICT_SUPERVISOR, place.district_id), [])
    return list(dict.fromkeys(people))


# The ladder of recipients_for() as one INSERT … SELECT (INSERT first: Python's sqlite3 counts
# rows only for statements that begin with INSERT), for any number of crossings: who holds
# each role is read as of ``now`` (duties valid then), the outbox's unique constraint drops a
# person already told of that level, and one person holding two of the roles is told once. Rows
# go in in recipients_for()'s order (the assignee, then up the ladder, officers by id within a
# rung), so the outbox and the history list them as the ladder does, whatever plan PostgreSQL
# chose for the joins.
_LADDER_SQL = """
INSERT INTO {notification} (kind, task_id, level, period, recipient_id, email, context, status,
                            attempts, last_error, next_attempt_at, created_at)
WITH crossing (task_id, level, kind, assignee_id, road_id, grid_id) AS ({crossings}),
place AS (
    SELECT c.task_id, c.level, c.kind, c.assignee_id, c.road_id, g.community_id,
           cm.parent_id AS street_id, st.parent_id AS district_id
    FROM crossing c
    LEFT JOIN {grid} g ON g.id = c.grid_id
    LEFT JOIN {region} cm ON cm.id = g.community_id
    LEFT JOIN {region} st ON st.id = cm.parent_id),
holder AS (
    SELECT role, road_id, region_id, officer_id FROM {duty}
    WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)),
rung AS (
    SELECT task_id, level, kind, assignee_id AS officer_id, 0 AS rung FROM place
    WHERE assignee_id IS NOT NULL
    UNION ALL SELECT p.task_id, p.level, p.kind, h.officer_id, 1 FROM place p
    JOIN holder h ON h.role = %s AND h.road_id = p.road_id WHERE p.level >= 1
    UNION ALL SELECT p.task_id, p.level, p.kind, h.officer_id, 2 FROM place p
    JOIN holder h ON h.role = %s AND h.region_id = p.community_id WHERE p.level >= 1
    UNION ALL SELECT p.task_id, p.level, p.kind, h.officer_id, 3 FROM place p
    JOIN holder h ON h.role = %s AND h.region_id = p.street_id WHERE p.level >= 2
    UNION ALL SELECT p.task_id, p.level, p.kind, h.officer_id, 4 FROM place p
    JOIN holder h ON h.role = %s AND h.region_id = p.district_id WHERE p.level >= 3),
told AS (  -- one row a person, at the first rung that names them
    SELECT task_id, level, kind, officer_id, min(rung) AS rung FROM rung
    GROUP BY task_id, level, kind, officer_id)
SELECT told.kind, told.task_id, told.level, '', told.officer_id, o.email, %s, %s, 0, '', %s, %s
FROM told JOIN {officer} o ON o.id = told.officer_id
WHERE 1 = 1
ORDER BY told.task_id, told.level, told.rung, told.officer_id
ON CONFLICT DO NOTHING
"""


def rows_source(rows: list[tuple], types: tuple[str, ...], *, spare_params: int = 0):
    """Yield (SQL, params) pairs, each a row source of some of ``rows`` (tuples of ``types``)
    for a statement's CTE: on PostgreSQL one array per column (``unnest``, a few parameters
    whatever the count: no long statement to build, parse and plan); elsewhere ``VALUES``
    lists in batches that fit the parameter limit with ``spare_params`` left over."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        yield f"SELECT * FROM unnest({arrays})", [list(col) for col in zip(*rows, strict=True)]
        return
    one = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
    size = ((connection.features.max_query_params or 10_000) - spare_params) // len(types)
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        yield "VALUES " + ", ".join([one] * len(batch)), [x for row in batch for x in row]


def create_alerts(crossings: list[tuple[int, int]], *, now: datetime,
                  kind: str | None = None,
                  places: dict[int, tuple[int | None, int | None, int]] | None = None) -> int:
    """Outbox rows for (task id, level) crossings, told to recipients_for()'s people, set-based:
    one statement per few thousand crossings. Must run inside the crossing's transaction.
    ``places`` (task id → assignee id, road id, grid id) saves reading the tasks again when the
    caller has them (the sweep reads them as it locks its tasks). Returns how many rows it added
    (a person already told of that level is not added)."""
    from gridmgmt.models import Grid, Region

    if places is None:
        ids = [pk for pk, _level in crossings]
        places = {}
        for start in range(0, len(ids), 500):
            places.update((pk, (assignee, road, grid)) for pk, assignee, road, grid in
                          Task.objects.filter(pk__in=ids[start:start + 500]).values_list(
                              "pk", "assignee_id", "road_id", "grid_id"))
    sql = _LADDER_SQL.format(
        crossings="{crossings}", grid=Grid._meta.db_table,
        region=Region._meta.db_table, duty=Duty._meta.db_table,
        notification=Notification._meta.db_table, officer=Officer._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(now)
    context = Notification._meta.get_field("context").get_db_prep_save({}, connection)
    tail = [when, when, Role.ROAD_CHIEF, Role.COMMUNITY_HEAD, Role.STREET_LEADER,
            Role.DISTRICT_SUPERVISOR, context, Notification.Status.PENDING, when, when]
    rows = [(pk, level, kind or (Notification.Kind.YELLOW_WARNING if level == 0
                                 else Notification.Kind.ESCALATION), *places[pk])
            for pk, level in crossings if pk in places]
    added = 0
    with connection.cursor() as cursor:
        for source, params in rows_source(
                rows, ("BIGINT", "SMALLINT", "VARCHAR(20)", "BIGINT", "BIGINT", "BIGINT"),
                spare_params=len(tail)):
            cursor.execute(sql.format(crossings=source), params + tail)
            added += max(cursor.rowcount, 0)
    if added:
        kick_sender_on_commit()
    return added


def kick_sender_on_commit() -> None:
    # One wake-up per transaction is enough, however many crossings it wrote.
    # Django keeps (sids, func, robust) since 4.2; the stubs still have pairs.
    if not any(func is kick_sender  # type: ignore[misc]
               for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(kick_sender)


def kick_sender() -> None:
    """Ask a worker to send now. If the broker is down the periodic pass sends later."""
    from .jobs import send_notifications_job

    try:
        send_notifications_job.apply_async(retry=False)
    except Exception:  # broker unreachable: the outbox row waits for the periodic pass
        log.warning("Broker unreachable; notifications wait for the periodic pass.")


# -- sending ----------------------------------------------------------------------------------

def _due(now: datetime):
    return Notification.objects.filter(
        Q(status=Notification.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Notification.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    ).order_by("next_attempt_at", "pk")


def claim(now: datetime, limit: int = BATCH) -> list[int]:
    """Mark up to ``limit`` due rows as ours. PostgreSQL skips rows another sender has locked;
    elsewhere each row is taken with a conditional UPDATE and a lost race just skips it."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(_due(now).select_for_update(skip_locked=True).values_list("pk", flat=True)
                       [:limit])
            Notification.objects.filter(pk__in=ids).update(
                status=Notification.Status.SENDING, claimed_at=now)
        return ids
    won = []
    for pk, status, claimed_at in _due(now).values_list("pk", "status", "claimed_at")[:limit]:
        if Notification.objects.filter(pk=pk, status=status, claimed_at=claimed_at).update(
                status=Notification.Status.SENDING, claimed_at=now) == 1:
            won.append(pk)
    return won


def render_email(kind: str, context: dict, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of one e-mail kind, in the recipient's language."""
    with translation.override(language):
        subject = render_to_string(f"email/{kind}/subject.txt", context)
        text = render_to_string(f"email/{kind}/body.txt", context)
        html = render_to_string(f"email/{kind}/body.html", context)
    return " ".join(subject.split()), text, html


def _message(row: Notification, conn) -> EmailMultiAlternatives:
    from .emails import context_for

    with translation.override(row.recipient.language):  # durations are words in the context
        context = context_for(row)
    subject, text, html = render_email(row.kind, context, row.recipient.language)
    msg = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [row.email],
                                 connection=conn)
    # A stable id lets a mail system drop a resend after an uncertain failure.
    msg.extra_headers["Message-ID"] = f"<notification-{row.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"
    msg.attach_alternative(html, "text/html")
    return msg


def send_pending(*, now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    now = now or clock.now()
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    ids = claim(now, limit)
    if not ids:
        return counts
    conn = get_connection(fail_silently=False)
    rows = Notification.objects.filter(pk__in=ids).select_related(
        "recipient", "task__category", "task__grid__community__parent", "task__road",
        "task__assignee")
    for row in rows:
        if not row.email:
            _finish(row, Notification.Status.SKIPPED, error="The recipient has no e-mail address.")
            counts["skipped"] += 1
            continue
        if row.task is not None and row.kind != Notification.Kind.DIGEST \
                and not row.task.is_open:
            # Closed or voided before the alert went out: telling people now is only noise.
            _finish(row, Notification.Status.SKIPPED,
                    error=f"The task was {row.task.status} before the alert was sent.")
            counts["skipped"] += 1
            continue
        try:
            _message(row, conn).send()
        except Exception as exc:  # any transport error: retry later, bounded
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                _finish(row, Notification.Status.FAILED, error=repr(exc), attempts=attempts)
                counts["failed"] += 1
            else:
                Notification.objects.filter(pk=row.pk).update(
                    status=Notification.Status.PENDING, attempts=attempts, last_error=repr(exc),
                    next_attempt_at=clock.now() + BACKOFF_BASE * 2 ** (attempts - 1))
                counts["retry"] += 1
            conn = get_connection(fail_silently=False)
            continue
        _finish(row, Notification.Status.SENT, attempts=row.attempts + 1)
        counts["sent"] += 1
    return counts


def _finish(row: Notification, status: str, *, error: str = "", attempts: int | None = None
            ) -> None:
    Notification.objects.filter(pk=row.pk).update(
        status=status, last_error=error, attempts=row.attempts if attempts is None else attempts,
        sent_at=timezone.now() if status == Notification.Status.SENT else None)


# -- daily digest -----------------------------------------------------------------------------

def create_digests(*, now: datetime | None = None) -> int:
    """One digest per officer with yellow or red tasks, and one per leader whose area has
    overdue or repeated open tasks; unique per (day, recipient), so a rerun adds nothing."""
    from gridmgmt.models import Region

    now = now or clock.now()
    period = timezone.localtime(now).date().isoformat()
    running = ["assigned", "in_progress"]
    per_officer: dict[int, list[int]] = defaultdict(list)
    for pk, assignee in Task.objects.filter(status__in=running, light__in=["yellow", "red"],
                                            assignee__isnull=False).values_list("pk",
                                                                                "assignee_id"):
        per_officer[assignee].append(pk)
    per_region: dict[int, list[int]] = defaultdict(list)
    flagged = Task.objects.filter(Q(light="red") | Q(repeat_of__isnull=False),
                                  status__in=running).values_list(
        "pk", "grid__community_id", "grid__community__parent_id",
        "grid__community__parent__parent_id")
    for pk, *regions in flagged:
        for region in regions:
            if region is not None:
                per_region[region].append(pk)
    leader_roles = [Role.COMMUNITY_HEAD, Role.STREET_LEADER, Role.DISTRICT_SUPERVISOR]
    per_leader: dict[int, set[int]] = defaultdict(set)
    for officer_id, region_id in Duty.objects.valid_at(now).filter(
            role__in=leader_roles, region_id__in=list(per_region),
            region__level__in=[Region.Level.COMMUNITY, Region.Level.STREET,
                               Region.Level.DISTRICT]).values_list("officer_id", "region_id"):
        per_leader[officer_id].update(per_region[region_id])
    # Staffing gaps (grids and roads with nobody of their role on duty) go to the street leader.
    gaps_of = _street_gaps(now)
    for officer_id, _region in gaps_of:
        per_leader.setdefault(officer_id, set())
    gaps: dict[int, list[dict]] = defaultdict(list)
    for (officer_id, _region), found in gaps_of.items():
        gaps[officer_id].extend(g for g in found if g not in gaps[officer_id])
    emails = dict(Officer.objects.filter(pk__in=set(per_officer) | set(per_leader))
                  .values_list("pk", "email"))
    rows = []
    for officer_id in set(per_officer) | set(per_leader):
        as_leader = officer_id in per_leader
        ids = sorted(per_leader[officer_id] | set(per_officer.get(officer_id, []))) \
            if as_leader else sorted(per_officer[officer_id])
        context = {"tasks": ids, "as_leader": as_leader}
        if gaps.get(officer_id):
            context["gaps"] = gaps[officer_id]
        rows.append(Notification(
            kind=Notification.Kind.DIGEST, period=period, recipient_id=officer_id,
            email=emails.get(officer_id, ""), context=context,
            created_at=now, next_attempt_at=now))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _street_gaps(now: datetime) -> dict[tuple[int, int], list[dict]]:
    """(street leader, street) → the street's staffing gaps, as plain values for the row."""
    from .selectors import staffing_gaps_by_street

    by_street = staffing_gaps_by_street(at=now)
    if not by_street:
        return {}
    found = {}
    for officer_id, region_id in Duty.objects.valid_at(now).filter(
            role=Role.STREET_LEADER, region_id__in=list(by_street)).values_list(
            "officer_id", "region_id"):
        found[(officer_id, region_id)] = [
            {"kind": g.kind, "code": g.code, "name": g.name} for g in by_street[region_id]]
    return found
