"""The API's JSON parser: DRF's, with a bound on nesting.

Python's json module recurses once per level, so ``[[[[...]]]]`` fifty thousand deep raises
RecursionError, which DRF's parser does not catch (a 500, anonymously too). Nothing the API takes
is nested more than a few levels, so anything deeper than MAX_DEPTH is refused as a 400 before
any serializer (or error renderer) walks it recursively again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def depth_of(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), iteratively."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON is nested too deeply (at most %(n)d levels).")
                             % {"n": MAX_DEPTH}) from exc
        if depth_of(data) > MAX_DEPTH:
            raise ParseError(_("The JSON is nested too deeply (at most %(n)d levels).")
                             % {"n": MAX_DEPTH})
        return data
