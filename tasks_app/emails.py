"""What each e-mail says: the template context for an outbox row, built at send time from the
current data (the row itself holds only ids)."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridmgmt import clock
from gridmgmt.models import Officer
from gridmgmt.worktime import NaturalTime, clock_for

from .models import Notification, Task


def task_url(task: Task) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("mobile:task", args=[task.pk])


def _day_seconds(clock_) -> float:
    """A working day's length in this calendar (its first working weekday's periods)."""
    if isinstance(clock_, NaturalTime):
        return 24 * 3600
    for weekday in range(7):
        spans = clock_.weekly.get(weekday) or []
        total = sum((datetime.combine(date.min, e) - datetime.combine(date.min, s)).seconds
                    for s, e in spans)
        if total:
            return total
    return 8 * 3600


def _duration_text(seconds: float, day: float, *, working: bool) -> str:
    days, rest = divmod(abs(seconds), day)
    hours = f"{rest / 3600:.1f}".removesuffix(".0")
    if not days:
        return (_("%(hours)s working hours") if working else _("%(hours)s hours")) % {
            "hours": hours}
    text = (ngettext("%(days)d working day", "%(days)d working days", int(days)) if working
            else ngettext("%(days)d day", "%(days)d days", int(days))) % {"days": days}
    if hours != "0":
        text += " " + (_("%(hours)s working hours") if working else _("%(hours)s hours")) % {
            "hours": hours}
    return text


def _lateness(task: Task, now, clocks: dict | None = None) -> dict:
    """How late a task is, counted in its category's time: working days and hours of the
    work calendar for working-time categories, days and hours for natural-hour ones."""
    if task.deadline is None:
        return {"overdue": False, "hours": 0, "text": ""}
    clocks = {} if clocks is None else clocks
    unit = task.category.time_unit
    if unit not in clocks:
        clocks[unit] = clock_for(unit, timezone.localtime(now).date())
    clock_ = clocks[unit]
    seconds = clock_.between(task.deadline, now)
    working = not isinstance(clock_, NaturalTime)
    return {"overdue": now > task.deadline, "hours": round(abs(seconds) / 3600, 1),
            "text": _duration_text(seconds, _day_seconds(clock_), working=working)}


# Other apps' kinds add their own context: kind → function(row) → dict (tasks_app.patrols: a road
# or grid overdue for a patrol).
EXTRA_CONTEXT: dict = {}


def context_for(row: Notification) -> dict:
    now = clock.now()
    ctx = {"recipient": row.recipient, "level": row.level, "site_url": settings.SITE_URL,
           "now": timezone.localtime(now)}
    task = row.task if row.task_id else None
    if task is not None:
        # Everyone told of this crossing is in the sibling rows of the outbox.
        told = Officer.objects.filter(
            notifications__task=task, notifications__level=row.level,
            notifications__kind=row.kind).exclude(pk=row.recipient_id).order_by("name")
        ctx.update(task=task, url=task_url(task), told=list(told), late=_lateness(task, now),
                   street=task.grid.community.parent, repeat=task.repeat_of_id is not None)
    if row.kind == Notification.Kind.DIGEST:
        tasks = list(Task.objects.filter(pk__in=row.context.get("tasks", []))
                     .select_related("category", "grid", "assignee").order_by("deadline"))
        clocks: dict = {}
        for t in tasks:
            # For the template: attributes a Task does not declare.
            t.url = task_url(t)  # type: ignore[attr-defined]
            t.late = _lateness(t, now, clocks)  # type: ignore[attr-defined]
        ctx.update(tasks=tasks, as_leader=row.context.get("as_leader", False),
                   period=row.period, gaps=row.context.get("gaps", []))
    if row.kind in EXTRA_CONTEXT:
        ctx.update(EXTRA_CONTEXT[row.kind](row))
    if row.kind == Notification.Kind.MONTHLY_REPORT:
        from .reports import email_context

        ctx.update(email_context(row))
    return ctx
