"""The notification outbox: who is told at each ladder level, and sending what is pending.

Rows are written in the same transaction as the change that causes them and sent afterwards by
a job, so an alert is never lost to a crash and, being unique per (kind, task, level, recipient),
never created twice. Sending claims rows before it sends, so two senders never send one row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
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

def _ladder_duties(tasks: list[Task], now: datetime) -> dict[tuple[str, int], list[Officer]]:
    """Current holders of the ladder roles for all these tasks' places, in one query."""
    roads = {t.road_id for t in tasks if t.road_id}
    communities = {t.grid.community_id for t in tasks}
    streets = {t.grid.community.parent_id for t in tasks}
    districts = {t.grid.community.parent.parent_id for t in tasks if t.grid.community.parent}
    duties = Duty.objects.valid_at(now).filter(
        Q(role=Role.ROAD_CHIEF, road_id__in=roads)
        | Q(role=Role.COMMUNITY_HEAD, region_id__in=communities)
        | Q(role=Role.STREET_LEADER, region_id__in=streets)
        | Q(role=Role.DISTRICT_SUPERVISOR, region_id__in=districts)
    ).select_related("officer").order_by("officer_id")
    holders: dict[tuple[str, int], list[Officer]] = defaultdict(list)
    for duty in duties:
        holders[(duty.role, duty.road_id or duty.region_id)].append(duty.officer)
    return holders


def recipients_for(task: Task, level: int, holders) -> list[Officer]:
    """DESIGN.md's ladder: 0 the assignee; 1 + the road chief (task on a road) or else the
    community head; 2 + the street leader; 3 + the district supervisors."""
    people: list[Officer] = [task.assignee] if task.assignee else []
    if level >= 1:
        chiefs = holders.get((Role.ROAD_CHIEF, task.road_id), []) if task.road_id else []
        people += chiefs or holders.get((Role.COMMUNITY_HEAD, task.grid.community_id), [])
    if level >= 2:
        people += holders.get((Role.STREET_LEADER, task.grid.community.parent_id), [])
    if level >= 3:
        street = task.grid.community.parent
        people += holders.get((Role.DISTRICT_SUPERVISOR, street.parent_id if street else None),
                              [])
    unique: dict[int, Officer] = {}
    for officer in people:
        unique.setdefault(officer.pk, officer)
    return list(unique.values())


def create_alerts(crossings: list[tuple[int, int]], *, now: datetime,
                  kind: str | None = None) -> int:
    """Outbox rows for (task id, level) crossings. Must run inside the crossing's transaction."""
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=[pk for pk, _ in crossings])
             .select_related("assignee", "road", "category", "grid__community__parent__parent")}
    holders = _ladder_duties(list(tasks.values()), now)
    rows = []
    for pk, level in crossings:
        task = tasks[pk]
        people = recipients_for(task, level, holders)
        row_kind = kind or (Notification.Kind.YELLOW_WARNING if level == 0
                            else Notification.Kind.ESCALATION)
        for officer in people:
            rows.append(Notification(
                kind=row_kind, task=task, level=level, recipient=officer, email=officer.email,
                context={"told": [p.pk for p in people]}, created_at=now, next_attempt_at=now,
            ))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(kick_sender)
    return len(rows)


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

    subject, text, html = render_email(row.kind, context_for(row), row.recipient.language)
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
    emails = dict(Officer.objects.filter(pk__in=set(per_officer) | set(per_leader))
                  .values_list("pk", "email"))
    rows = []
    for officer_id in set(per_officer) | set(per_leader):
        as_leader = officer_id in per_leader
        ids = sorted(per_leader[officer_id] | set(per_officer.get(officer_id, []))) \
            if as_leader else sorted(per_officer[officer_id])
        rows.append(Notification(
            kind=Notification.Kind.DIGEST, period=period, recipient_id=officer_id,
            email=emails.get(officer_id, ""), context={"tasks": ids, "as_leader": as_leader},
            created_at=now, next_attempt_at=now))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
