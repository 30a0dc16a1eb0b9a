"""The task workbench: the console's page for one task (at the admin's change URL) and its
actions. The page shows the task, its timeline in words and one panel of what this user may do
now (``authority.available``); each action is a small form posting to its own view, which calls
its service with the version the page was read at. Nothing on a task is edited any other way.

A task outside the user's scope is not found (404); the console is for those whose duties it
serves (``Authority.uses_console``): others are refused (403)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from gridmgmt import clock
from gridmgmt.types import AuthedRequest
from gridmgmt.worktime import clock_for

from .. import authority, services
from ..authority import Action, Authority
from ..deadlines import light_at
from ..errors import DomainError
from ..models import Open311Request, Photo, Source, Task, TaskEvent
from ..timeline import LEVEL_LABELS, timeline
from ..workflow import CLOCK_RUNNING, Status
from . import badges
from . import workbench_forms as wf
from .candidates import dispatch_candidates

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Step:
    """One action of the panel: its form, the authority action it needs, its service call."""

    name: str
    action: str
    form: type[wf.VersionForm]
    perform: Callable[[AuthedRequest, Task, dict], object]
    done: StrOrPromise


def _v(d: dict) -> int:
    return d["version"]


STEPS: dict[str, Step] = {s.name: s for s in [
    Step("dispatch", Action.ASSIGN, wf.DispatchForm,
         lambda r, t, d: services.task_assign(task=t, actor=r.user, assignee=d["assignee"],
                                              note=d["note"], expected_version=_v(d)),
         gettext_lazy("Dispatched.")),
    Step("approve", Action.VERIFY, wf.NoteForm,
         lambda r, t, d: services.task_verify(task=t, actor=r.user, approved=True,
                                              note=d["note"], expected_version=_v(d)),
         gettext_lazy("Verified: the task is closed.")),
    Step("send-back", Action.VERIFY, wf.ReasonForm,
         lambda r, t, d: services.task_verify(task=t, actor=r.user, approved=False,
                                              note=d["note"], expected_version=_v(d)),
         gettext_lazy("Sent back for rework.")),
    Step("extension-approve", Action.DECIDE_EXTENSION, wf.NoteForm,
         lambda r, t, d: services.task_decide_extension(
             task=t, actor=r.user, approved=True, note=d["note"], expected_version=_v(d)),
         gettext_lazy("Extension approved: the deadline moved.")),
    Step("extension-refuse", Action.DECIDE_EXTENSION, wf.ReasonForm,
         lambda r, t, d: services.task_decide_extension(
             task=t, actor=r.user, approved=False, note=d["note"], expected_version=_v(d)),
         gettext_lazy("Extension refused.")),
    Step("hold", Action.HOLD, wf.ReasonForm,
         lambda r, t, d: services.task_hold(task=t, actor=r.user, reason=d["note"],
                                            expected_version=_v(d)),
         gettext_lazy("Put on hold: the clock is stopped.")),
    Step("resume", Action.RESUME, wf.NoteForm,
         lambda r, t, d: services.task_resume(task=t, actor=r.user, note=d["note"],
                                              expected_version=_v(d)),
         gettext_lazy("Resumed: the clock runs again.")),
    Step("void", Action.VOID, wf.ReasonForm,
         lambda r, t, d: services.task_void(task=t, actor=r.user, reason=d["note"],
                                            expected_version=_v(d)),
         gettext_lazy("Voided.")),
    Step("urge", Action.URGE, wf.NoteForm,
         lambda r, t, d: services.task_urge(task=t, actor=r.user, note=d["note"],
                                            expected_version=_v(d)),
         gettext_lazy("The assignee was reminded.")),
    Step("plan", Action.PLAN, wf.PlanForm,
         lambda r, t, d: services.task_set_plan(task=t, actor=r.user, plan=d["plan"],
                                                expected_version=_v(d)),
         gettext_lazy("Plan saved.")),
    Step("require-plan", Action.REQUIRE_PLAN, wf.NoteForm,
         lambda r, t, d: services.task_require_plan(task=t, actor=r.user, note=d["note"],
                                                    expected_version=_v(d)),
         gettext_lazy("A written plan is now required before the work starts.")),
    Step("campaign", Action.CAMPAIGN, wf.CampaignForm,
         lambda r, t, d: services.task_join_campaign(task=t, actor=r.user,
                                                     campaign=d["campaign"],
                                                     expected_version=_v(d)),
         gettext_lazy("Added to the campaign.")),
    Step("details", Action.EDIT, wf.DetailsForm,
         lambda r, t, d: services.task_update_details(
             task=t, actor=r.user, expected_version=_v(d),
             changes={k: d[k] for k in services.DETAIL_FIELDS}),
         gettext_lazy("Details saved.")),
    Step("correct", Action.CORRECT, wf.CorrectForm,
         lambda r, t, d: services.task_correct(
             task=t, actor=r.user, reason=d["note"], category=d["category"],
             source=d["source"] or None, expected_version=_v(d)),
         gettext_lazy("Corrected.")),
]}
# The panel's order, each with its heading and button; start, submit, extension requests and
# photos are field work (the phone).
PANEL = {
    "dispatch": (gettext_lazy("Dispatch"), gettext_lazy("Dispatch")),
    "approve": (gettext_lazy("Verify the fix"), gettext_lazy("Approve and close")),
    "send-back": (gettext_lazy("Send back for rework"), gettext_lazy("Send back")),
    "extension-approve": (gettext_lazy("Extension request"), gettext_lazy("Approve")),
    "extension-refuse": (gettext_lazy("Refuse the extension"), gettext_lazy("Refuse")),
    "hold": (gettext_lazy("Put on hold"), gettext_lazy("Put on hold")),
    "resume": (gettext_lazy("Resume"), gettext_lazy("Resume")),
    "void": (gettext_lazy("Void the report"), gettext_lazy("Void this report")),
    "urge": (gettext_lazy("Urge the assignee"), gettext_lazy("Send a reminder")),
    "plan": (gettext_lazy("Plan"), gettext_lazy("Save the plan")),
    "require-plan": (gettext_lazy("Require a plan before the work starts"),
                     gettext_lazy("Require a plan")),
    "campaign": (gettext_lazy("Add to a campaign"), gettext_lazy("Add")),
    "details": (gettext_lazy("Title, description, address"), gettext_lazy("Save")),
    "correct": (gettext_lazy("Correct the category or source"), gettext_lazy("Correct")),
}
PANEL_ORDER = list(PANEL)
# Less frequent ones fold away under their heading.
FOLDED = {"plan", "require-plan", "campaign", "details", "correct"}


def _authority(request: HttpRequest) -> Authority:
    auth = authority.of(request.user)
    if not auth.uses_console:
        raise PermissionDenied
    return auth


def _task(auth: Authority, pk) -> Task:
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    task = (auth.tasks().select_related(
        "category__default_department", "grid__community__parent__parent", "road",
        "assignee__department", "department", "reporter__officer", "repeat_of", "campaign")
        .filter(pk=pk).first())
    if task is None:
        raise Http404
    return task


def _form(step: Step, task: Task, auth: Authority, data=None) -> wf.VersionForm:
    kwargs: dict = {}
    if step.form is wf.DispatchForm:
        kwargs["candidates"] = dispatch_candidates(task, auth)
    elif step.form in (wf.CampaignForm, wf.CorrectForm):
        kwargs["task"] = task
    initial: dict[str, Any] = {"version": task.version}
    if step.form is wf.PlanForm:
        initial["plan"] = task.plan
    elif step.form is wf.DetailsForm:
        initial.update(title=task.title, description=task.description, address=task.address)
    return step.form(data, initial=initial, **kwargs)


def _clock(task: Task, now) -> dict:
    """Light, time left or overdue, in working time where the category counts it so."""
    running = task.status in CLOCK_RUNNING
    light = light_at(task, now) if running and task.deadline else None
    left = badges.time_left(task)
    info = {"light": light, "time_left": "" if left == "—" else left,
            "light_badge": badges.badge(badges.LIGHT_LABELS[light], light) if light else ""}
    if running and task.deadline is not None:
        work = clock_for(task.category.time_unit, now.date())
        ahead = now < task.deadline
        span = work.between(now, task.deadline) if ahead else work.between(task.deadline, now)
        text = badges.human_duration(timedelta(seconds=max(span, 0.0)))
        info["working"] = (_("%(time)s of working time left") if ahead
                           else _("overdue by %(time)s of working time")) % {"time": text}
    return info


def _extension(task: Task, entries) -> dict | None:
    if task.extension_requested_until is None:
        return None
    asked = next((e.event for e in reversed(entries) if e.event is not None
                  and e.kind == TaskEvent.Kind.EXTENSION_REQUESTED), None)
    return {"until": task.extension_requested_until, "deadline": task.deadline,
            "reason": asked.note if asked else "",
            "by": asked and (getattr(asked.actor, "officer", None) or asked.actor)}


def _citizen_contact(task: Task, auth: Authority) -> dict | None:
    """The phone and e-mail a citizen left (Open311 or the web form), for the supervisors of the
    place only (authority); never shown to anyone else, never published."""
    if task.source != Source.CITIZEN or not auth.sees_citizen_contact(task):
        return None
    filed = Open311Request.objects.filter(task=task).values("phone", "email").first()
    return dict(filed) if filed and (filed["phone"] or filed["email"]) else None


def _candidate_groups(form: wf.VersionForm) -> list[tuple[tuple[str, Any], str]]:
    """The dispatch form's officers as radio buttons, group by group, built here rather than
    by a template loop: a district's roster is about 2,000 officers, and the loop (a
    ``blocktranslate`` and a dozen nodes per officer) took most of the page's time."""
    if not hasattr(form, "candidates_grouped"):
        return []
    chosen = str(form["assignee"].value())
    title = _("open tasks assigned now")
    loads: dict[int, str] = {}
    out: list[tuple[tuple[str, Any], str]] = []
    for group, people in form.candidates_grouped:
        rows = []
        for c in people:
            if c.load not in loads:
                loads[c.load] = ngettext("%(n)s open", "%(n)s open", c.load) % {"n": c.load}
            officer = c.officer
            dept = (f" <small>{escape(officer.department.name)}</small>"
                    if officer.department else "")
            why = f'<small class="wb-why">{escape(c.why)}</small>' if c.why else ""
            checked = " checked" if chosen == str(officer.pk) else ""
            rows.append(
                f'<label class="wb-candidate"><input type="radio" name="assignee" '
                f'value="{officer.pk}" required{checked}>\n'
                f'      <span class="wb-name">{escape(officer.name)}</span>{dept}\n'
                f'      {why}\n'
                f'      <span class="wb-load" title="{escape(title)}">{escape(loads[c.load])}'
                f'</span></label>\n    ')
        out.append((group, mark_safe("".join(rows))))  # every value escaped above
    return out


