"""Photos that carry what a public copy must drop: a GPS position and the phone that took them."""

from __future__ import annotations

import io

from PIL import ExifTags, Image

SECRET_MODEL = "P60-Pro-of-citizen-Wang"


def jpeg_with_gps(size: tuple[int, int] = (40, 20)) -> bytes:
    """A green landscape JPEG whose EXIF says: taken at 30°0'18"N 120°0'18"E on a Huawei, to be
    shown turned a quarter (orientation 6)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = SECRET_MODEL
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (30.0, 0.0, 18.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (120.0, 0.0, 18.0)})
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def has_gps_or_camera(content: bytes) -> bool:
    with Image.open(io.BytesIO(content)) as img:
        exif = img.getexif()
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or ExifTags.Base.Model in exif \
            or SECRET_MODEL.encode() in content
