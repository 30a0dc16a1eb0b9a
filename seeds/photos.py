"""Tiny real JPEGs for the demo's before/after photos: they pass the same Pillow checks as an
officer's upload, yet a few hundred of them weigh well under a megabyte."""

from __future__ import annotations

import io
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

# Before photos lean grey-brown (the problem), after photos green (fixed): easy to tell apart.
PALETTES = {
    "before": [(120, 100, 80), (140, 120, 90), (100, 90, 90), (130, 110, 100)],
    "after": [(90, 150, 100), (100, 160, 120), (80, 140, 110), (110, 170, 130)],
}


@cache
def _jpeg(kind: str, variant: int) -> bytes:
    colour = PALETTES[kind][variant % len(PALETTES[kind])]
    img = Image.new("RGB", (64, 48), colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((8 + variant * 4, 10, 40 + variant * 3, 38), outline=(240, 240, 240), width=2)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=60)
    return buf.getvalue()


def photo(kind: str, variant: int = 0) -> SimpleUploadedFile:
    """A fresh upload each call: an upload is a file object and is consumed when stored."""
    return SimpleUploadedFile(f"{kind}.jpg", _jpeg(kind, variant % 4), "image/jpeg")
