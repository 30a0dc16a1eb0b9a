"""Report a problem found on patrol (主动发现), and the locate call made before sending."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from gridmgmt import clock
from gridmgmt.services import locate as locate_point
from gridmgmt.types import AuthedRequest

from .. import services
from ..authority import Channel
from ..errors import DomainError
from ..models import Category, Task
from ..patrols.services import patrol_found
from ..selectors import earlier_occurrences, officer_of
from .common import done, form_errors, officer_login_required, wants_json
from .forms import ReportForm
from .idempotency import clean_key, run_once
from .mapdata import area_map


def _reported_message(task: Task) -> str:
    # A repeat is shown by the task page itself ("this place had the same problem N days ago").
    where = task.grid.name + (f" · {task.road.name}" if task.road else "")
    return _("Reported as %(code)s (%(where)s).") % {"code": task.code, "where": where}


@officer_login_required
def report(request: AuthedRequest) -> HttpResponse:
    now = clock.now()
    officer = officer_of(request.user)
    errors: list[str] = []
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                task, replayed = run_once(
                    user=request.user, key=clean_key(d["key"]), action="report",
                    # Found on a running patrol: linked to it, with a check-in where it was.
                    work=lambda: patrol_found(task=services.task_report(
                        reporter=request.user, category=d["category"], lng=d["lng"],
                        lat=d["lat"], description=d["description"], address=d["address"],
                        channel=Channel.PHONE, photos=d["photos"],
                        fixed_on_spot=d["fixed_on_spot"], after_photos=d["after_photos"]),
                        actor=request.user))
            except DomainError as exc:
                errors, status = [exc.message], exc.http_status
            else:
                url = reverse("mobile:task", args=[task.pk])
                if replayed:
                    return done(request, url, _("This report was already received; nothing "
                                                "was sent twice."))
                return done(request, url, _reported_message(task))
        else:
            errors, status = form_errors(form), 400
        if wants_json(request):
            return JsonResponse({"errors": errors}, status=status)
    else:
        form, status = ReportForm(), 200
    context = {"form": form, "errors": errors, "map": area_map(officer, at=now)}
    return render(request, "mobile/report.html", context, status=status)


@officer_login_required
def locate(request: AuthedRequest) -> HttpResponse:
    """Grid and road for a point, and whether the chosen category was reported here lately."""
    context: dict = {}
    lng, lat = request.GET.get("lng", ""), request.GET.get("lat", "")
    if lng and lat:
        try:
            location = locate_point(lng, lat)
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context["location"] = location
            pk = request.GET.get("category", "")
            category = Category.objects.filter(pk=pk, is_active=True).first() \
                if pk.isdigit() else None
            if category is not None:
                earlier = earlier_occurrences(category=category, lng=location.lng,
                                              lat=location.lat, at=clock.now())
                if earlier:
                    context["repeat_days"] = (clock.now() - earlier[0].reported_at).days
    return render(request, "mobile/_located.html", context)
