"""Two writers at the same instant, on PostgreSQL (row locks are real there; SQLite serialises
writers anyway). The version check under the row lock lets exactly one win; the idempotency key's
unique row makes a doubled report one task."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tasks_app.models import Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="needs PostgreSQL's row locks")


def _together(*calls):
    """Run the calls in threads released at the same moment; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_supervisors_reassigning_at_once_one_wins_one_gets_412(transactional_db, world,
                                                                   client_for, task_in):
    task = task_in(Status.ASSIGNED)
    first, second = f.OfficerFactory(name="甲"), f.OfficerFactory(name="乙")
    url = f"/api/v1/tasks/{task.pk}/assign/"
    a, b = client_for(world.supervisor), client_for(world.street_leader)
    results = _together(
        lambda: a.post(url, {"assignee": first.pk}, format="json", HTTP_IF_MATCH='"1"'),
        lambda: b.post(url, {"assignee": second.pk}, format="json", HTTP_IF_MATCH='"1"'))
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200).json()["assignee"]
    task.refresh_from_db()
    assert task.assignee_id == winner and task.version == 2
    assert TaskEvent.objects.filter(task=task, kind="reassigned").count() == 1


def test_a_report_sent_twice_at_once_with_one_key_is_one_task(transactional_db, world,
                                                             client_for):
    lng, lat = world.point_g1
    client = client_for(world.inspector)
    body = {"category": world.category.pk, "lng": lng, "lat": lat}
    results = _together(*[
        (lambda: client.post("/api/v1/tasks/", body, format="json",
                             HTTP_IDEMPOTENCY_KEY="same-key"))] * 2)
    assert [r.status_code for r in results] == [201, 201]
    assert results[0].json()["id"] == results[1].json()["id"]
    assert Task.objects.count() == 1
