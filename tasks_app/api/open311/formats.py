"""GeoReport v2's two formats. Every method answers the same structure as JSON or XML; XML lists
name their items by the spec's element names (``<services><service>``, ``<service_requests>
<request>``, ``<errors><error>`` ...), and the XML starts with the UTF-8 declaration."""

from __future__ import annotations

import io
import json
import re
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from django.http import HttpResponse

# The element name of one item in each XML list.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Characters XML 1.0 cannot carry at all; a citizen's text may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _emit(xml: XMLGenerator, name: str, value: Any) -> None:
    xml.startElement(name, AttributesImpl({}))
    if isinstance(value, list):
        for item in value:
            _emit(xml, ITEM[name], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _emit(xml, key, item)
    elif value is not None:
        xml.characters(_text(value))
    xml.endElement(name)


def to_xml(root: str, data: Any) -> bytes:
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    xml = XMLGenerator(out, "utf-8", short_empty_elements=True)
    _emit(xml, root, data)
    return out.getvalue().encode()


def respond(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    """``root`` names the XML document element; JSON sends ``data`` as it is."""
    body = to_xml(root, data) if fmt == "xml" else json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The spec's error document: a list of {code, description}, code being the HTTP status."""
    return respond(fmt, "errors", [{"code": status, "description": str(d)}
                                   for d in descriptions], status=status)
