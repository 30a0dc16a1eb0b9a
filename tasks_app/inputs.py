"""Rules for raw input shared by the API, the phone pages and the console: one place per kind.

Django's and DRF's CharFields already refuse NUL characters (Django's
ProhibitNullCharactersValidator). A date or a time is parsed first, and Django's parser ignores
what trails it, so ``2026-12-01T10:00\\x00`` would become a valid instant: those fields check the
raw text with the same validator before parsing (``forms.DateTimeField`` here, the API's in
``api/fields.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

refuse_nul = ProhibitNullCharactersValidator()


def raw_text(value: Any) -> Any:
    """The raw value unchanged, or a ValidationError when it is text holding a NUL."""
    if isinstance(value, str):
        refuse_nul(value)
    return value


class DateTimeField(forms.DateTimeField):
    """A form's date and time, refusing NUL characters in what was typed."""

    def to_python(self, value):
        return super().to_python(raw_text(value))


# The nearby open tasks a registration page showed (the desk's, the citizen's report page's).
MAX_SEEN = 50


def seen_ids(raw: str | None) -> set[int]:
    """The task ids a page says it showed, as comma-separated digits: at most MAX_SEEN of them,
    or a ValidationError (the page was tampered with or is stale)."""
    parts = [p for p in (raw or "").split(",") if p.strip()]
    if len(parts) > MAX_SEEN or not all(p.strip().isdigit() for p in parts):
        raise ValidationError(_("Reload the page and pick the place again."))
    return {int(p) for p in parts}
