"""Columns of the console's task list: light, ladder level, time left, repeats and 督办, as
small badges. Each reads only the row's own fields, so the list's queries do not grow with it."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridmgmt import clock

from ..models import Task
from ..workflow import Status
from . import states

LIGHT_LABELS = {"green": gettext_lazy("Green"), "yellow": gettext_lazy("Yellow"),
                "red": gettext_lazy("Red")}


def badge(text, kind: str, title: str = "") -> SafeString:
    return format_html('<span class="cbadge cbadge-{}" title="{}">{}</span>', kind, title, text)


def human_duration(delta: timedelta) -> str:
    """Days and hours, or hours and minutes, or minutes: "2天3小时", "3小时20分钟"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


@admin.display(description=gettext_lazy("light"), ordering="light")
def light_badge(task: Task) -> str:
    light = states.live_light(task.status, task.deadline, task.yellow_at, clock.now())
    if light is None:
        return "—"
    return badge(LIGHT_LABELS[light], light)


@admin.display(description=gettext_lazy("level"), ordering="escalation_level")
def level_badge(task: Task) -> str:
    parts = []
    level = task.escalation_level
    if level == 0:
        parts.append(badge(_("Warned"), "level0", _("Yellow warning sent")))
    elif level > 0:
        parts.append(badge(f"L{level}", f"level{min(level, 3)}",
                           _("Escalation level %(level)d") % {"level": level}))
    if task.supervised:
        parts.append(badge(_("Supervised"), "supervised", _("Supervised by the district (督办)")))
    return format_html("{}", SafeString(" ".join(parts))) if parts else "—"


@admin.display(description=gettext_lazy("time left"), ordering="deadline")
def time_left(task: Task) -> str:
    now = clock.now()
    status = task.status
    if status == Status.REPORTED:
        return badge(_("Not dispatched"), "muted")
    if status == Status.VOID:
        return "—"
    if status == Status.CLOSED:
        return badge(_("Closed late"), "late") if task.closed_late \
            else badge(pgettext("badge", "Closed on time"), "done")
    if status == Status.ON_HOLD:
        return badge(_("On hold"), "muted", _("The clock is stopped while on hold."))
    if task.deadline is None:
        return "—"
    if status == Status.SUBMITTED:
        late = task.submitted_at is not None and task.submitted_at > task.deadline
        return badge(_("Fixed late, to verify") if late else _("Fixed, to verify"),
                     "late" if late else "verify")
    if now >= task.deadline:
        return badge(_("Overdue %(time)s") % {"time": human_duration(now - task.deadline)},
                     "red")
    light = states.live_light(status, task.deadline, task.yellow_at, now)
    return badge(_("%(time)s left") % {"time": human_duration(task.deadline - now)},
                 "yellow" if light == "yellow" else "plain")


@admin.display(description=gettext_lazy("repeat"), ordering="repeat_seq")
def repeat_mark(task: Task) -> str:
    if task.repeat_of_id is None:
        return ""
    url = reverse("admin:tasks_app_task_change", args=[task.repeat_of_id])
    return format_html(
        '<a href="{}" class="cbadge cbadge-repeat" title="{}">{}</a>', url,
        _("Repeat of an earlier problem at this place; opens the previous occurrence."),
        _("Repeat ×%(n)d") % {"n": task.repeat_seq})


@admin.display(description=gettext_lazy("grid"), ordering="grid__code")
def grid_name(task: Task) -> str:
    return format_html('<span title="{}">{}</span>', task.grid.code, task.grid.name)


@admin.display(description=gettext_lazy("photo"))
def photo_preview(photo) -> str:
    # Through the officers' scoped photo view: media files are never served openly.
    url = reverse("mobile:photo", args=[photo.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">'
                       '<img src="{}" alt="{}" class="photo-thumb" loading="lazy"></a>',
                       url, url, photo.get_kind_display())
