"""Citizen reporting on the web, no login: the report form (a place on the map or from the
phone, a category, photos, a description, a phone or e-mail for feedback), the open problems
nearby before sending, the follow page with the result and the rating, and a problem's public
page. Writes go through .services; what is shown through .citizen_selectors."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridmgmt import clock
from tasks_app.errors import DomainError
from tasks_app.lockout import client_address
from tasks_app.models import Category

from . import citizen_selectors as sel
from . import services, throttles
from .forms import RatingForm, ReportForm
from .models import CitizenReport


def _private(response: HttpResponse) -> HttpResponse:
    # The follow page's address is its key: no cache keeps it, no search engine lists it.
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _nearby_context(nearby: sel.Nearby) -> dict:
    return {"nearby": [{"task": t, "url": reverse("public:problem", args=[t.code]),
                        "status": sel.status_words(t)} for t in nearby.public],
            "internal": nearby.internal}


def _map_config() -> dict:
    frame = sel.map_frame()
    return {**frame, "nearby": reverse("public:report-nearby"),
            "tileUrl": settings.MAP_TILE_URL, "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "i18n": {"picked": _("The problem is here"), "failed": _(
                "Could not check for problems nearby; you can still send the report."),
                     "noGps": _("Your phone did not give its position: pick the place on "
                                "the map.")}}


def _page(request: HttpRequest, form: ReportForm, *, status: int = 200,
          nearby: sel.Nearby | None = None, refusal: str = "") -> HttpResponse:
    # The ids of the open problems this page shows: sent back, they say the citizen saw them.
    seen = ",".join(str(t.pk) for t in nearby.public) if nearby is not None else (
        form["seen"].value() or "")
    context = {"form": form, "config": _map_config(), "refusal": refusal, "seen": seen,
               "nearby": _nearby_context(nearby) if nearby is not None else None,
               "max_photos": services.MAX_PHOTOS}
    return _private(TemplateResponse(request, "public/report.html", context, status=status))


def _refuse(request: HttpRequest, form: ReportForm, message: str, status: int) -> HttpResponse:
    return _page(request, form, status=status, refusal=message)


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, ReportForm())
    if not throttles.hit(throttles.address_limit(), client_address(request) or ""):
        # Refused before the photos are decoded; the form is drawn again as it was sent.
        return _refuse(request, ReportForm(initial=request.POST.dict()), _(
            "Too many reports from your address. Try again later."), 429)
    form = ReportForm(request.POST, request.FILES)
    if form.is_robot:
        # Only a robot fills the hidden field; nothing is written.
        return _refuse(request, ReportForm(), _("The report could not be accepted."), 400)
    if not form.is_valid():
        return _page(request, form, status=400)
    d = form.cleaned_data
    contacts = [c for c in (d["phone"], (d["email"] or "").lower()) if c]
    if any(throttles.exceeded(throttles.contact_limit(), c) for c in contacts):
        return _refuse(request, form, _("Too many reports with this phone number or e-mail "
                                        "today. Try again tomorrow."), 429)
    location = d["location"]
    nearby = sel.open_nearby(category=d["category"], lng=location.lng, lat=location.lat,
                             at=clock.now())
    if any(t.pk not in d["seen"] for t in nearby.public):
        # The page had not shown them (no script, or a place changed): show them first.
        form.add_error(None, _("This problem may already be reported: follow it below, or "
                               "send yours if it is a different problem."))
        if d["photos"]:
            form.add_error("photos", _("Attach the photos again."))
        return _page(request, form, status=409, nearby=nearby)
    try:
        filed, key = services.citizen_report(
            category=d["category"], lng=location.lng, lat=location.lat,
            description=d["description"], address=d["address"], photos=d["photos"],
            email=d["email"], phone=d["phone"], language=translation.get_language())
    except DomainError as exc:
        return _refuse(request, form, exc.message, exc.http_status)
    for contact in contacts:
        throttles.hit(throttles.contact_limit(), contact)
    return redirect(reverse("public:follow", args=[key]) + "?new=1")


@require_GET
def report_nearby(request: HttpRequest) -> HttpResponse:
    """The open problems of a category around a point, as the form's panel (HTML) and the ids
    it lists, so the citizen sees them before sending."""
    try:
        category = Category.objects.get(pk=int(request.GET.get("category", "")),
                                        is_active=True)
        lng, lat = float(request.GET["lng"]), float(request.GET["lat"])
    except (ValueError, KeyError, Category.DoesNotExist):
        return JsonResponse({"error": _("Choose a category and pick the place.")}, status=400)
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        return JsonResponse({"error": _("Pick the place on the map.")}, status=400)
    nearby = sel.open_nearby(category=category, lng=lng, lat=lat, at=clock.now())
    html = render_to_string("public/report_nearby.html", _nearby_context(nearby),
                            request=request)
    return JsonResponse({"html": html, "ids": [t.pk for t in nearby.public]})


def _problem_context(task) -> dict:
    return {"task": task, "status": sel.status_words(task),
            "time_limit": sel.time_limit_text(task.category),
            # Served by the board's photo view: public copies, without EXIF.
            "photos": [reverse("public:board_photo", args=[pk])
                       for pk in sel.result_photos(task)]}


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest, key: str) -> HttpResponse:
    """The citizen's page of their report: where it stands, the result, and the rating."""
    found = services.report_for_key(key)
    if found is None:
        raise Http404
    report: CitizenReport = found
    rating = sel.rating_of(report)
    form, status = RatingForm(), 200
    if request.method == "POST":
        form = RatingForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.citizen_rate(report=report, level=form.cleaned_data["level"],
                                      comment=form.cleaned_data["comment"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                return redirect(request.path + "?rated=1")
    context = {**_problem_context(report.task), "report": report, "rating": rating,
               "form": form, "new": request.GET.get("new") == "1",
               "rated": request.GET.get("rated") == "1",
               "follow_url": request.build_absolute_uri(request.path),
               "description": report.task.description}
    return _private(TemplateResponse(request, "public/follow.html", context, status=status))


@require_GET
def problem(request: HttpRequest, code: str) -> HttpResponse:
    """A published problem's public page: what, where in which grid, its status in words, the
    public time limit and the result. No description, contact, note or officer."""
    task = sel.public_task(code)
    if task is None:
        raise Http404
    response = TemplateResponse(request, "public/report_problem.html", _problem_context(task))
    response["Cache-Control"] = "public, max-age=60"
    return response
