"""Strict API fields: an id is a whole number (``1.5`` or ``true`` is not silently the row 1),
and a date and time is refused when its text holds a NUL (tasks_app/inputs.py)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..inputs import raw_text

_DIGITS = re.compile(r"[0-9]{1,18}")


class IdField(serializers.PrimaryKeyRelatedField):
    """PrimaryKeyRelatedField without coercion: a JSON integer or, from a form, its digits.

    DRF's field passes the value to ``queryset.get(pk=...)``, where Django's IntegerField turns
    1.5 (and True) into 1; this one refuses anything that is not a whole number first."""

    default_error_messages = {"not_an_id": _("Give the id as a whole number.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("not_an_id")
        if isinstance(data, str) and _DIGITS.fullmatch(data):
            data = int(data)
        if not isinstance(data, int):
            self.fail("not_an_id")
        if not 1 <= data < 2**63:  # past a 64-bit id the database would overflow, not miss
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        return super().to_internal_value(raw_text(value))


class IntegerField(serializers.IntegerField):
    """A whole number: a JSON integer or its digits. DRF's field strips a trailing ``.0`` and so
    takes 1.0 (or "1.0") as 1; a number with a fraction point is refused here instead."""

    def to_internal_value(self, data):
        if isinstance(data, bool | float) or (isinstance(data, str)
                                              and not re.fullmatch(r"-?[0-9]{1,18}", data)):
            self.fail("invalid")
        return super().to_internal_value(data)
