"""The registration desk (立案): the console's page for finds by others (the 12345 hotline, a city
inspection, a third-party evaluator, the media). The desk user picks the channel, the category
and the place; before anything is saved the page shows the open tasks of the same category
within the category's repeat radius and window, so a second call about a registered problem is
recorded on that task (``services.task_record_call``) rather than registered twice.

Who may use it, and which sources they may claim, is authority's answer
(``report_sources(Channel.DESK)``); the services write. Both views are wrapped by
``admin.site.admin_view`` in ``urls.py``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.geocode import place_named
from gridmgmt.services import locate
from gridmgmt.types import AuthedRequest

from .. import authority, services
from ..authority import Authority, Channel
from ..errors import DomainError
from ..mobile.idempotency import earlier_result, run_once
from ..models import Category, Task
from ..selectors import earlier_occurrences
from .desk_forms import DeskForm, new_key
from .links import task_url

MAX_NEARBY = 20


def _desk_authority(request: HttpRequest) -> tuple[Authority, tuple[str, ...]]:
    auth = authority.of(request.user)
    sources = auth.report_sources(Channel.DESK)
    if not sources:
        raise PermissionDenied
    return auth, sources


def open_nearby(auth: Authority, *, category: Category, lng: float, lat: float) -> list[Task]:
    """The open tasks of ``category`` within its repeat radius and window that the user can
    see, newest first: the candidates for a duplicate call."""
    earlier = earlier_occurrences(category=category, lng=lng, lat=lat, at=clock.now())
    ids = [t.pk for t in earlier if t.is_open][:MAX_NEARBY]
    found = {t.pk: t for t in auth.tasks().filter(pk__in=ids).select_related(
        "category", "grid", "road", "assignee")}
    return [found[pk] for pk in ids if pk in found]


def _outside_area(auth: Authority, location) -> bool:
    return not auth.grids().filter(pk=location.grid.pk).exists()


def _nearby_context(tasks: list[Task]) -> dict:
    return {"nearby": [{"task": t, "url": task_url(t.pk)} for t in tasks],
            "seen": ",".join(str(t.pk) for t in tasks)}


@transaction.atomic
def _register(request: AuthedRequest, data: dict) -> Task:
    location = data["location"]
    task = services.task_report(
        reporter=request.user, category=data["category"], lng=location.lng, lat=location.lat,
        address=data["address"], description=data["description"], source=data["source"],
        channel=Channel.DESK, photos=data["photos"])
    if data["contact"]:
        # The caller's contact goes into the record of the call, never into the description
        # (which the public board and Open311 show).
        task = services.task_record_call(task=task, actor=request.user, source=data["source"],
                                         contact=data["contact"])
    return task


def _done(task: Task, replayed: bool, linked: bool) -> str:
    return f"{reverse('console:desk')}?{'linked' if linked else 'registered'}={task.pk}" \
        + ("&again=1" if replayed else "")


def desk(request: AuthedRequest) -> HttpResponse:
    auth, sources = _desk_authority(request)
    status, nearby = 200, None
    if request.method == "POST":
        form = DeskForm(request.POST, request.FILES, sources=sources)
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            earlier = earlier_result(request.user, d["key"])
            if earlier is not None:
                # Sent twice (a double click, a reload): the first result, nothing new.
                return redirect(_done(earlier, True, bool(d["link"])))
            if not d["link"] and _outside_area(auth, d["location"]):
                form.add_error(None, _("This place is outside your area: pass the call to the "
                                       "desk that covers it."))
                status = 403
            elif not d["link"]:
                nearby = open_nearby(auth, category=d["category"], lng=d["location"].lng,
                                     lat=d["location"].lat)
                unseen = [t for t in nearby if t.pk not in d["seen"]]
                if unseen:
                    # The page had not shown them: show them now and let the user choose.
                    form.add_error(None, _(
                        "Open tasks of the same category are nearby: record the call on one "
                        "of them, or register it as new."))
                    if d["photos"]:
                        form.add_error("photos", _("Attach the photos again."))
                    status = 409
            if form.is_valid():
                return _submit(request, auth, form)
    else:
        form = DeskForm(sources=sources)
    return _page(request, auth, form, nearby, status)


def _submit(request: AuthedRequest, auth: Authority, form: DeskForm) -> HttpResponse:
    d = form.cleaned_data
    try:
        if d["link"]:
            linked = auth.tasks().filter(pk=d["link"]).first()
            if linked is None:
                raise DomainError("not_found", _("No such task in your area."))
            task, replayed = run_once(
                user=request.user, key=d["key"], action="desk_call",
                work=lambda: services.task_record_call(
                    task=linked, actor=request.user, source=d["source"], note=d["description"],
                    contact=d["contact"]))
        else:
            task, replayed = run_once(user=request.user, key=d["key"], action="desk_report",
                                      work=lambda: _register(request, d))
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, auth, form, None, exc.http_status)
    return redirect(_done(task, replayed, bool(d["link"])))


def _page(request: HttpRequest, auth: Authority, form: DeskForm, nearby: list[Task] | None,
          status: int) -> TemplateResponse:
    if form.is_bound and form.errors:
        # Nothing was written: the same key may be sent again once the form is corrected.
        posted = form.data
        assert isinstance(posted, QueryDict)  # bound to request.POST
        form.data = data = posted.copy()
        data["key"] = form.cleaned_data.get("key") or new_key()
        if nearby is not None:
            data["seen"] = ",".join(str(t.pk) for t in nearby)
    context = {
        **admin.site.each_context(request),
        "title": _("Registration desk"),
        "form": form,
        "fields": [form[name] for name in ("category", "address", "description", "contact",
                                           "photos")],
        "nearby": _nearby_context(nearby) if nearby is not None else None,
        "done": _done_panel(request, auth),
        "config": {
            "grids": reverse("console:map-layer", args=["grids"]),
            "roads": reverse("console:map-layer", args=["roads"]),
            "preview": reverse("console:desk-nearby"),
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "i18n": {"picked": _("Picked here"), "failed": _("Could not check the place.")},
        },
    }
    return TemplateResponse(request, "admin/console/desk.html", context, status=status)


def _done_panel(request: HttpRequest, auth: Authority) -> dict | None:
    for param, linked in (("registered", False), ("linked", True)):
        raw = request.GET.get(param, "")
        if raw.isdigit():
            task = auth.tasks().filter(pk=int(raw)).select_related(
                "category", "grid", "road", "assignee").first()
            if task is not None:
                return {"task": task, "url": task_url(task.pk), "linked": linked,
                        "again": request.GET.get("again") == "1"}
    return None


def nearby(request: HttpRequest) -> HttpResponse:
    """The preview before saving: where the place is (grid, road) and the open tasks of the
    category nearby, as an HTML fragment and the ids it lists."""
    auth, _sources = _desk_authority(request)
    pk, lng, lat = (request.GET.get(k, "") for k in ("category", "lng", "lat"))
    address = request.GET.get("address", "")[:255]
    category = Category.objects.filter(pk=pk, is_active=True).first() if pk.isdigit() else None
    context: dict = {"category": category}
    point: tuple[object, object] | None = None
    if lng and lat:
        point = (lng, lat)
    elif address.strip() and "\x00" not in address:
        place = place_named(address)
        if place is not None:
            point = (place.lng, place.lat)
    if point is None:
        context["error"] = _("Pick the place on the map, or give an address that names a road "
                             "or a grid we know.")
        return _fragment(request, context, [], None, status=400)
    try:
        location = locate(*point)
    except DomainError as exc:
        context["error"] = exc.message
        return _fragment(request, context, [], None, status=exc.http_status)
    context["location"] = location
    context["outside"] = _outside_area(auth, location)
    found = [] if category is None else open_nearby(
        auth, category=category, lng=location.lng, lat=location.lat)
    context.update(_nearby_context(found))
    return _fragment(request, context, found, location)


def _fragment(request, context: dict, found: list[Task], location, status: int = 200):
    html = render_to_string("admin/console/desk_nearby.html", context, request=request)
    body = {"html": html, "ids": [t.pk for t in found]}
    if location is not None:
        body.update(lng=location.lng, lat=location.lat, grid=location.grid.pk)
    return JsonResponse(body, status=status)
