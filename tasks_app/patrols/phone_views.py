"""The phone's patrol pages under /m/patrol/: start, the running patrol (GPS check-ins sent by
patrol.js, queued by the service worker when offline), end, and my patrols with their routes."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridmgmt import clock
from gridmgmt.types import AuthedRequest
from tasks_app import authority
from tasks_app.errors import DomainError
from tasks_app.inputs import DateTimeField
from tasks_app.mobile.common import done, officer_login_required, refused
from tasks_app.mobile.idempotency import clean_key

from . import route, selectors, services
from .models import Patrol


class CheckInForm(forms.Form):
    # Numbers are checked by the service (one message for every channel); NUL is refused here.
    lng = forms.CharField(max_length=40)
    lat = forms.CharField(max_length=40)
    accuracy = forms.CharField(max_length=40, required=False)
    at = DateTimeField(required=False)
    key = forms.CharField(max_length=64, required=False)


def _patrol_or_404(request: HttpRequest, pk: int) -> Patrol:
    scope = authority.of(request.user).patrol_filter()
    rows = Patrol.objects.select_related("officer")
    if scope is not None:
        rows = rows.filter(scope)
    try:
        return rows.get(pk=pk)
    except Patrol.DoesNotExist as exc:
        raise Http404(_("No such patrol.")) from exc


@officer_login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Start a patrol (or go back to the running one), my places' coverage, my patrols."""
    now = clock.now()
    who = authority.of(request.user, at=now)
    allowed = who.can_patrol()
    context: dict = {"allowed": allowed, "now": now}
    if allowed:
        grids, roads = who.patrol_scope()
        places = selectors.coverage(grids=grids.filter(pk__in=sorted(who.area.grids)),
                                    roads=sorted(who.area.roads), now=now)
        patrols = selectors.patrols_of(scope=who.patrol_filter())
        context.update(places=places, patrols=patrols,
                       running=next((p for p in patrols if p.is_running), None))
    return render(request, "patrols/home.html", context, status=200 if allowed else 403)


@require_POST
@officer_login_required
def start(request: AuthedRequest) -> HttpResponse:
    try:
        patrol, running = services.patrol_start(actor=request.user)
    except DomainError as exc:
        return refused(request, reverse("patrols:home"), [exc.message], exc.http_status)
    return done(request, reverse("patrols:patrol", args=[patrol.pk]),
                _("Your patrol is still running.") if running else _("Patrol started."))


@officer_login_required
def patrol_page(request: AuthedRequest, pk: int) -> HttpResponse:
    patrol = _patrol_or_404(request, pk)
    context = {"patrol": patrol, "places": list(patrol.places.select_related("road", "grid")
                                                .order_by("first_at")),
               "findings": list(patrol.findings.select_related("task__category")
                                .order_by("task__reported_at")),
               "drawing": route.drawing(patrol),
               "interval": route.check_in_seconds()}
    return render(request, "patrols/patrol.html", context)


@require_POST
@officer_login_required
def check_in(request: AuthedRequest, pk: int) -> HttpResponse:
    """One GPS point from patrol.js (JSON both ways; a replay with the same key is a no-op)."""
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": [e for errs in form.errors.values() for e in errs]},
                            status=400)
    d = form.cleaned_data
    try:
        point, replayed = services.patrol_check_in(
            patrol=pk, actor=request.user, lng=d["lng"], lat=d["lat"], at=d["at"],
            accuracy=d["accuracy"], key=clean_key(d["key"]))
    except DomainError as exc:
        return JsonResponse({"errors": [exc.message], "code": exc.code}, status=exc.http_status)
    patrol = point.patrol
    patrol.refresh_from_db()
    return JsonResponse({
        "replayed": replayed, "check_ins": patrol.check_in_count,
        "distance_m": round(patrol.distance_m), "counted": point.counted,
        "places": [str(p.road or p.grid) for p in patrol.places.select_related("road", "grid")
                   .order_by("first_at")],
    })


@require_POST
@officer_login_required
def end(request: AuthedRequest, pk: int) -> HttpResponse:
    url = reverse("patrols:patrol", args=[pk])
    try:
        patrol, already = services.patrol_end(patrol=pk, actor=request.user)
    except DomainError as exc:
        return refused(request, url, [exc.message], exc.http_status)
    if already:
        return done(request, url)
    return done(request, url, _("Patrol ended: %(km)s km, %(n)d roads and grids covered.") % {
        "km": f"{patrol.distance_m / 1000:.2f}", "n": patrol.places.count()})
