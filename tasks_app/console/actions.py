"""Bulk actions on the task list. Each calls a service per task, so every rule of the workflow
holds, and reports per task what was refused and why. Reassigning and adding to a campaign ask
for the officer or campaign on an intermediate page first."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import prefetch_related_objects
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gridmgmt import clock
from gridmgmt.models import Officer

from .. import authority, services
from ..errors import DomainError
from ..models import Campaign, Task
from .candidates import area_candidates

MAX_REFUSALS_LISTED = 30


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Officer) -> str:
        return f"{obj.name}（{obj.department.name}）" if obj.department else obj.name


class ReassignForm(forms.Form):
    assignee = OfficerChoiceField(queryset=Officer.objects.none(),
                                  label=gettext_lazy("New assignee"))
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # The field officers of the dispatcher's area, each with their open load (the same
        # roster as the workbench's dispatch, without a task's own suggestions).
        loads = {c.officer.pk: c for c in area_candidates(authority.of(actor))}
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Officer.objects.filter(pk__in=list(loads)) \
            .select_related("department").order_by("name", "pk")
        # Per form: the instance attribute shadows OfficerChoiceField's method on purpose.
        field.label_from_instance = (  # type: ignore[method-assign]
            lambda officer: loads[officer.pk].label)  # type: ignore[assignment]


class CampaignForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(),
                                      label=gettext_lazy("Campaign"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate(clock.now())
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)
        campaign.queryset = Campaign.objects.filter(
            deadline__gte=today).order_by("deadline", "name")


def _apply(queryset, call: Callable[[Task], object]) -> tuple[int, list[str]]:
    done, refused = 0, []
    for task in queryset.order_by("pk"):
        try:
            call(task)
        except DomainError as exc:
            refused.append(_("%(task)s — %(reason)s") % {
                "task": task.code or task.pk, "reason": exc.message})
        else:
            done += 1
    return done, refused


def _report(request, done: int, refused: list[str], done_message: str) -> None:
    if done:
        messages.success(request, done_message)
    if refused:
        messages.error(request, ngettext(
            "%(n)d task was refused:", "%(n)d tasks were refused:", len(refused))
            % {"n": len(refused)})
        for line in refused[:MAX_REFUSALS_LISTED]:
            messages.warning(request, line)
        if len(refused) > MAX_REFUSALS_LISTED:
            messages.warning(request, _("… and %(n)d more.")
                             % {"n": len(refused) - MAX_REFUSALS_LISTED})


def _intermediate(modeladmin, request, queryset, form, *, action: str, title: str,
                  intro: str) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "tasks": queryset.select_related("category", "assignee").order_by("pk"),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/console/action_form.html", context)


@admin.action(description=gettext_lazy("Reassign to another officer…"),
              permissions=["change"])
def reassign(modeladmin, request, queryset):
    form = ReassignForm(request.POST if "apply" in request.POST else None,
                        actor=request.user)
    if not form.is_bound or not form.is_valid():
        return _intermediate(modeladmin, request, queryset, form, action="reassign",
                             title=_("Reassign tasks"),
                             intro=_("Choose the officer who takes over these tasks. The "
                                     "deadline keeps running: the problem has waited as long "
                                     "as it has."))
    assignee, note = form.cleaned_data["assignee"], form.cleaned_data["note"]
    done, refused = _apply(queryset, lambda task: services.task_assign(
        task=task, actor=request.user, assignee=assignee, note=note))
    _report(request, done, refused, ngettext(
        "Reassigned %(n)d task to %(name)s.", "Reassigned %(n)d tasks to %(name)s.", done)
        % {"n": done, "name": assignee.name})
    return None


@admin.action(description=gettext_lazy("Urge: remind the assignee now"), permissions=["change"])
def urge(modeladmin, request, queryset):
    done, refused = _apply(queryset, lambda task: services.task_urge(
        task=task, actor=request.user))
    _report(request, done, refused, ngettext(
        "Sent a reminder for %(n)d task.", "Sent reminders for %(n)d tasks.", done)
        % {"n": done})


@admin.action(description=gettext_lazy("Add to a campaign…"), permissions=["change"])
def add_to_campaign(modeladmin, request, queryset):
    form = CampaignForm(request.POST if "apply" in request.POST else None)
    if not form.is_bound or not form.is_valid():
        return _intermediate(modeladmin, request, queryset, form, action="add_to_campaign",
                             title=_("Add tasks to a campaign"),
                             intro=_("Only tasks within the campaign's categories and places "
                                     "can join it."))
    campaign = form.cleaned_data["campaign"]
    prefetch_related_objects([campaign], "categories", "streets", "grids")
    done, refused = _apply(queryset, lambda task: services.task_join_campaign(
        task=task, actor=request.user, campaign=campaign))
    _report(request, done, refused, ngettext(
        "Added %(n)d task to %(campaign)s.", "Added %(n)d tasks to %(campaign)s.", done)
        % {"n": done, "campaign": campaign.name})
    return None


# No bulk verify and no bulk extension decision: each fix and each request for more time is
# looked at on its task's page (the 待核查 and 延期申请 queues list them).
ACTIONS = [reassign, urge, add_to_campaign]
