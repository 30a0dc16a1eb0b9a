"""The product compresses its own text responses (config/compression.py): pages and JSON go out
gzipped to a client that accepts it, byte-identical once decompressed; photos and responses with
an ETag (the API's If-Match needs it strong) go out as they are; the security headers stay."""

from __future__ import annotations

import gzip

from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.compression import compressible
from tasks_app.models import Photo
from tests.mobile.conftest import g1_point, photo, report_at

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_the_phone_list_is_sent_gzipped_and_decompresses_to_the_same_page(client, world):
    for i in range(20):
        report_at(world, g1_point(i))
    client.force_login(world.grid_officer.user)
    plain = client.get(reverse("mobile:tasks"))
    packed = client.get(reverse("mobile:tasks"), **GZIP)
    assert plain.status_code == packed.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 3
    html = gzip.decompress(packed.content).decode()
    assert html.count('class="task ') == plain.content.decode().count('class="task ') == 20
    # The CSRF token is masked per response, so compare the page without the tokens' values.
    strip = __import__("re").compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", html) == strip.sub("", plain.content.decode())
    # The headers added around it are unchanged.
    for header in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options"):
        assert packed[header] == plain[header]


def test_the_service_worker_is_sent_gzipped(client, world):
    response = client.get(reverse("mobile:sw"), **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"addEventListener" in gzip.decompress(response.content)


def test_a_photo_is_sent_as_it_is(client, world):
    task = report_at(world, world.point_g1, photos=[photo()])
    client.force_login(world.grid_officer.user)
    response = client.get(reverse("mobile:photo", args=[Photo.objects.get(task=task).pk]), **GZIP)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert not response.has_header("Content-Encoding")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # the JPEG itself


def test_an_api_answer_with_an_etag_keeps_it_strong(client, world):
    task = report_at(world, world.point_g1)
    token = Token.objects.create(user=world.grid_officer.user)
    response = client.get(f"/api/v1/tasks/{task.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}",
                          **GZIP)
    assert response.status_code == 200
    assert response["ETag"] == f'"{task.version}"'
    assert not response.has_header("Content-Encoding")
    listing = client.get("/api/v1/tasks/", HTTP_AUTHORIZATION=f"Token {token.key}", **GZIP)
    assert listing.status_code == 200
    assert not listing.has_header("ETag")
    assert listing["Content-Encoding"] == "gzip"
    assert b'"results"' in gzip.decompress(listing.content)


def test_only_text_is_compressible():
    for kind in ("text/html; charset=utf-8", "application/json", "application/geo+json",
                 "application/javascript", "image/svg+xml", "application/problem+json"):
        assert compressible(kind), kind
    for kind in ("image/jpeg", "image/png", "application/octet-stream", "application/zip", ""):
        assert not compressible(kind), kind
