"""One login lock-out for every login: the console (/admin/login/), the phone (/m/login/) and the
API token (/api/v1/auth/token/), keyed on username and client address together (django-axes)."""

from __future__ import annotations

import uuid

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.test import APIClient

RIGHT = "pass-12345"


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # The token endpoint's own per-address throttle counts in the cache; start it at zero.
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"],
                                                      "KEY_PREFIX": f"lock{uuid.uuid4().hex}"}}


@pytest.fixture
def supervisor(world):
    user = world.supervisor.user
    user.is_staff = True
    user.save()
    return user


def console(client, password, username="supervisor", **meta):
    meta.setdefault("REMOTE_ADDR", "10.0.0.1")
    return client.post(reverse("admin:login"), {"username": username, "password": password,
                                                "next": "/admin/"}, **meta)


def phone(client, password, username="supervisor", **meta):
    meta.setdefault("REMOTE_ADDR", "10.0.0.1")
    return client.post(reverse("mobile:login"), {"username": username, "password": password},
                       **meta)


def token(client, password, username="supervisor", **meta):
    meta.setdefault("REMOTE_ADDR", "10.0.0.1")
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password},
                            format="json", **meta)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twelve_wrong_passwords_on_the_console_then_the_right_one_is_refused(client, supervisor):
    codes = [console(client, f"guess{i}").status_code for i in range(12)]
    assert codes[:4] == [200] * 4 and set(codes[4:]) == {429}
    response = console(client, RIGHT)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()  # on the login page, in zh-hans
    assert not _logged_in(client)


def test_twelve_wrong_passwords_on_the_phone_then_the_right_one_is_refused(client, supervisor):
    for i in range(12):
        phone(client, f"guess{i}")
    response = phone(client, RIGHT)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not _logged_in(client)


def test_twelve_wrong_passwords_for_a_token_then_the_right_one_is_refused(client, supervisor):
    for i in range(12):
        token(client, f"guess{i}")
    response = token(client, RIGHT)
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert "登录失败次数过多" in response.json()["message"]
    assert "token" not in response.json()


def test_failures_anywhere_count_for_every_login(client, supervisor):
    for i in range(2):
        phone(client, f"guess{i}")
    for i in range(2):
        token(client, f"guess{i}")
    console(client, "guess")
    assert console(client, RIGHT).status_code == 429
    assert phone(client, RIGHT).status_code == 429
    assert token(client, RIGHT).status_code == 429


def test_guessing_user_a_does_not_lock_user_b_from_that_address(client, supervisor, world):
    for i in range(12):
        console(client, f"guess{i}", username="grid1")
    assert console(client, RIGHT).status_code == 302
    assert _logged_in(client)


def test_the_same_username_from_another_address_is_not_locked(client, supervisor):
    for i in range(12):
        console(client, f"guess{i}", REMOTE_ADDR="10.6.6.6")
    assert console(client, RIGHT, REMOTE_ADDR="10.0.0.2").status_code == 302
    assert phone(client, RIGHT, REMOTE_ADDR="10.0.0.3").status_code == 302
    assert token(client, RIGHT, REMOTE_ADDR="10.0.0.4").status_code == 200


def test_behind_one_proxy_the_forwarded_address_is_the_client(client, supervisor, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    for i in range(5):
        console(client, f"guess{i}", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert console(client, RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    # Another officer's phone behind the same proxy is not locked out with the attacker.
    assert console(client, RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 302


def test_a_spoofed_extra_forwarded_hop_is_not_trusted(client, supervisor, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The attacker writes his own X-Forwarded-For; the proxy appends the address it saw.
    for i in range(12):
        console(client, f"guess{i}", REMOTE_ADDR="10.9.9.9",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert console(client, RIGHT, REMOTE_ADDR="10.9.9.9",
                   HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.5").status_code == 429


def test_without_a_proxy_a_forwarded_header_is_ignored(client, supervisor):
    for i in range(5):
        console(client, f"guess{i}", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert console(client, RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_a_forwarded_value_that_is_no_address_falls_back_to_the_peer(client, supervisor,
                                                                    settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    response = console(client, "guess", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="<script>")
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.9.9.9"]


def test_a_token_request_with_an_overlong_username_is_invalid_input(client, db):
    response = token(client, "guess", username="x" * 300)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
