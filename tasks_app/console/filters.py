"""Task list filters of the console. Place filters narrow each other: a chosen street lists its
communities, a chosen community its grids (a district has too many grids for one list)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
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


# -- the list's count and date drill-down, without reading every task in scope -----------------

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` + 1 rows (``SELECT count(*) FROM (… LIMIT 10001)``): a
    district's list says "more than 10,000" rather than counting a million tasks on each page
    (the count read every task in scope). ``capped`` says whether the true count is larger;
    pages run up to the cap."""

    capped = False

    @cached_property
    def count(self) -> int:
        tasks = cast("QuerySet[Any]", self.object_list)  # the admin pages a queryset
        n = tasks.order_by()[:COUNT_CAP + 1].count()
        if n > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return n


def date_drilldown(cl) -> dict | None:
    """The date hierarchy's links (Django's ``date_hierarchy`` tag's context) without reading
    the tasks in scope: Django's asks the database for the distinct years (then months, days)
    of every task in scope, a scan of the whole table for a district. Here the years run from
    the first report on record (one indexed MIN over the table) to this year, a year lists its
    months up to now, a month its days up to today; choosing one filters the list as before."""
    import datetime

    from django.contrib.admin.views.main import ChangeList
    from django.db.models import Min
    from django.utils import formats, timezone
    from django.utils.text import capfirst

    if not isinstance(cl, ChangeList) or not cl.date_hierarchy:
        return None
    field = cl.date_hierarchy
    year_field, month_field, day_field = (f"{field}__year", f"{field}__month", f"{field}__day")
    generic = f"{field}__"

    def number(key: str) -> int | None:
        value = cl.params.get(key)
        value = value[-1] if isinstance(value, list) else value
        return int(value) if value is not None and str(value).isdigit() else None

    def link(filters: dict) -> str:
        return cl.get_query_string(filters, [generic])

    today = timezone.localdate(clock.now())
    year, month, day = number(year_field), number(month_field), number(day_field)
    if year and month and day:
        try:
            chosen = datetime.date(year, month, day)
        except ValueError:
            return None
        return {"show": True,
                "back": {"link": link({year_field: year, month_field: month}),
                         "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT"))},
                "choices": [{"title": capfirst(formats.date_format(chosen,
                                                                   "MONTH_DAY_FORMAT"))}]}
    if not year:
        first = cl.model._default_manager.aggregate(first=Min(field))["first"]
        first_year = timezone.localtime(first).year if first else today.year
        if first_year < today.year:
            return {"show": True, "back": None,
                    "choices": [{"link": link({year_field: str(y)}), "title": str(y)}
                                for y in range(first_year, today.year + 1)]}
        year = today.year
    if year and month and 1 <= month <= 12:
        start = datetime.date(year, month, 1)
        days = [start + datetime.timedelta(days=i) for i in range(31)]
        days = [d for d in days if d.month == month and d <= today]
        return {"show": True, "back": {"link": link({year_field: year}), "title": str(year)},
                "choices": [{"link": link({year_field: year, month_field: month,
                                           day_field: d.day}),
                             "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT"))}
                            for d in days]}
    months = [datetime.date(year, m, 1) for m in range(1, 13)
              if datetime.date(year, m, 1) <= today]
    return {"show": True, "back": {"link": link({}), "title": _("All dates")},
            "choices": [{"link": link({year_field: year, month_field: m.month}),
                         "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT"))}
                        for m in months]}
