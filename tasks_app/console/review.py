"""The review meeting on the console (每月一会一点评一奖罚): publishing a month, a unit's review
page (点评, decisions, follow-ups), marking a follow-up done, and the printable meeting pack.

Every write goes through ``evaluation_services``; every permission question to the authority
module. Wrapped by ``admin.site.admin_view`` in urls.py (staff only, login redirect)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import DurationField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridmgmt import clock
from gridmgmt.models import Officer

from .. import authority
from ..errors import DomainError
from ..evaluation import (
    LEVEL_LABELS,
    LEVELS,
    evaluate,
    last_two_months,
    month_bounds,
    previous_month,
)
from ..evaluation_services import (
    current_publication,
    decision_add,
    evaluation_publish,
    follow_up_add,
    follow_up_done,
    follow_ups_for_review,
    review_for,
    review_write,
    reviews_of_month,
)
from ..models import (
    Category,
    Decision,
    EvaluationSnapshotRow,
    FollowUp,
    Photo,
    Source,
    Task,
    TaskEvent,
)
from ..workflow import Status
from .views import MONTH

WORST = 3  # problems per street in the pack, of each kind


def _month(month: str) -> str:
    if not MONTH.match(month):
        raise Http404
    return month


def evaluation_url(month: str, level: str = "street") -> str:
    return reverse("console:evaluation") + "?" + urlencode({"month": month, "level": level})


# -- publishing ---------------------------------------------------------------------------------

def publish(request, month: str):
    """POST only: publish (or, with a reason, republish) the month through the service."""
    month = _month(month)
    if request.method != "POST":
        return HttpResponseBadRequest(_("Publish with the form on the evaluation page."))
    if not authority.of(request.user).can_publish_evaluation():
        raise PermissionDenied
    try:
        publication = evaluation_publish(month=month, actor=request.user,
                                         reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(month)s published as version %(version)d.") % {
            "month": month, "version": publication.version})
    return redirect(evaluation_url(month, request.POST.get("level") or "street"))


# -- a unit's review ----------------------------------------------------------------------------

class ReviewForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment (点评)"),
                              widget=forms.Textarea(attrs={"rows": 4}))


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=Decision.Kind.choices)
    amount = forms.DecimalField(label=gettext_lazy("Amount (yuan)"), required=False,
                                min_value=0, max_digits=10, decimal_places=2)
    points = forms.DecimalField(label=gettext_lazy("Points"), required=False, min_value=0,
                                max_digits=6, decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("Reason"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    requirement = forms.CharField(label=gettext_lazy("Requirement"),
                                  widget=forms.Textarea(attrs={"rows": 2}))
    responsible = forms.ModelChoiceField(label=gettext_lazy("Responsible officer"),
                                         queryset=Officer.objects.order_by("name"))
    deadline = forms.DateField(label=gettext_lazy("Deadline"),
                               widget=forms.DateInput(attrs={"type": "date"}))


FORMS = {"comment": ReviewForm, "decision": DecisionForm, "follow_up": FollowUpForm}


def _write(name: str, data: dict, *, month: str, level: str, unit_id: int, user) -> None:
    unit = {"month": month, "level": level, "unit_id": unit_id, "actor": user}
    if name == "comment":
        review_write(comment=data["comment"], **unit)
    elif name == "decision":
        decision_add(kind=data["kind"], amount=data["amount"], points=data["points"],
                     reason=data["reason"], **unit)
    else:
        follow_up_add(requirement=data["requirement"], responsible=data["responsible"],
                      deadline=data["deadline"], **unit)


def review_page(request, month: str, level: str, unit_id: int):
    """A unit's published month with its review: forms for the reviewers, read-only for the
    unit's own leader, 403 for everyone else."""
    month = _month(month)
    if level not in LEVELS:
        raise Http404
    who = authority.of(request.user)
    if not who.can_read_review(level, unit_id):
        raise PermissionDenied
    publication = current_publication(month)
    if publication is None:
        raise Http404
    row = EvaluationSnapshotRow.objects.filter(publication=publication, level=level,
                                               unit_id=unit_id).first()
    if row is None:
        raise Http404
    can_write = bool(who.can_review(level, unit_id))
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        name = request.POST.get("form")
        if name not in FORMS:
            return HttpResponseBadRequest(_("Unknown form."))
        form = FORMS[name](request.POST)
        if form.is_valid():
            try:
                _write(name, form.cleaned_data, month=month, level=level, unit_id=unit_id,
                       user=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect(request.path)
        bound[name] = form
    review = review_for(month, level, unit_id)
    forms_ = {}
    if can_write:
        forms_ = {name: bound.get(name) or cls(initial=(
            {"comment": review.comment} if name == "comment" and review else None))
            for name, cls in FORMS.items()}
    context = {
        **admin.site.each_context(request),
        "title": _("Review of %(unit)s, %(month)s") % {"unit": row.name, "month": month},
        "month": month, "level": level, "level_label": LEVEL_LABELS[level],
        "row": row.data, "publication": publication, "review": review,
        "decisions": list(review.decisions.all()) if review else [],
        "follow_ups": follow_ups_for_review(review, request.user),
        "forms": forms_, "can_write": can_write,
        "back": evaluation_url(month, level),
        "evaluation": {"month": month},
    }
    return TemplateResponse(request, "admin/console/review.html", context)


def follow_up_complete(request, pk: int):
    """POST: the responsible officer (or a bureau administrator) marks a follow-up done."""
    if request.method != "POST":
        return HttpResponseBadRequest(_("Mark a follow-up done with its form."))
    follow_up = get_object_or_404(FollowUp.objects.select_related("review"), pk=pk)
    try:
        follow_up_done(follow_up=follow_up, actor=request.user,
                       note=request.POST.get("note", ""))
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Follow-up marked done."))
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/admin/") else reverse("console:evaluation"))


# -- the meeting pack ---------------------------------------------------------------------------

def _photos(tasks: list[Task]) -> dict[int, dict[str, Photo]]:
    """Each task's first before and last after photo."""
    found: dict[int, dict[str, Photo]] = {}
    for p in Photo.objects.filter(task__in=tasks, kind__in=[Photo.Kind.BEFORE, Photo.Kind.AFTER]
                                  ).order_by("created_at", "pk"):
        kinds = found.setdefault(p.task_id, {})
        if p.kind == Photo.Kind.BEFORE:
            kinds.setdefault("before", p)
        else:
            kinds["after"] = p
    return found


def _street_problems(user, month: str) -> list[dict]:
    """Each street's worst overdue problems of the month (latest past their deadline) and its
    repeated problems (most occurrences), with before and after photos."""
    start, end = month_bounds(month)
    visible = authority.of(user).tasks().exclude(status=Status.VOID).select_related(
        "category", "grid__community__parent", "plan_by__officer")
    late = visible.filter(deadline__gte=start, deadline__lt=end).filter(
        Q(closed_late=True) | Q(status__in=[Status.ASSIGNED, Status.IN_PROGRESS,
                                            Status.REPORTED], deadline__lt=clock.now())
        | Q(status=Status.SUBMITTED, submitted_at__gt=F("deadline")))
    repeated = visible.filter(reported_at__gte=start, reported_at__lt=end,
                              repeat_of__isnull=False)
    # Worst first: the longest past its deadline, by its closure or, still open, by now.
    late = late.annotate(lateness=ExpressionWrapper(
        Coalesce("closed_at", Value(clock.now())) - F("deadline"), output_field=DurationField()))
    streets: dict[int, dict] = {}
    for kind, qs, order in (("overdue", late, "-lateness"),
                            ("repeated", repeated, "-repeat_seq")):
        for task in qs.order_by(order, "pk"):
            street = task.grid.community.parent
            assert street is not None  # a community lies in a street
            entry = streets.setdefault(street.pk, {"name": street.name, "overdue": [],
                                                   "repeated": []})
            if len(entry[kind]) < WORST:
                entry[kind].append(task)
    tasks = [t for s in streets.values() for t in s["overdue"] + s["repeated"]]
    photos = _photos(tasks)
    labels = {"overdue": _("Overdue"), "repeated": _("Repeated problems")}
    for s in streets.values():
        s["sections"] = [(labels[kind], [
            {"task": t, "photos": photos.get(t.pk, {}),
             "url": reverse("admin:tasks_app_task_change", args=[t.pk])} for t in s[kind]])
            for kind in ("overdue", "repeated") if s[kind]]
    return sorted(streets.values(), key=lambda s: s["name"])


def month_corrections(user, month: str) -> list[dict]:
    """The category and source corrections (``corrected`` events, by services.task_correct) that
    bear on ``month``: made in it, or of a task registered in it (whose points fall in it), on
    the tasks ``user`` may see; with who, when, each change in words and the reason. Two
    queries (the events, the categories they name)."""
    start, end = month_bounds(month)
    events = list(
        TaskEvent.objects.filter(kind=TaskEvent.Kind.CORRECTED,
                                 task__in=authority.of(user).tasks())
        .filter(Q(created_at__gte=start, created_at__lt=end)
                | Q(task__reported_at__gte=start, task__reported_at__lt=end))
        .select_related("actor__officer", "task").order_by("created_at", "pk"))
    ids = {v for e in events for v in (e.extra.get("changed") or {}).get("category", [])}
    categories = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    sources = dict(Source.choices)
    labels = {"category": (_("Category"), categories), "source": (_("Source"), sources)}
    out = []
    for e in events:
        changes = []
        for name, (old, new) in (e.extra.get("changed") or {}).items():
            label, names = labels.get(name, (name, {}))
            changes.append({"field": label, "old": str(names.get(old, old)),
                            "new": str(names.get(new, new))})
        actor = e.actor
        who = (getattr(getattr(actor, "officer", None), "name", "") or actor.get_username()
               ) if actor else ""
        out.append({"task": e.task, "who": who, "when": e.created_at, "changes": changes,
                    "reason": e.note,
                    "url": reverse("admin:tasks_app_task_change", args=[e.task_id])})
    return out


def _flagged(month: str, level: str, district: int | None, rows: list) -> list[dict]:
    """The rows as dicts, each with ``last_two_months``: ranked last (末位) this month and
    the month before."""
    flagged = last_two_months(month, level, district=district, rows=rows)
    return [{**r.as_dict(), "last_two_months": r.unit_id in flagged} for r in rows]


def pack(request, month: str):
    """The meeting pack, fit to print: each level's ranking, the street scores' chart, each
    street's worst overdue and repeated problems with photos, this month's reviews, and last
    month's decisions with whether their follow-ups were carried out."""
    month = _month(month)
    who = authority.of(request.user)
    if not who.can_hold_meeting():
        raise PermissionDenied
    districts = who.evaluation_districts()
    district = districts[0] if districts else None
    levels = [(level, LEVEL_LABELS[level], evaluate(month, level, district=district))
              for level in LEVELS]
    # The chart shows the ranked streets (a street with no data, 无数据, has no score).
    streets = [r for r in next(rows for level, _label, rows in levels if level == "street")
               if r.score is not None]
    chart = {"labels": [r.name for r in streets],
             "scores": [float(r.score) for r in streets if r.score is not None],
             "label": _("Composite score")}
    last = previous_month(month)
    today = timezone.localdate(clock.now())
    context = {
        **admin.site.each_context(request),
        "title": _("Meeting pack, %(month)s") % {"month": month},
        "month": month, "last_month": last, "today": today,
        "publication": current_publication(month),
        "levels": [(level, label, _flagged(month, level, district, rows))
                   for level, label, rows in levels],
        "chart": chart,
        "streets": _street_problems(request.user, month),
        "reviews": reviews_of_month(month),
        "last_reviews": reviews_of_month(last),
        "corrections": month_corrections(request.user, month),
        "evaluation": {"month": month},
    }
    return TemplateResponse(request, "admin/console/pack.html", context)



# -- what the evaluation page adds --------------------------------------------------------------

class TableRow(list):
    """A row of the evaluation table's cells, with the unit's review page when it has one."""

    last_two_months: bool  # set by the evaluation page: ranked last two months running

    def __init__(self, cells, review_url: str = "") -> None:
        super().__init__(cells)
        self.review_url = review_url


def evaluation_meeting(request, month: str, level: str) -> dict:
    """The evaluation page's banner (published or live), its versions, the publish form, links
    to the units' reviews, the open follow-ups and the reviews of the reader's own units."""
    from ..evaluation_services import (
        open_follow_ups,
        publications,
        reviews_for_reader,
        snapshot_rows,
    )

    who = authority.of(request.user)
    versions = publications(month)
    current = next((p for p in versions if p.superseded_at is None), None)
    shown, version_rows = current, None
    asked = request.GET.get("version", "")
    if asked.isdigit():
        shown = next((p for p in versions if p.version == int(asked)), None)
        if shown is None:
            raise Http404
        if shown is not current:  # an earlier version, as it was published
            version_rows = snapshot_rows(shown, level)
    start, end = month_bounds(month)
    ended = end <= clock.now()
    cache: dict[int, str] = {}

    def review_url(unit_id: int) -> str:
        if current is None or shown is not current:
            return ""
        if unit_id not in cache:
            cache[unit_id] = reverse("console:evaluation-review", args=[
                month, level, unit_id]) if who.can_read_review(level, unit_id) else ""
        return cache[unit_id]

    return {
        "current": current, "shown": shown, "versions": versions, "version_rows": version_rows,
        "ended": ended, "can_publish": ended and bool(who.can_publish_evaluation()),
        "publish_url": reverse("console:evaluation-publish", args=[month]),
        "pack_url": (reverse("console:evaluation-pack", args=[month])
                     if who.can_hold_meeting() else ""),
        "review_url": review_url,
        "follow_ups": open_follow_ups(request.user),
        "my_reviews": reviews_for_reader(request.user),
        "today": timezone.localdate(clock.now()),
    }


def with_review_links(table: list, ranking: list, meeting: dict) -> list[TableRow]:
    """The evaluation table's rows, each carrying its unit's review page (if the reader may
    open it)."""
    return [TableRow(cells, meeting["review_url"](row.unit_id))
            for cells, row in zip(table, ranking, strict=True)]
