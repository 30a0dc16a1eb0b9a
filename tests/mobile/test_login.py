"""Officer login and logout, and the login lock-out against password guessing (django-axes,
shared with the console and the API token: tests/test_login_lockout.py)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

LIMIT = settings.AXES_FAILURE_LIMIT


def _login(client, password, username="grid1", ip="10.0.0.1"):
    return client.post(reverse("mobile:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def test_an_officer_logs_in_to_their_tasks_and_out_again(client, world):
    response = _login(client, "pass-12345")
    assert response.status_code == 302
    assert response["Location"] == reverse("mobile:tasks")
    assert client.cookies["django_language"].value == "zh-hans"  # the officer's, for this session
    assert client.get(reverse("mobile:tasks")).status_code == 200
    response = client.post(reverse("mobile:logout"))
    assert response["Location"] == reverse("mobile:login")
    assert client.get(reverse("mobile:tasks")).status_code == 302


def test_a_wrong_password_is_refused(client, world):
    response = _login(client, "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_five_failures_lock_the_username_from_that_address(client, world):
    for _ in range(LIMIT - 1):
        assert _login(client, "guess").status_code == 200
    assert _login(client, "guess").status_code == 429  # the failure that locks
    # Even the right password is not checked now.
    response = _login(client, "pass-12345")
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked.
    assert _login(client, "pass-12345", ip="10.0.0.2").status_code == 302


def test_the_lockout_message_is_in_chinese_by_default(client, world):
    for _ in range(LIMIT):
        client.post(reverse("mobile:login"), {"username": "grid1", "password": "guess"})
    response = client.post(reverse("mobile:login"), {"username": "grid1",
                                                     "password": "pass-12345"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_the_lock_is_per_username(client, world):
    for _ in range(LIMIT):
        _login(client, "guess", username="grid2")
    assert _login(client, "pass-12345").status_code == 302


def test_a_success_clears_the_failures(client, world):
    for _ in range(LIMIT - 1):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 302
    client.post(reverse("mobile:logout"))
    for _ in range(LIMIT - 1):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 302


def test_the_lock_lifts_after_15_minutes_and_guessing_does_not_extend_it(client, world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(LIMIT):
            _login(client, "guess")
        clock.shift(timedelta(minutes=10))
        assert _login(client, "guess").status_code == 429
        clock.shift(timedelta(minutes=4))
        assert _login(client, "pass-12345").status_code == 429
        clock.shift(timedelta(minutes=1, seconds=1))
        assert _login(client, "pass-12345").status_code == 302


def test_officers_can_still_log_in_when_the_cache_is_down(world, client, settings):
    # The lock-out counts in the database: a Redis outage neither stops logins nor the count.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # nothing listens
    bad = _login(client, "wrong")
    assert bad.status_code == 200
    assert _login(client, "pass-12345").status_code == 302
    client.post(reverse("mobile:logout"))
    for _ in range(LIMIT):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 429
