"""The console's pages inside the admin: the dashboard on the index, the map and its GeoJSON
layers, and the monthly evaluation as XLSX. All are wrapped by ``admin.site.admin_view``
(staff only, login redirect) in ``urls.py``; each checks its model permission here."""

from __future__ import annotations

import re
from typing import NamedTuple

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.templatetags.l10n import unlocalize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridmgmt import clock

from .. import authority, exports
from ..evaluation import LEVEL_LABELS, LEVELS, FutureMonth, check_month, previous_month
from . import mapdata
from .dashboard import dashboard_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _can_see_tasks(user) -> bool:
    return authority.of(user).uses_console


def can_export_evaluation(user) -> bool:
    return authority.of(user).can_see_evaluation()


def last_month() -> str:
    return previous_month(f"{timezone.localdate(clock.now()):%Y-%m}")


def evaluation_context(user) -> dict:
    if not can_export_evaluation(user):
        return {}
    return {"month": last_month(), "url": reverse("console:evaluation-xlsx"),
            "levels": [(level, LEVEL_LABELS[level]) for level in LEVELS]}


def index(request):
    """The admin index with the dashboard above the list of models."""
    extra: dict[str, object] = {"evaluation": evaluation_context(request.user)}
    if _can_see_tasks(request.user):
        extra["dashboard"] = dashboard_for(request.user, now=clock.now())
    response = admin.site.index(request, extra_context=extra)
    response.template_name = "admin/console/index.html"
    return response


def map_page(request):
    if not _can_see_tasks(request.user):
        raise PermissionDenied
    config = {
        "layers": {name: reverse("console:map-layer", args=[name]) for name in mapdata.LAYERS},
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "i18n": {
            "grids": _("Grids"), "roads": _("Roads"), "tasks": _("Open tasks"),
            "hotspots": _("Repeat hotspots"), "open": pgettext("tasks", "Open"),
            "overdue": _("Overdue"),
            "shade": _("Shade grids by"), "openTasks": _("Open tasks"),
            "overdueTasks": _("Overdue tasks"), "showTasks": _("Show the tasks"),
            "occurrences": _("Occurrences"), "stillOpen": _("Still open"),
            "latest": _("Latest"), "assignee": _("Assignee"), "noTiles": _(
                "No background map is configured (MAP_TILE_URL): grids and roads are drawn "
                "on a plain ground."),
            "truncated": _("Only the most urgent tasks are shown."),
            "red": _("Overdue (red)"), "yellow": _("Near the deadline"), "green": _("Within time"),
            "reported": _("Not dispatched"), "on_hold": _("On hold"),
            "submitted": _("To verify"), "legend": _("Legend"),
        },
    }
    context = {
        **admin.site.each_context(request),
        "title": _("Map"),
        "config": config,
        "evaluation": evaluation_context(request.user),
    }
    return TemplateResponse(request, "admin/console/map.html", context)


