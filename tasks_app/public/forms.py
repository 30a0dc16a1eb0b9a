"""The citizen's forms: a report on the web, and the rating after closure. They check shapes
(and place the report in a grid); the services decide and write, and validate the photos."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridmgmt.services import locate
from tasks_app.errors import DomainError
from tasks_app.inputs import seen_ids
from tasks_app.mobile.forms import PhotosField
from tasks_app.models import Category

from .models import Rating
from .services import MAX_COMMENT, MAX_DESCRIPTION, MAX_PHOTOS

PHONE = re.compile(r"^\+?[0-9]{5,20}$")


def normal_phone(raw: str) -> str:
    """Digits (and a leading +) only: "138 0000-0000" and "13800000000" are one number, for
    the throttle as for the officers who call back."""
    return re.sub(r"[\s\-()]", "", raw or "")


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.name


class ReportForm(forms.Form):
    category = CategoryChoiceField(label=_("What kind of problem"),
                                   queryset=Category.objects.none(),
                                   empty_label=_("Choose a category"))
    lng = forms.FloatField(min_value=-180, max_value=180, widget=forms.HiddenInput,
                           error_messages={"required": _("Pick the place on the map.")})
    lat = forms.FloatField(min_value=-90, max_value=90, widget=forms.HiddenInput,
                           error_messages={"required": _("Pick the place on the map.")})
    address = forms.CharField(label=_("Where exactly (optional)"), required=False,
                              max_length=255)
    description = forms.CharField(label=_("What is wrong"), max_length=MAX_DESCRIPTION,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label=_("Photos"), required=False,
                         help_text=_("Up to %(n)d photos.") % {"n": MAX_PHOTOS})
    email = forms.EmailField(label=_("E-mail for feedback (optional)"), required=False,
                             max_length=254)
    phone = forms.CharField(label=_("Phone for feedback (optional)"), required=False,
                            max_length=32)
    # The honeypot: hidden from people by the style sheet, filled in by form-filling robots.
    website = forms.CharField(required=False, max_length=200, label=_("Leave this empty"))
    # The open problems nearby the page showed before sending, as "id,id,…".
    seen = forms.CharField(required=False, max_length=600, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = Category.objects.filter(is_active=True).order_by("code")
        self.fields["photos"].widget.attrs.update(accept="image/jpeg,image/png,image/webp")
        self.fields["website"].widget.attrs.update(autocomplete="off", tabindex="-1")
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        self.fields["email"].widget.attrs.update(autocomplete="email")

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_PHOTOS:
            raise ValidationError(_("Send at most %(n)d photos.") % {"n": MAX_PHOTOS})
        for photo in photos:
            # Refused before anything is decoded; the service decodes what passes.
            if photo.size > settings.PHOTO_MAX_BYTES:
                raise ValidationError(_("A photo is larger than %(mb)d MB.")
                                      % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)})
        return photos

    def clean_phone(self) -> str:
        phone = normal_phone(self.cleaned_data.get("phone") or "")
        if phone and not PHONE.match(phone):
            raise ValidationError(_("Enter a phone number of digits only."))
        return phone

    def clean_description(self) -> str:
        text = (self.cleaned_data.get("description") or "").strip()
        if not text:
            raise ValidationError(_("Describe the problem."))
        return text

    def clean_seen(self) -> set[int]:
        return seen_ids(self.cleaned_data.get("seen"))

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["location"] = None
        if data.get("lng") is not None and data.get("lat") is not None:
            try:
                data["location"] = locate(data["lng"], data["lat"])
            except DomainError as exc:
                self.add_error(None, exc.message)
        return data


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(label=_("How satisfied are you with the result?"),
                                   choices=Rating.Level.choices, coerce=int,
                                   widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), required=False,
                              max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3}))
