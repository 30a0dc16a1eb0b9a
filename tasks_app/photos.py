"""Photo checks: a real image (Pillow decodes it), bounded in bytes and pixels, stored under a
generated name with the extension of its real format."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def validate_photo(upload: UploadedFile) -> UploadedFile:
    size = getattr(upload, "size", None)
    if size is None:
        raise DomainError("invalid_photo", _("The upload is not a file."))
    if size > settings.PHOTO_MAX_BYTES:
        raise DomainError("photo_too_large", _("The photo is larger than %(mb)d MB.")
                          % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)})
    if size == 0:
        raise DomainError("invalid_photo", _("The photo is empty."))
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            fmt = img.format
            width, height = img.size
            if width * height > settings.PHOTO_MAX_PIXELS:
                raise DomainError("photo_too_large", _("The photo has too many pixels."))
            # verify() checks the structure only; load() decodes every pixel, so a truncated
            # JPEG (its scan data cut short) is refused here rather than stored as evidence.
            img.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise DomainError("invalid_photo", _("The file is not a JPEG, PNG or WebP image.")) \
            from exc
    if fmt not in FORMATS:
        raise DomainError("invalid_photo", _("The file is not a JPEG, PNG or WebP image."))
    upload.seek(0)
    upload.name = f"photo.{FORMATS[fmt]}"
    return upload


def public_copy(photo) -> bytes:
    """The photo as it may leave the bureau (published, e-mailed): the same pixels, upright, in
    the same format, with no metadata. The stored file keeps its EXIF (time, GPS, camera) as
    evidence; a public copy must not tell where a citizen stood or which phone they carry.

    A fresh image receives the pixels, so nothing of the original's EXIF, XMP, ICC profile or
    text chunks can ride along, whatever the format's writer would carry over by default."""
    with photo.image.open("rb") as f, Image.open(f) as img:
        fmt = img.format if img.format in FORMATS else "JPEG"
        upright = ImageOps.exif_transpose(img)  # the EXIF orientation tag goes with the rest
        if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
            upright = upright.convert("RGBA")
        clean = Image.new(upright.mode, upright.size)
        clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()
