"""What each e-mail says: the template context for an outbox row, built at send time from the
current data (the row itself holds only ids)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from gridmgmt import clock
from gridmgmt.models import Officer

from .models import Notification, Task


def task_url(task: Task) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("mobile:task", args=[task.pk])


def _lateness(task: Task, now) -> dict:
    if task.deadline is None:
        return {"overdue": False, "hours": 0}
    seconds = (now - task.deadline).total_seconds()
    return {"overdue": seconds > 0, "hours": round(abs(seconds) / 3600, 1)}


def context_for(row: Notification) -> dict:
    now = clock.now()
    ctx = {"recipient": row.recipient, "level": row.level, "site_url": settings.SITE_URL,
           "now": timezone.localtime(now)}
    if row.task_id:
        task = row.task
        # Everyone told of this crossing is in the sibling rows of the outbox.
        told = Officer.objects.filter(
            notifications__task=task, notifications__level=row.level,
            notifications__kind=row.kind).exclude(pk=row.recipient_id).order_by("name")
        ctx.update(task=task, url=task_url(task), told=list(told), late=_lateness(task, now),
                   street=task.grid.community.parent, repeat=task.repeat_of_id is not None)
    if row.kind == Notification.Kind.DIGEST:
        tasks = list(Task.objects.filter(pk__in=row.context.get("tasks", []))
                     .select_related("category", "grid", "assignee").order_by("deadline"))
        for t in tasks:
            t.url = task_url(t)
            t.late = _lateness(t, now)
        ctx.update(tasks=tasks, as_leader=row.context.get("as_leader", False),
                   period=row.period)
    if row.kind == Notification.Kind.MONTHLY_REPORT:
        from .reports import email_context

        ctx.update(email_context(row))
    return ctx
