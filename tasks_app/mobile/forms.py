"""Forms for the phone pages. They check shapes only; the services decide what is allowed and
validate photos themselves."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..inputs import DateTimeField
from ..models import Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more files under one name (the services check each one)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(PhotosField, self).clean(f, initial) for f in files]
        if self.required and not cleaned:
            raise ValidationError(self.error_messages["required"], code="required")
        return cleaned


class KeyedForm(forms.Form):
    # Filled by the page's script with a fresh random value; see idempotency.py.
    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class TaskActionForm(KeyedForm):
    # The task's version when the page was drawn, passed to the service as expected_version: a
    # page made stale by someone else's change is refused (409), not acted on unseen.
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput)


class StartForm(TaskActionForm):
    # Whether they are required is the service's rule (task_start), shown by the page.
    plan = forms.CharField(label=_("Plan"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Before photos"), required=False)


class AssignForm(TaskActionForm):
    # One of the page's candidates; the view checks it against them, the service decides.
    assignee = forms.IntegerField(label=_("Dispatch to"), min_value=1, max_value=2**31 - 1)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class UrgeForm(TaskActionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SubmitForm(TaskActionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("After photos"), required=False)


class ExtendForm(TaskActionForm):
    until = DateTimeField(label=_("New deadline"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(TaskActionForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")),
                                          ("reject", _("Send back"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(KeyedForm):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(),
                                      empty_label=_("Choose a category"))
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180,
                           widget=forms.HiddenInput)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90,
                           widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), required=False, max_length=255)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Photo of the problem"))
    fixed_on_spot = forms.BooleanField(label=_("Fixed on the spot"), required=False)
    after_photos = PhotosField(label=_("Photo after the fix"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(is_active=True).order_by("kind", "code")
        self.fields["lng"].error_messages["required"] = _(
            "Set the position: use GPS or tap the map.")
        self.fields["lat"].error_messages["required"] = _(
            "Set the position: use GPS or tap the map.")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("fixed_on_spot") and not data.get("after_photos"):
            self.add_error("after_photos", _("A problem fixed on the spot needs the after photo."))
        return data
