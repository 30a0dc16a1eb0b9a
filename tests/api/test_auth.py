"""Token and session authentication, CSRF for sessions, and throttling."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from tasks_app.workflow import Status


def test_a_token_is_issued_for_a_username_and_password(world):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "grid1", "password": "pass-12345"},
                           format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/tasks/").status_code == 200


def test_a_wrong_password_gets_no_token(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "grid1", "password": "no"},
                                format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


def test_token_guessing_is_throttled(world):
    client = APIClient()
    codes = [client.post("/api/v1/auth/token/", {"username": "grid1", "password": f"x{i}"},
                         format="json").status_code for i in range(25)]
    assert codes[0] == 400 and codes[-1] == 429


def test_a_session_works_for_reads_and_needs_csrf_for_writes(world, task_in):
    task = task_in(Status.ASSIGNED)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.grid_officer.user)  # a password login: test_login_lockout.py
    assert browser.get(f"/api/v1/tasks/{task.pk}/").status_code == 200
    refused = browser.post(f"/api/v1/tasks/{task.pk}/start/", {},
                           content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["message"]
    task.refresh_from_db()
    assert task.status == Status.ASSIGNED

    browser.get("/admin/login/")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(f"/api/v1/tasks/{task.pk}/start/", {},
                            content_type="application/json", HTTP_X_CSRFTOKEN=token,
                            HTTP_IF_MATCH=f'"{task.version}"')
    assert accepted.status_code == 200


def test_anonymous_callers_are_throttled(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "3/min"}}
    client = APIClient()
    codes = [client.get("/api/v1/tasks/").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    throttled = client.get("/api/v1/tasks/")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
