"""Compressed responses: the product gzips its own pages, so a phone on a weak signal downloads a
fraction of the bytes whether or not a proxy in front compresses (bench/page_weight.py measures
the officer's list as sent).

Django's GZipMiddleware, limited to text (HTML, JSON, GeoJSON, JavaScript, CSS, SVG, XML):

- photos and other binary files (FileResponse) are sent as they are: a JPEG does not shrink, and
  compressing it would only cost CPU and drop its Content-Length;
- a response that carries an ETag is sent as it is: compression turns a strong ETag weak
  (``W/"3"``), and the API's If-Match needs the task's version back as it was sent;
- static files never reach it: WhiteNoise, above it in MIDDLEWARE, answers them with the gzip
  files collectstatic wrote.

Django (4.2 and later) pads each compressed response with random bytes in the gzip header, which
defeats BREACH-style length guessing; CSRF tokens are masked per response as well.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

_TEXT_TYPES = ("application/json", "application/geo+json", "application/javascript",
               "application/xml", "application/manifest+json", "image/svg+xml")


def compressible(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return (kind.startswith("text/") or kind in _TEXT_TYPES
            or kind.endswith("+json") or kind.endswith("+xml"))


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request: HttpRequest,
                         response: HttpResponseBase) -> HttpResponseBase:
        if not compressible(response.get("Content-Type", "")) or response.has_header("ETag"):
            return response
        return super().process_response(request, response)
