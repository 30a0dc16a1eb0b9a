"""Campaign (专项整治) progress: its tasks open, overdue and closed on time, for the campaign
list (one aggregate query for the page) and the campaign's page, linking to the tasks."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridmgmt.types import AnyUser

from ..models import Campaign
from ..selectors import tasks_visible_to
from ..workflow import CLOCK_RUNNING, OPEN_STATUSES, Status

FIGURES = ("n_all", "n_open", "n_overdue", "n_on_time", "n_late")


def progress_annotations(user: AnyUser, now: datetime) -> dict:
    """Count annotations for a Campaign queryset, limited to the tasks the user may see (so a
    figure matches the task list it links to)."""
    # The scope's subquery is limited to tasks of some campaign (the campaign_id index): as
    # ``tasks__in=<every visible task>`` PostgreSQL hashed the whole scope, a district's million
    # tasks, for a few hundred campaign tasks (1 s at 100k).
    scope = Q() if user.is_superuser else Q(tasks__in=tasks_visible_to(user, at=now).filter(
        campaign__isnull=False).values("pk"))
    live = scope & ~Q(tasks__status=Status.VOID)
    return {
        "n_all": Count("tasks", filter=live),
        "n_open": Count("tasks", filter=scope & Q(tasks__status__in=OPEN_STATUSES)),
        "n_overdue": Count("tasks", filter=scope & Q(tasks__status__in=CLOCK_RUNNING,
                                                     tasks__deadline__lte=now)),
        "n_on_time": Count("tasks", filter=scope & Q(tasks__status=Status.CLOSED,
                                                     tasks__closed_late=False)),
        "n_late": Count("tasks", filter=scope & Q(tasks__status=Status.CLOSED,
                                                  tasks__closed_late=True)),
    }


def _figures(campaign: Campaign) -> dict[str, int] | None:
    if not all(hasattr(campaign, f) for f in FIGURES):
        return None  # a new campaign, or a queryset without the annotations
    return {f: getattr(campaign, f) for f in FIGURES}


def _tasks_url(campaign: Campaign, **params) -> str:
    query = {"campaign__id__exact": campaign.pk, **params}
    return f"{reverse('admin:tasks_app_task_changelist')}?{urlencode(query)}"


def _bar(fig: dict[str, int]) -> str:
    total = max(fig["n_all"], 1)
    parts = [
        ("done", fig["n_on_time"], _("closed on time")),
        ("late", fig["n_late"], _("closed late")),
        ("red", fig["n_overdue"], _("overdue")),
        ("open", fig["n_open"] - fig["n_overdue"], _("open, within time")),
    ]
    segments = format_html_join(
        "", '<span class="seg seg-{}" style="width:{}%" title="{}: {}"></span>',
        ((kind, round(100 * n / total, 1), label, n) for kind, n, label in parts if n > 0))
    return format_html('<span class="cbar">{}</span>', segments)


@admin.display(description=gettext_lazy("progress"))
def progress_column(campaign: Campaign) -> str:
    fig = _figures(campaign)
    if fig is None or not fig["n_all"]:
        return "—"
    closed = fig["n_on_time"] + fig["n_late"]
    return format_html(
        '{}<span class="cbar-legend"><a href="{}">{}</a> · <a href="{}" class="{}">{}</a> · '
        '{}</span>',
        _bar(fig),
        _tasks_url(campaign, progress="open"), _("%(n)d open") % {"n": fig["n_open"]},
        _tasks_url(campaign, progress="overdue"), "red" if fig["n_overdue"] else "",
        _("%(n)d overdue") % {"n": fig["n_overdue"]},
        _("%(on_time)d of %(closed)d closed on time")
        % {"on_time": fig["n_on_time"], "closed": closed},
    )


@admin.display(description=gettext_lazy("progress"))
def progress_panel(campaign: Campaign) -> str:
    fig = _figures(campaign)
    if fig is None:
        return _("Progress is shown once the campaign is saved and has tasks.")
    closed = fig["n_on_time"] + fig["n_late"]
    rate = f"{100 * fig['n_on_time'] / closed:.0f}%" if closed else "—"
    cells = [
        (_("Tasks"), fig["n_all"], _tasks_url(campaign), ""),
        (pgettext("tasks", "Open"), fig["n_open"], _tasks_url(campaign, progress="open"), ""),
        (_("Overdue"), fig["n_overdue"], _tasks_url(campaign, progress="overdue"), "red"),
        (_("Closed on time"), fig["n_on_time"],
         _tasks_url(campaign, status__exact="closed", closed_late__exact=0), "green"),
        (_("Closed late"), fig["n_late"],
         _tasks_url(campaign, status__exact="closed", closed_late__exact=1), "late"),
        (_("On-time rate"), rate, _tasks_url(campaign, status__exact="closed"), ""),
    ]
    tiles = format_html_join(
        "", '<a class="ctile {}" href="{}"><b>{}</b><span>{}</span></a>',
        ((kind, url, value, label) for label, value, url, kind in cells))
    return format_html('<div class="campaign-progress"><div class="ctiles">{}</div>{}</div>',
                       tiles, _bar(fig) if fig["n_all"] else "")
