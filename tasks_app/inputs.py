"""Rules for raw input shared by the API, the phone pages and the console: one place per kind.

Django's and DRF's CharFields already refuse NUL characters (Django's
ProhibitNullCharactersValidator). A date or a time is parsed first, and Django's parser ignores
what trails it, so ``2026-12-01T10:00\\x00`` would become a valid instant: those fields check the
raw text with the same validator before parsing (``forms.DateTimeField`` here, the API's in
``api/fields.py``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

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
