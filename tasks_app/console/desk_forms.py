"""The registration desk's form (立案): a find by others, taken down from a call or a report.

The form checks shapes and places the find (a map pick, or an address that names a road or a
grid); the services decide the source the user may claim, check the photos and write."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from gridmgmt.geocode import place_named
from gridmgmt.services import locate

from ..errors import DomainError
from ..inputs import seen_ids
from ..mobile.forms import PhotosField
from ..mobile.idempotency import clean_key
from ..models import Category, Source


def new_key() -> str:
    return secrets.token_urlsafe(16)


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.name}（{obj.code}）"


class DeskForm(forms.Form):
    source = forms.ChoiceField(label=_("Came in through"), widget=forms.RadioSelect)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none(),
                                   required=False, empty_label=_("Choose a category"))
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180,
                           required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False,
                           widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), required=False, max_length=255,
                              help_text=_("Pick the place on the map, or give an address that "
                                          "names a road or a grid."))
    description = forms.CharField(label=_("What was reported"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    contact = forms.CharField(label=_("Caller's name and phone"), required=False, max_length=200,
                              help_text=_("Kept in the task's record for the officers; never "
                                          "published."))
    photos = PhotosField(label=_("Photos"), required=False)
    # A fresh random key per form drawn: sending it twice registers once (idempotency.py).
    key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The open tasks nearby that the page showed before saving, as "id,id,…".
    seen = forms.CharField(required=False, max_length=600, widget=forms.HiddenInput)
    # Link the call to this task instead of registering a new one.
    link = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                              widget=forms.HiddenInput)

    def __init__(self, *args, sources: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        source, category = self.fields["source"], self.fields["category"]
        assert isinstance(source, forms.ChoiceField)
        assert isinstance(category, forms.ModelChoiceField)
        source.choices = [(s, Source(s).label) for s in sources]
        category.queryset = Category.objects.filter(is_active=True).order_by("code")
        if not self.is_bound:
            self.initial.setdefault("source", sources[0] if sources else "")
            self.initial.setdefault("key", new_key())

    def clean_key(self) -> str:
        return clean_key(self.cleaned_data.get("key"))

    def clean_seen(self) -> set[int]:
        return seen_ids(self.cleaned_data.get("seen"))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("link"):
            return data  # a call about a registered task: the task has its place and category
        if not data.get("category") and "category" not in self.errors:
            self.add_error("category", _("Choose a category."))
        data["location"] = self._locate(data)
        return data

    def _locate(self, data):
        if self.errors.get("lng") or self.errors.get("lat") or self.errors.get("address"):
            return None
        lng, lat, address = data.get("lng"), data.get("lat"), data.get("address") or ""
        if lng is None or lat is None:
            place = place_named(address) if address.strip() else None
            if place is None:
                self.add_error("address", _(
                    "Pick the place on the map, or give an address that names a road or a "
                    "grid we know.") if address.strip() else _(
                    "Pick the place on the map or give its address."))
                return None
            lng, lat = place.lng, place.lat
        try:
            return locate(lng, lat)
        except DomainError as exc:
            self.add_error(None, exc.message)
            return None
