"""The workbench's small forms: one per action, each carrying the task's version as the page
read it (If-Match: a stale page is refused by the service, not overwritten)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock

from ..models import Campaign, Category, Source, Task
from .candidates import Candidates


def _text(label, *, rows: int = 2, required_attr: bool = False, initial: str = ""):
    attrs: dict[str, Any] = {"rows": rows}
    if required_attr:
        # The browser asks before sending; the service still decides (its message if empty).
        attrs["required"] = "required"
    return forms.CharField(label=label, required=False, initial=initial,
                           widget=forms.Textarea(attrs=attrs))


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class NoteForm(VersionForm):
    note = _text(_("Note"))


class ReasonForm(VersionForm):
    note = _text(_("Reason"), required_attr=True)


class CandidateField(forms.ChoiceField):
    """An officer among the candidates, as radio buttons grouped 建议 / 其他."""

    widget = forms.RadioSelect


class DispatchForm(VersionForm):
    assignee = CandidateField(label=_("Assign to"))
    note = _text(_("Note"))

    def __init__(self, *args, candidates: Candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        groups = []
        if candidates.suggested:
            groups.append((_("Suggested"), [(c.officer.pk, c.label) for c in candidates.suggested]))
        if candidates.others:
            groups.append((_("Others"), [(c.officer.pk, c.label) for c in candidates.others]))
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = groups

    @property
    def candidates_grouped(self):
        groups = [(("suggested", _("Suggested")), self.candidates.suggested),
                  (("others", _("Others")), self.candidates.others)]
        return [(group, people) for group, people in groups if people]

    def clean_assignee(self):
        found = self.candidates.get(int(self.cleaned_data["assignee"]))
        if found is None:
            raise forms.ValidationError(_("Choose one of the officers listed."))
        return found.officer


class PlanForm(VersionForm):
    plan = _text(_("Plan"), rows=4, required_attr=True)


class DetailsForm(VersionForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = _text(_("Description"), rows=3)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)


def campaigns_covering(task: Task) -> QuerySet[Campaign]:
    """Running campaigns whose categories and places take this task (services check again)."""
    today = timezone.localdate(clock.now())
    street = task.grid.community.parent_id
    return (Campaign.objects.filter(deadline__gte=today)
            .filter(Q(categories__isnull=True) | Q(categories=task.category_id))
            .filter(Q(streets__isnull=True, grids__isnull=True) | Q(streets=street)
                    | Q(grids=task.grid_id))
            .exclude(pk=task.campaign_id or 0).distinct().order_by("deadline", "name"))


class CampaignForm(VersionForm):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), label=_("Campaign"))

    def __init__(self, *args, task: Task, **kwargs):
        super().__init__(*args, **kwargs)
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)
        campaign.queryset = campaigns_covering(task)


class CorrectForm(VersionForm):
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True),
                                      label=_("Category"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", "—"), *Source.choices])
    note = _text(_("Reason"), required_attr=True)

    def __init__(self, *args, task: Task, **kwargs):
        super().__init__(*args, **kwargs)
        category, source = self.fields["category"], self.fields["source"]
        assert isinstance(category, forms.ModelChoiceField)
        assert isinstance(source, forms.ChoiceField)
        category.queryset = Category.objects.filter(is_active=True) \
            .exclude(pk=task.category_id).order_by("code")
        source.choices = [("", "—"), *[
            (value, label) for value, label in Source.choices if value != task.source]]
