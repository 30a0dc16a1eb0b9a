"""Answers shared by the phone pages. A form sent by the page's upload script (header
``X-Upload: 1``) gets JSON, so the page can show progress, keep the chosen photos when refused,
and tell a queued offline submission from a sent one; a plain form post gets a redirect."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ..models import Task
from ..workflow import CLOCK_RUNNING, Status

officer_login_required = login_required(login_url="mobile:login")


def action_login_required(view):
    """Like login_required, but back to the task page after logging in: the action's own URL
    only takes posts."""
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("mobile:task", args=[pk]), "mobile:login")
        return view(request, pk, *args, **kwargs)
    return wrapper


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Upload") == "1"


def done(request: HttpRequest, url: str, message: str = "") -> HttpResponse:
    if message:
        messages.success(request, message)
    if wants_json(request):
        return JsonResponse({"location": url})
    return redirect(url)


def refused(request: HttpRequest, url: str, errors: list[str], status: int = 400,
            code: str = "") -> HttpResponse:
    """A refusal: JSON with the messages (and the domain code, e.g. stale_version, which the
    offline queue shows as a conflict) for the upload script, else the messages on the page."""
    if wants_json(request):
        body: dict = {"errors": errors}
        if code:
            body["code"] = code
        return JsonResponse(body, status=status)
    for error in errors:
        messages.error(request, error)
    return redirect(url)


def form_errors(form) -> list[str]:
    seen: list[str] = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            text = f"{label}: {error}" if label and field not in ("lng", "lat") else str(error)
            if text not in seen:
                seen.append(text)
    return seen


def duration_text(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": mins}
    return _("%(m)dm") % {"m": mins}


def clock_text(task: Task, now: datetime) -> tuple[str, bool]:
    """What the clock says for a task on a list: (text, overdue)."""
    if task.status == Status.ON_HOLD:
        return _("On hold: clock stopped"), False
    if task.deadline is None:
        return _("Not dispatched yet"), False
    if task.status not in CLOCK_RUNNING:
        if task.submitted_at and task.submitted_at > task.deadline:
            return _("Waiting for verification (fixed late)"), True
        return _("Waiting for verification"), False
    left = task.deadline - now
    if left.total_seconds() < 0:
        return _("Overdue by %(t)s") % {"t": duration_text(left)}, True
    return _("%(t)s left") % {"t": duration_text(left)}, False


def shown_light(task: Task, now: datetime) -> str:
    """The light beside a task: live while its clock runs; for a fix waiting for verification
    none, or red when the fix came after the deadline (the list's rule, with_live_urgency)."""
    from ..deadlines import light_at

    if task.status in CLOCK_RUNNING:
        return light_at(task, now)
    if task.status == Status.SUBMITTED:
        late = task.submitted_at and task.deadline and task.submitted_at > task.deadline
        return "red" if late else "none"
    return task.light
