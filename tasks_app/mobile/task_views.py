"""My tasks, the task page, its actions, and its photos."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridmgmt import clock
from gridmgmt.types import AuthedRequest

from .. import authority, services
from ..authority import Action
from ..console.candidates import dispatch_candidates
from ..errors import DomainError
from ..models import Photo, Task
from ..selectors import officer_of, tasks_visible_to
from ..timeline import timeline
from . import forms
from .common import (
    action_login_required,
    clock_text,
    done,
    form_errors,
    officer_login_required,
    refused,
    shown_light,
)
from .idempotency import clean_key, run_once
from .selectors import LIST_LIMIT, light_counts, tabs_for, task_for_page, task_list

# The actions the phone pages offer; the rest are the console's.
PHONE_ACTIONS = {Action.START, Action.SUBMIT, Action.EXTEND, Action.VERIFY, Action.ASSIGN,
                 Action.URGE}


@officer_login_required
def my_tasks(request: AuthedRequest) -> HttpResponse:
    now = clock.now()
    officer = officer_of(request.user)
    tabs = tabs_for(request.user, at=now)
    which = request.GET.get("f") or tabs.default
    if not tabs.allows(which):
        which = "mine"
    qs = task_list(user=request.user, which=which, now=now)
    tasks = list(qs[:LIST_LIMIT])
    for task in tasks:  # for the template:
        task.clock_text, task.overdue = clock_text(task, now)  # type: ignore[attr-defined]
    context = {"tasks": tasks, "counts": light_counts(qs), "which": which, "tabs": tabs,
               "officer": officer, "limit": LIST_LIMIT, "now": now}
    if request.headers.get("HX-Request"):
        return render(request, "mobile/_task_list.html", context)
    return render(request, "mobile/tasks.html", context)


@officer_login_required
def task_page(request: AuthedRequest, pk: int) -> HttpResponse:
    now = clock.now()
    task = task_for_page(user=request.user, pk=pk, now=now)
    if task is None:
        raise Http404
    # Events, escalations and alerts in words, as on the console (tasks_app/timeline.py).
    entries = timeline(task)
    photos = list(task.photos.all())
    # What the phone offers (the services still decide: a stale page means a refused action).
    auth = authority.of(request.user, at=now)
    actions = set(auth.available(task)) & PHONE_ACTIONS
    # For the template:
    task.clock_text, task.overdue = clock_text(task, now)  # type: ignore[attr-defined]
    task.live_light = shown_light(task, now)  # type: ignore[attr-defined]
    default_until = timezone.localtime(max(task.deadline or now, now) + timedelta(days=1))
    context = {
        "task": task, "entries": entries, "photos": photos, "actions": actions,
        "submit_form": forms.SubmitForm(),
        "extend_form": forms.ExtendForm(
            initial={"until": default_until.strftime("%Y-%m-%dT%H:%M")}),
        "verify_form": forms.VerifyForm(),
        "before": [p for p in photos if p.kind == Photo.Kind.BEFORE],
        "after": [p for p in photos if p.kind == Photo.Kind.AFTER],
        "evidence": [p for p in photos if p.kind == Photo.Kind.EVIDENCE],
        "back": _back_url(request),
    }
    if Action.ASSIGN in actions:
        context["candidates"] = dispatch_candidates(task, auth, at=now)
    if task.repeat_of is not None:
        context["repeat_days"] = (task.reported_at - task.repeat_of.reported_at).days
    return render(request, "mobile/task.html", context)


def _back_url(request: HttpRequest) -> str:
    """Back to the list the officer came from (same site only), else their landing list."""
    home = reverse("mobile:tasks")
    referer = request.headers.get("Referer", "")
    path = urlsplit(referer)
    if path.netloc == request.get_host() and path.path == home:
        return home + (f"?{path.query}" if path.query else "")
    return home


def _act(request: AuthedRequest, pk: int, *, form_class, action: str,
         perform: Callable[[Task, dict], Task], message: str,
         next_url: Callable[[Task], str] | None = None) -> HttpResponse:
    now = clock.now()
    # Out of scope is not found: another grid's task does not exist for this officer.
    task = task_for_page(user=request.user, pk=pk, now=now)
    if task is None:
        raise Http404
    url = reverse("mobile:task", args=[task.pk])
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return refused(request, url, form_errors(form))
    try:
        task, replayed = run_once(user=request.user, key=clean_key(form.cleaned_data["key"]),
                                  action=action, work=lambda: perform(task, form.cleaned_data))
    except DomainError as exc:
        if exc.code == "stale_version":
            # The page's version field, not an If-Match header: a conflict (409), not 412.
            return refused(request, url, [_("Someone else changed this task after this page was "
                                            "opened. Check it as it is now and try again.")], 409,
                           code=exc.code)
        return refused(request, url, [exc.message], exc.http_status, code=exc.code)
    if replayed:
        message = _("This was already received; nothing was sent twice.")
    return done(request, next_url(task) if next_url else url, message)


@require_POST
@action_login_required
def start(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, form_class=forms.StartForm, action="start",
                perform=lambda t, d: services.task_start(
                    task=t, actor=request.user, plan=d["plan"], photos=d["photos"],
                    expected_version=d["version"]),
                message=_("Started. Submit the fix with an after photo when it is done."))


@require_POST
@action_login_required
def assign(request: AuthedRequest, pk: int) -> HttpResponse:
    """Dispatch or reassign from the phone (the community head in his community)."""
    def perform(task: Task, d: dict) -> Task:
        chosen = dispatch_candidates(task, authority.of(request.user)).get(d["assignee"])
        if chosen is None:
            raise DomainError("invalid_input", _("Choose one of the officers listed."))
        return services.task_assign(task=task, actor=request.user, assignee=chosen.officer,
                                    note=d["note"], expected_version=d["version"])

    return _act(request, pk, form_class=forms.AssignForm, action="assign", perform=perform,
                message=_("Dispatched."))


@require_POST
@action_login_required
def urge(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, form_class=forms.UrgeForm, action="urge",
                perform=lambda t, d: services.task_urge(
                    task=t, actor=request.user, note=d["note"], expected_version=d["version"]),
                message=_("Urged: the assignee is reminded by e-mail."))


@require_POST
@action_login_required
def submit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, form_class=forms.SubmitForm, action="submit",
                perform=lambda t, d: services.task_submit(
                    task=t, actor=request.user, note=d["note"], photos=d["photos"],
                    expected_version=d["version"]),
                message=_("Submitted for verification."),
                next_url=lambda t: reverse("mobile:tasks"))


@require_POST
@action_login_required
def extend(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, form_class=forms.ExtendForm, action="extend",
                perform=lambda t, d: services.task_request_extension(
                    task=t, actor=request.user, until=d["until"], reason=d["reason"],
                    expected_version=d["version"]),
                message=_("Extension requested; a supervisor will decide."))


@require_POST
@action_login_required
def verify(request: AuthedRequest, pk: int) -> HttpResponse:
    approved = request.POST.get("decision") == "approve"
    return _act(request, pk, form_class=forms.VerifyForm, action="verify",
                perform=lambda t, d: services.task_verify(
                    task=t, actor=request.user, approved=d["decision"] == "approve",
                    note=d["note"], expected_version=d["version"]),
                message=_("Approved: the task is closed.") if approved
                else _("Sent back for rework."),
                next_url=lambda t: reverse("mobile:tasks") + "?f=verify")


@officer_login_required
def photo(request: AuthedRequest, pk: int) -> FileResponse:
    """Photos only through here: the task must be in the caller's scope (media is not served)."""
    found = Photo.objects.filter(pk=pk, task__in=tasks_visible_to(request.user)).first()
    if found is None:
        raise Http404
    try:
        handle = found.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(found.image.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response
