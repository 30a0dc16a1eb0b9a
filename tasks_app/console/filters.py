"""Task list filters of the console. Place filters narrow each other: a chosen street lists its
communities, a chosen community its grids (a district has too many grids for one list)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridmgmt import clock
from gridmgmt.models import Grid, Region

from . import queues, states

MAX_LISTED_GRIDS = 30


class ProgressFilter(admin.SimpleListFilter):
    """Where tasks stand now: the dashboard's figures link here."""

    title = _("progress")
    parameter_name = "progress"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("tasks", "Open")),
            ("overdue", _("Overdue now (red)")),
            ("yellow", _("Near the deadline (yellow)")),
            ("green", _("Within the time limit (green)")),
            ("late", _("Missed the deadline")),
            ("new_week", _("Reported this week")),
            ("closed_week", _("Closed this week")),
            ("late_week", _("Missed the deadline this week")),
        ]

    def queryset(self, request, queryset):
        q = progress_q(self.value())
        return queryset if q is None else queryset.filter(q)


def progress_q(value: str | None):
    now = clock.now()
    week = states.week_start(now)
    return {
        "open": lambda: states.OPEN,
        "overdue": lambda: states.overdue(now),
        "yellow": lambda: states.yellow(now),
        "green": lambda: states.green(now),
        "late": lambda: states.late(now),
        "new_week": lambda: states.reported_since(week),
        "closed_week": lambda: states.closed_since(week),
        "late_week": lambda: states.late_since(week, now),
    }.get(value or "", lambda: None)()


def _row_id(value: str) -> int:
    # A hand-edited URL (?grid=abc, a NUL) is the admin's "invalid lookup" page, not a 500.
    if not str(value).isdigit() or len(str(value)) > 18:
        raise IncorrectLookupParameters(value)
    return int(value)


class CommunityFilter(admin.SimpleListFilter):
    title = _("community")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        qs = Region.objects.filter(level=Region.Level.COMMUNITY)
        street = request.GET.get("street", "")
        if street.isdigit():
            qs = qs.filter(parent_id=street)
        return qs.order_by("code").values_list("pk", "name")

    def queryset(self, request, queryset):
        if value := self.value():
            return queryset.filter(grid__community_id=_row_id(value))
        return queryset


class GridFilter(admin.SimpleListFilter):
    title = _("grid")
    parameter_name = "grid"

    def lookups(self, request, model_admin):
        qs = Grid.objects.order_by("code")
        community, street = request.GET.get("community", ""), request.GET.get("street", "")
        if community.isdigit():
            qs = qs.filter(community_id=community)
        elif street.isdigit():
            qs = qs.filter(community__parent_id=street)
        grids = list(qs.values_list("pk", "code", "name")[:MAX_LISTED_GRIDS + 1])
        if len(grids) > MAX_LISTED_GRIDS:
            # Too many to list: choose a street or community first. A grid chosen elsewhere (a
            # link from the map) is still listed, so its filter applies and shows.
            chosen = self.value() if str(self.value()).isdigit() else None
            grids = list(Grid.objects.filter(pk=chosen).values_list("pk", "code", "name")) \
                if chosen else []
        return [(pk, f"{code} {name}") for pk, code, name in grids]

    def queryset(self, request, queryset):
        if value := self.value():
            return queryset.filter(grid_id=_row_id(value))
        return queryset


class EscalationLevelFilter(admin.SimpleListFilter):
    """The escalation ladder's levels in words (the field stores -1 for "not escalated")."""

    title = _("escalation level")
    parameter_name = "escalation_level__exact"  # the field filter's name: old links keep working

    def lookups(self, request, model_admin):
        return [
            ("-1", pgettext_lazy("escalation level", "None")),
            ("0", _("Yellow warning")),
            ("1", _("Level 1")),
            ("2", _("Level 2")),
            ("3", _("Level 3 (supervised)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {"-1", "0", "1", "2", "3"}:
            return queryset.filter(escalation_level=int(value))
        return queryset


class QueueFilter(admin.SimpleListFilter):
    """The supervisors' queues (待派遣, 待核查, 延期申请, 挂账, 督办, 返工), each listed most urgent
    first (``TaskAdmin.get_ordering`` reads ``queue_ordering``)."""

    title = _("queue")
    parameter_name = queues.PARAM

    def lookups(self, request, model_admin):
        return [(queue.key, queue.label) for queue in queues.QUEUES]

    def queryset(self, request, queryset):
        queue = queues.BY_KEY.get(self.value() or "")
        return queryset if queue is None else queryset.filter(queue.q)


def queue_ordering(request) -> tuple | None:
    """A queue's order of urgency, when the list shows a queue and no column was chosen."""
    queue = queues.BY_KEY.get(request.GET.get(queues.PARAM, ""))
    if queue is None or request.GET.get("o"):
        return None
    return queue.ordering
