"""Photo checks: a real image (Pillow decodes it), bounded in bytes and pixels, stored under a
generated name with the extension of its real format."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

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