def map_layer(request, layer: str):
    if not _can_see_tasks(request.user):
        raise PermissionDenied
    builder = mapdata.BUILDERS.get(layer)
    if builder is None:
        raise Http404
    response = JsonResponse(builder(request.user, clock.now()),
                            json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    return response


def evaluation_xlsx(request):
    """The month's evaluation as the XLSX for the review meeting (exports.to_xlsx)."""
    if not can_export_evaluation(request.user):
        raise PermissionDenied
    month = request.GET.get("month") or last_month()
    levels = request.GET.getlist("level") or list(LEVELS)
    if not MONTH.match(month) or any(level not in LEVELS for level in levels):
        return HttpResponseBadRequest(_("Give a month as YYYY-MM and known levels."))
    try:
        check_month(month)
    except FutureMonth as exc:
        return HttpResponseBadRequest(str(exc))
    response = HttpResponse(exports.to_xlsx(month, levels), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="evaluation-{month}.xlsx"'
    return response


def _kind(field: str) -> str:
    """How a column of the evaluation table is formatted."""
    if field.endswith("_rate"):
        return "rate"
    if field in ("score", "points"):
        return "score"
    return {"score_change": "change", "name": "text"}.get(field, "int")


# The same columns, headers and order as the XLSX for the review meeting.
EVALUATION_COLUMNS = [(field, header, _kind(field)) for field, header, _fmt in exports.COLUMNS]


class Cell(NamedTuple):
    """A cell of the evaluation table: its value and kind, and as the page prints them, its
    sort key (unlocalized) and its text (escaped), formatted here once rather than by a chain
    of template tags for each of the table's cells."""

    value: object
    kind: str
    sort: str
    shown: str


def _cell(value, kind: str) -> Cell:
    """As the template formatted it: "–" for nothing, a rate as a whole percentage (widthratio
    by 100), a change signed to two decimals, a score to two decimals, anything else as is."""
    sort = "" if value is None else conditional_escape(unlocalize(value))
    if value is None:
        shown = "–"
    elif kind == "rate":
        shown = f"{round(float(value) / 1.0 * 100)}%"  # {% widthratio value 1 100 %}%
    elif kind in ("change", "score"):
        shown = ("+" if kind == "change" and value > 0 else "") + floatformat(value, 2)
    else:
        shown = conditional_escape(str(localize(value)))
    return Cell(value, kind, sort, shown)


SPANS = ("month", "quarter", "year")


def period_of(month: str, span: str) -> str:
    """The period of ``span`` holding ``month``: the month itself, its quarter or its year."""
    year, mon = month.split("-")
    return {"month": month, "quarter": f"{year}-Q{(int(mon) - 1) // 3 + 1}",
            "year": year}[span]


def evaluation_page(request):
    """The month's (or its quarter's or year's) ranking for one level as a sortable table with a
    chart of the scores, the single-item rankings and, for a month, its 末位 flags and
    corrections."""
    from ..evaluation import (
        check_period,
        evaluate,
        evaluate_period,
        last_two_months,
        single_item_rankings,
    )
    from . import review

    if not can_export_evaluation(request.user):
        raise PermissionDenied
    month = request.GET.get("month") or last_month()
    level = request.GET.get("level") or "street"
    span = request.GET.get("span") or "month"
    if not MONTH.match(month) or level not in LEVELS or span not in SPANS:
        return HttpResponseBadRequest(_("Give a month as YYYY-MM and known levels."))
    period = period_of(month, span)
    try:
        status = check_month(month) if span == "month" else check_period(period)
    except FutureMonth as exc:
        return HttpResponseBadRequest(str(exc))
    flagged: set[int] = set()
    if span == "month":
        meeting = review.evaluation_meeting(request, month, level)
        ranking = meeting["version_rows"] or evaluate(month, level)
        flagged = last_two_months(month, level, rows=ranking)
        corrections = review.month_corrections(request.user, month)
    else:  # a roll-up: no publication, reviews or corrections of its own
        meeting, corrections = {}, []
        ranking = evaluate_period(period, level)
    rows = [row.as_dict() for row in ranking]
    # A unit with nothing registered or due (无数据) says so where its rank would be.
    no_data = str(exports.NO_DATA)
    table: list = [[_cell(value, "text" if value == no_data else kind)  # then TableRows
                    for value, (_field, _header, kind) in zip(
                        exports.cells(row, data), EVALUATION_COLUMNS, strict=True)]
                   for row, data in zip(ranking, rows, strict=True)]
    table = (review.with_review_links(table, ranking, meeting) if meeting
             else [review.TableRow(cells) for cells in table])
    for cells, row in zip(table, ranking, strict=True):
        cells.last_two_months = row.unit_id in flagged
    rows = [r for r in rows if r["has_data"]]  # the chart shows the ranked units
    chart = {"labels": [r["name"] for r in rows], "scores": [r["score"] for r in rows],
             "label": str(_("Composite score"))}
    titles = {"repeats": _("Repeated problems"), "overdue": _("Overdue"),
              "third_party_rate": _("Third-party discovery rate")}
    singles = [(key, titles[key], items)
               for key, items in single_item_rankings(ranking).items()]
    context = {
        **admin.site.each_context(request),
        "title": _("Monthly evaluation") if span == "month" else (
            _("Evaluation of %(period)s") % {"period": period}),
        "month": month, "level": level, "span": span, "period": period,
        "spans": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        "levels": [(key, LEVEL_LABELS[key]) for key in LEVELS],
        "columns": [(field, header) for field, header, _kind in EVALUATION_COLUMNS],
        "table": table, "chart": chart, "singles": singles,
        "corrections": corrections,
        "provisional": status == "provisional",
        "xlsx_url": reverse("console:evaluation-xlsx"),
        "evaluation": evaluation_context(request.user),
        "meeting": meeting,
    }
    return TemplateResponse(request, "admin/console/evaluation.html", context)
