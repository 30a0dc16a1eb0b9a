"""Redis (broker and cache) dies while officers report through the API: every report still
succeeds; the alerts wait in the outbox and go out once when Redis is back.

The Redis killed here is the drill's own redis-server, never the machine's shared one; the web
server (gunicorn) and the worker use it as their REDIS_URL.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from tasks_app.models import Notification, Task

from .procs import RedisServer, WebServer, publisher, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# A report does not wait long on the dead broker: the wake-up call a report makes after it
# commits gives up at once (CELERY_BROKER_TRANSPORT_OPTIONS), and the throttles let requests
# through when their cache is gone. How long it takes is not asserted here (a timed assertion
# fails on a busy machine, not on a regression); the urlopen timeout below bounds a hang.


@pytest.fixture
def web(own_redis, queue, tmp_path):
    server = WebServer(own_redis, queue, tmp_path / "media")
    yield server
    server.stop()


def _report(web: WebServer, token: str, category: int, point: tuple[float, float]
            ) -> tuple[int, dict]:
    body = json.dumps({"category": category, "lng": point[0], "lat": point[1],
                       "title": "drill report"}).encode()
    request = urllib.request.Request(f"{web.base}/api/v1/tasks/", data=body, method="POST",
                                     headers={"Authorization": f"Token {token}",
                                              "Content-Type": "application/json",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, {"body": exc.read()[:300].decode()}


def _repeat_pair(web, token, category, point) -> list[int]:
    """Report a problem twice at one spot: the second is a repeat and alerts people at once."""
    ids = []
    for _ in range(2):
        status, body = _report(web, token, category, point)
        assert status == 201, body
        ids.append(body["id"])
    return ids


def test_reports_succeed_while_redis_is_down_and_their_alerts_go_out_once_it_returns(
        world, own_redis: RedisServer, queue, workers, web, smtp_server):
    officers = [world.grid_officer, world.road_chief, world.inspector]
    tokens = [Token.objects.create(user=o.user).key for o in officers]
    category = world.category.pk
    lng, lat = world.point_g1
    spots = [(lng - 0.003 + 0.001 * i, lat) for i in range(6)]
    worker = workers.start()

    # Redis up: the repeat's alerts reach the mail server at once.
    _repeat_pair(web, tokens[0], category, spots[0])
    sent_first = Notification.objects.filter(status=Notification.Status.SENT)
    wait_for(lambda: sent_first.count() >= 2, 60, "the first alerts to be sent", interval=0.3)
    before = len(smtp_server.mailbox.messages)

    own_redis.kill()
    down_tasks = []
    for i, spot in enumerate(spots[1:]):
        down_tasks += _repeat_pair(web, tokens[i % len(tokens)], category, spot)
    waiting = Notification.objects.filter(task_id__in=down_tasks)
    assert waiting.count() >= 2 * 5  # each repeat tells its assignee and the road chief
    assert set(waiting.values_list("status", flat=True)) == {Notification.Status.PENDING}
    assert Task.objects.filter(pk__in=down_tasks).count() == 10
    time.sleep(1)
    assert len(smtp_server.mailbox.messages) == before  # nothing went out meanwhile

    # Redis returns on the same port; the worker reconnects, and the periodic pass (beat
    # publishes it every minute) sends what waited.
    own_redis.start()
    wait_for(lambda: worker.text().count("Connected to redis") >= 2, 90,
             "the worker to reconnect", interval=0.5)
    publisher(own_redis).send_task("tasks_app.send_notifications", queue=queue)
    wait_for(lambda: not waiting.exclude(status=Notification.Status.SENT).exists(), 60,
             "the waiting alerts to be sent", interval=0.3)
    everything = Notification.objects.all()
    messages = smtp_server.mailbox.wait_for(everything.count())
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == everything.count() == len(set(ids)), "an alert was lost or sent twice"
