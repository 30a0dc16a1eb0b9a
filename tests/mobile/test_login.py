"""Officer login and logout, and throttling against password guessing."""

from __future__ import annotations

import time

from django.urls import reverse

from tasks_app.mobile import throttle


def _login(client, password, username="grid1", ip="10.0.0.1"):
    return client.post(reverse("mobile:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def test_an_officer_logs_in_to_their_tasks_and_out_again(client, world):
    response = _login(client, "pass-12345")
    assert response.status_code == 302
    assert response["Location"] == reverse("mobile:tasks")
    assert client.cookies["django_language"].value == "zh-hans"
    assert client.get(reverse("mobile:tasks")).status_code == 200
    response = client.post(reverse("mobile:logout"))
    assert response["Location"] == reverse("mobile:login")
    assert client.get(reverse("mobile:tasks")).status_code == 302


def test_a_wrong_password_is_refused(client, world):
    response = _login(client, "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_five_failures_lock_the_username_from_that_address(client, world):
    for _ in range(throttle.MAX_FAILURES):
        assert _login(client, "guess").status_code == 200
    # Even the right password is not checked now.
    response = _login(client, "pass-12345")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address, or another username, is not locked.
    assert _login(client, "pass-12345", ip="10.0.0.2").status_code == 302


def test_the_lock_is_per_username(client, world):
    for _ in range(throttle.MAX_FAILURES):
        _login(client, "guess", username="grid2")
    assert _login(client, "pass-12345").status_code == 302


def test_a_success_clears_the_failures(client, world):
    for _ in range(throttle.MAX_FAILURES - 1):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 302
    client.post(reverse("mobile:logout"))
    for _ in range(throttle.MAX_FAILURES - 1):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 302


def test_the_lock_lifts_after_the_window(client, world, monkeypatch):
    # A real (short) wait: the counts may live in Redis, which no clock patch reaches.
    monkeypatch.setattr(throttle, "WINDOW_SECONDS", 1)
    for _ in range(throttle.MAX_FAILURES):
        _login(client, "guess")
    assert _login(client, "pass-12345").status_code == 429
    time.sleep(1.2)
    assert _login(client, "pass-12345").status_code == 302


def test_officers_can_still_log_in_when_the_cache_is_down(world, client, monkeypatch):
    class DeadCache:
        def __getattr__(self, name):
            def refuse(*args, **kwargs):
                raise ConnectionError("cache unreachable")
            return refuse

    # The throttle must not turn a cache outage into no logins at all.
    monkeypatch.setattr(throttle, "cache", DeadCache())
    bad = client.post("/m/login/", {"username": "grid1", "password": "wrong"})
    assert bad.status_code == 200
    response = client.post("/m/login/", {"username": "grid1", "password": "pass-12345"})
    assert response.status_code == 302