def render_page(request: HttpRequest, task: Task, auth: Authority, *,
                bound: dict[str, wf.VersionForm] | None = None, errors: list[str] | None = None,
                status: int = 200) -> TemplateResponse:
    now = clock.now()
    available = auth.available(task)
    steps = [STEPS[name] for name in PANEL_ORDER if STEPS[name].action in available]
    forms = {s.name: (bound or {}).get(s.name) or _form(s, task, auth) for s in steps}
    entries = timeline(task)
    photos = list(task.photos.order_by("created_at", "pk"))
    for p in photos:
        p.preview = badges.photo_preview(p)  # type: ignore[attr-defined]  # for the template
    site = admin.site
    context = {
        **site.each_context(request),
        "title": f"{task.code or task.pk} {task.title}",
        "opts": Task._meta,
        "task": task,
        "clock": _clock(task, now),
        "level_label": LEVEL_LABELS.get(task.escalation_level),
        "entries": entries,
        "before": [p for p in photos if p.kind == Photo.Kind.BEFORE],
        "after": [p for p in photos if p.kind == Photo.Kind.AFTER],
        "evidence": [p for p in photos if p.kind == Photo.Kind.EVIDENCE],
        "available": available,
        "reassign": task.status != Status.REPORTED,
        "panel": [{"name": s.name, "form": forms[s.name], "title": PANEL[s.name][0],
                   "button": PANEL[s.name][1],
                   # Open when refused, so the reason and the typed text are in view.
                   "folded": s.name in FOLDED and s.name not in (bound or {}),
                   "candidates": _candidate_groups(forms[s.name]) if s.name == "dispatch"
                   else [],
                   "url": reverse("console:task-act", args=[task.pk, s.name])}
                  for s in steps],
        "errors": errors or [],
        "extension": _extension(task, entries),
        "repeat_url": reverse("admin:tasks_app_task_change", args=[task.repeat_of_id])
        if task.repeat_of_id else "",
        "citizen_contact": _citizen_contact(task, auth),
    }
    return TemplateResponse(request, "admin/tasks_app/task/workbench.html", context,
                            status=status)


