"""The public board (公示), no login: pick a district, then a district's, street's or
community's month: problems by category with their public time limits (办事时限), how many were
closed on time, recent results with after photos, a map, and the published ranking with its
review. Every figure comes from ``board_selectors`` (cached per unit and month); a photo leaves
only as ``photos.public_copy`` (no EXIF, no GPS)."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gridmgmt.models import Region

from ..evaluation import month_bounds, previous_month
from ..models import Category, Decision
from ..photos import public_copy
from . import board_selectors as selectors

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _headers(response: HttpResponse, seconds: int = 300) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={seconds}"
    response["Referrer-Policy"] = "same-origin"
    return response


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    districts = selectors.districts()
    return _headers(render(request, "public/board_index.html", {"districts": districts}))


def _next_month(month: str) -> str | None:
    """The month after ``month``, unless that has not begun."""
    _start, end = month_bounds(month)
    following = f"{end:%Y-%m}"
    return None if following > selectors.month_of() else following


def _decision(code: str) -> str:
    try:
        return str(Decision.Kind(code).label)
    except ValueError:
        return code


def _reviews(ranking) -> list[dict]:
    """The cached reviews with each decision named in the reader's language."""
    if ranking is None:
        return []
    return [{**r, "decisions": [{**d, "label": _decision(d["kind"])} for d in r["decisions"]]}
            for r in ranking.reviews]


def _time_unit(code: str) -> str:
    try:
        return str(Category.TimeUnit(code).label)
    except ValueError:
        return code


@require_safe
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    region = (Region.objects.select_related("parent__parent").filter(pk=pk).first())
    if region is None:
        raise Http404(_("No such district, street or community."))
    month = request.GET.get("month") or selectors.month_of()
    if not MONTH.match(month):
        return HttpResponseBadRequest(_("The month must be written YYYY-MM."))
    if month > selectors.month_of():
        raise Http404(_("%(month)s has not begun.") % {"month": month})
    data = selectors.board(region, month)
    figures = [{**f, "time_unit_label": _time_unit(f["time_unit"])} for f in data["figures"]]
    trail: list[Region] = []
    node = region.parent
    while node is not None:
        trail.insert(0, node)
        node = node.parent
    return _headers(render(request, "public/board_unit.html", {
        "unit": region, "trail": trail, "children": selectors.children(region),
        "month": month, "current_month": month == selectors.month_of(),
        "previous_month": previous_month(month), "next_month": _next_month(month),
        "figures": figures, "totals": data["totals"], "results": data["results"],
        "markers": data["markers"], "ranking": data["ranking"],
        "reviews": _reviews(data["ranking"]),
        "map_config": {"markers": data["markers"], "tileUrl": settings.MAP_TILE_URL,
                       "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
                       "resultUrl": reverse("public:board_result", args=[0]),
                       "open": _("open"), "closed": _("closed")},
    }))


@require_safe
def result(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.result(pk)
    if found is None:
        raise Http404(_("No such published result."))
    found["time_unit_label"] = _time_unit(found["time_unit"])
    return _headers(render(request, "public/board_result.html", {"result": found}))


@require_safe
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """An after photo of a published result, as a copy with no metadata."""
    found = selectors.photo_for_public(pk)
    if found is None:
        raise Http404(_("No such published photo."))
    ext = found.image.name.rsplit(".", 1)[-1].lower()
    # public_copy keeps the stored format (validate_photo named the file after it), else JPEG.
    response = HttpResponse(public_copy(found), content_type=CONTENT_TYPES.get(ext, "image/jpeg"))
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return _headers(response, 3600)
