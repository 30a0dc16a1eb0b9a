"""Photos keep their EXIF as evidence; the copy that leaves the bureau
(tasks_app.photos.public_copy) carries no GPS position, no camera and no other metadata."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from tasks_app import services
from tasks_app.photos import public_copy
from tests.exif import SECRET_MODEL, has_gps_or_camera, jpeg_with_gps


def png_with_metadata() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", SECRET_MODEL)
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = SECRET_MODEL
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 128)).save(buf, "PNG", pnginfo=info, exif=exif)
    return buf.getvalue()


@pytest.fixture
def stored(world):
    def store(content: bytes, name: str):
        task = services.task_report(
            reporter=world.inspector.user, category=world.category, lng=world.point_g1[0],
            lat=world.point_g1[1], photos=[SimpleUploadedFile(name, content)])
        return task.photos.get()
    return store


def test_the_stored_photo_keeps_its_gps_exif(stored):
    photo = stored(jpeg_with_gps(), "gps.jpg")
    with photo.image.open("rb") as f, Image.open(f) as img:
        exif = img.getexif()
        assert exif[ExifTags.Base.Model] == SECRET_MODEL
        assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_a_public_copy_of_a_jpeg_has_no_gps_and_no_camera(stored):
    photo = stored(jpeg_with_gps(), "gps.jpg")
    assert has_gps_or_camera(photo.image.read())
    copy = public_copy(photo)
    assert not has_gps_or_camera(copy)
    assert SECRET_MODEL.encode() not in copy and b"HUAWEI" not in copy
    assert b"Exif" not in copy  # no APP1 EXIF segment at all
    with Image.open(io.BytesIO(copy)) as img:
        assert img.format == "JPEG"
        assert not img.getexif()
        assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        # The orientation went with the EXIF, so the pixels were turned upright instead.
        assert img.size == (20, 40)
        red, green, blue = img.convert("RGB").getpixel((10, 20))
        assert green > 150 and red < 60 and blue < 80


def test_a_public_copy_of_a_png_drops_its_exif_and_text_chunks(stored):
    photo = stored(png_with_metadata(), "meta.png")
    with photo.image.open("rb") as f:
        assert SECRET_MODEL.encode() in f.read()  # the evidence keeps it
    copy = public_copy(photo)
    assert SECRET_MODEL.encode() not in copy
    with Image.open(io.BytesIO(copy)) as img:
        assert img.format == "PNG" and img.mode == "RGBA" and not img.getexif()
        assert img.getpixel((0, 0)) == (1, 2, 3, 128)