def page(request: AuthedRequest, pk) -> HttpResponse:
    """GET the workbench (TaskAdmin.change_view routes here)."""
    auth = _authority(request)
    return render_page(request, _task(auth, pk), auth)


STALE = gettext_lazy("Someone else changed this task after this page was opened. Check it as "
                     "it is now and try again.")


@require_POST
def act(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    """One action: its form, then its service with the page's version. Refused → the page again
    with the reason and the service's status, nothing written."""
    auth = _authority(request)
    task = _task(auth, pk)
    step = STEPS.get(name)
    if step is None:
        raise Http404
    form = _form(step, task, auth, data=request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return render_page(request, task, auth, bound={name: form}, errors=errors, status=400)
    try:
        step.perform(request, task, form.cleaned_data)
    except DomainError as exc:
        fresh = _task(auth, pk)
        # The page's version field, not an If-Match header: a conflict (409), as on the phone.
        status, message = (409, str(STALE)) if exc.code == "stale_version" \
            else (exc.http_status, exc.message)
        keep = {} if exc.code == "stale_version" else {name: _form(step, fresh, auth,
                                                                   data=request.POST)}
        return render_page(request, fresh, auth, bound=keep, errors=[message], status=status)
    messages.success(request, str(step.done))
    return HttpResponseRedirect(reverse("admin:tasks_app_task_change", args=[task.pk]))
