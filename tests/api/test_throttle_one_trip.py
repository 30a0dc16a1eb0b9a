"""The throttles' window in one Redis round trip (tasks_app/api/throttles.py ``_OneRoundTrip``)
decides as DRF's SimpleRateThrottle does, request for request, with the same Retry-After; it
admits no more than the rate when requests race (DRF's get-then-set can); and it makes one
round trip where DRF's makes two. Without Redis (SQLite runs) the throttles are DRF's own,
which the HTTP tests in test_auth.py cover."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import UserRateThrottle

from tasks_app.api.throttles import UserThrottle

# A burst, the window's edge (a request exactly one window after another's), rejections in
# between, requests at one instant, and a long pause.
TIMES = [1000.0, 1001.0, 1002.0, 1003.0, 1030.0, 1059.99, 1060.0, 1060.5, 1061.0, 1062.0,
         1062.0, 1062.0, 1119.0, 1122.0, 1300.0, 1300.0, 1300.0, 1300.0, 1301.5]


@pytest.fixture
def redis_cache():
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("the one-trip window is used with Redis as the cache (REDIS_URL)")
    return backend


@pytest.fixture
def rate_3_a_minute(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "3/min"}}


class Reference(UserRateThrottle):
    """DRF's own throttle over a cache of its own."""

    cache = LocMemCache("throttle-reference", {})
    rate = "3/min"


def _request(pk: int = 7) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(pk=pk, is_authenticated=True), META={})


def _decide(throttle_class, times: list[float], pk: int) -> list[tuple[bool, float | None]]:
    decisions = []
    for now in times:
        throttle = throttle_class()
        throttle.timer = lambda now=now: now
        allowed = throttle.allow_request(_request(pk), None)
        wait = None if allowed else throttle.wait()
        decisions.append((allowed, None if wait is None else round(wait, 9)))
    return decisions


def test_the_same_decisions_and_waits_as_drfs(redis_cache, rate_3_a_minute):
    Reference.cache.clear()
    ours = _decide(UserThrottle, TIMES, pk=7)
    theirs = _decide(Reference, TIMES, pk=7)
    assert ours == theirs
    assert {allowed for allowed, _ in ours} == {True, False}  # both kinds happened
    assert all(wait and wait > 0 for allowed, wait in ours if not allowed)


def test_one_round_trip_and_no_cache_get_or_set(redis_cache, rate_3_a_minute, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("DRF's get/set path used")

    monkeypatch.setattr(RedisCache, "get", refuse)
    monkeypatch.setattr(RedisCache, "set", refuse)
    sent = []
    client_class = type(redis_cache._cache.get_client(write=True))
    execute = client_class.execute_command

    def counting(self, *args, **kwargs):
        sent.append(args[0])
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(client_class, "execute_command", counting)
    UserThrottle().allow_request(_request(8), None)  # loads the script if Redis lacks it
    sent.clear()
    assert UserThrottle().allow_request(_request(8), None)
    assert sent == ["EVALSHA"]


def test_racing_requests_never_pass_the_rate(redis_cache, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "5/min"}}
    results: list[bool] = []
    start = threading.Barrier(12)

    def one() -> None:
        start.wait()
        results.append(UserThrottle().allow_request(_request(9), None))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True] * 5


def test_redis_down_lets_requests_through(redis_cache, rate_3_a_minute, monkeypatch):
    import redis

    def down(*args, **kwargs):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(type(redis_cache._cache.get_client(write=True)), "execute_command",
                        down)
    assert all(UserThrottle().allow_request(_request(10), None) for _ in range(5))
