"""Every write to an existing task through the API names the version it read (If-Match): without
it the answer is 428 Precondition Required and nothing changes; a stale one is 412."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tasks_app.models import Photo, Task, TaskEvent
from tasks_app.workflow import Status
from tests.api.conftest import png

# (persona, state the task is in, path under the task, body, format): each would succeed.
WRITES = [
    ("grid_officer", Status.ASSIGNED, "start/", {}, "json"),
    ("grid_officer", Status.IN_PROGRESS, "submit/", {"photos": [png()]}, "multipart"),
    ("grid_officer", Status.ASSIGNED, "photos/", {"image": png()}, "multipart"),
    ("supervisor", Status.SUBMITTED, "verify/", {"approved": True}, "json"),
    ("supervisor", Status.ASSIGNED, "hold/", {"reason": "等待"}, "json"),
    ("supervisor", Status.ASSIGNED, "urge/", {}, "json"),
    ("supervisor", Status.REPORTED, "void/", {"reason": "重复"}, "json"),
    ("supervisor", Status.ASSIGNED, "", {"title": "新标题"}, "json"),  # PATCH
]


def _snapshot(task: Task) -> tuple:
    row = Task.objects.get(pk=task.pk)
    return (row.status, row.version, row.title, TaskEvent.objects.filter(task=task).count(),
            Photo.objects.filter(task=task).count())


@pytest.mark.parametrize("persona,state,path,body,fmt", WRITES,
                         ids=[w[2] or "patch" for w in WRITES])
def test_a_write_without_if_match_is_428_and_changes_nothing(world, client_for, task_in,
                                                             persona, state, path, body, fmt):
    task = task_in(state)
    before = _snapshot(task)
    client = client_for(getattr(world, persona), if_match=False)
    url = f"/api/v1/tasks/{task.pk}/{path}"
    send = client.patch if not path else client.post
    response = send(url, body, format=fmt, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 428, response.content
    assert response.json()["code"] == "precondition_required"
    assert "If-Match" in response.json()["message"]
    assert _snapshot(task) == before

    # The same write naming the version it read goes through.
    version = Task.objects.get(pk=task.pk).version
    body = {k: ([png()] if k == "photos" else png() if k == "image" else v)
            for k, v in body.items()}
    done = send(url, body, format=fmt, HTTP_IF_MATCH=f'"{version}"')
    assert done.status_code in (200, 201), done.content


def test_a_retry_with_its_idempotency_key_replays_even_when_the_version_moved_on(
        world, client_for, task_in):
    task = task_in(Status.ASSIGNED)
    client = client_for(world.grid_officer, if_match=False)
    url = f"/api/v1/tasks/{task.pk}/start/"
    first = client.post(url, {}, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="s-1")
    again = client.post(url, {}, format="json", HTTP_IF_MATCH='"1"', HTTP_IDEMPOTENCY_KEY="s-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_the_schema_says_if_match_is_required_and_documents_428(db):
    doc = APIClient().get("/api/schema/?format=json").json()
    writes = [(path, method) for path, item in doc["paths"].items()
              if path.startswith("/api/v1/tasks/{id}/") for method in item
              if method in ("post", "patch", "put")]
    assert len(writes) >= 12
    for path, method in writes:
        operation = doc["paths"][path][method]
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers["If-Match"]["required"] is True, (path, method)
        assert "428" in operation["responses"], (path, method)
