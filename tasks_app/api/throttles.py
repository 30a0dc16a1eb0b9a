"""Throttles. Counts live in Django's default cache, which is Redis when REDIS_URL is set, so every
web process shares them. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when set there,
else from the defaults below.

DRF's throttle keeps each caller's recent request times as one list: a cache get and a cache set
per request, two round trips to Redis (and two concurrent requests can both read the list and
lose one count). With Redis as the cache, the same sliding window is kept in a sorted set by
one Lua script (``_OneRoundTrip``): drop the times older than the window, count, and add this
request's time if under the rate, in one atomic round trip. Same decisions and the same
Retry-After as DRF's (tests/api/test_throttle_one_trip.py compares them); other caches (tests,
development) keep DRF's own code."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

DEFAULT_RATES = {
    "anon": "60/min",
    "user": "1200/min",
    "auth": "20/min",
    "open311": "120/min",
    "open311_write": "20/min",
}

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # The mixin's super() is the throttle it is mixed into.
    _ThrottleBase = SimpleRateThrottle
else:
    _ThrottleBase = object


class _Configured(_ThrottleBase):
    def get_rate(self) -> str | None:
        # The project's own REST_FRAMEWORK setting, not api_settings: DRF's defaults map "user"
        # and "anon" to None, which would silently switch those two throttles off.
        configured = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES") or {}
        if self.scope in configured:
            return configured[self.scope]  # None switches a throttle off on purpose
        return DEFAULT_RATES.get(self.scope) if self.scope else None

    def allow_request(self, request, view) -> bool:
        # Counts are a safeguard, not a service: with the cache (Redis) down, let the request
        # through rather than fail it (tests/drills/test_redis_down.py).
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache client's connection errors have no common base class
            log.warning("Throttle cache unreachable; request let through.", exc_info=True)
            return True


# KEYS[1]: the caller's window; ARGV: now (seconds), the window (seconds), the rate, a member
# naming this request. Returns {allowed, requests in the window, the oldest one's time}; the
# time as text (a Lua number would come back truncated to an integer).
_WINDOW_SCRIPT = """
local key, now, duration = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
local n = redis.call('ZCARD', key)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
if n < tonumber(ARGV[3]) then
  redis.call('ZADD', key, ARGV[1], ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(duration * 1000))
  return {1, n + 1, oldest or ARGV[1]}
end
return {0, n, oldest}
"""
_script: list[Any] = []  # the registered script (redis-py's Script), made once per process


class _OneRoundTrip(_ThrottleBase):
    """DRF's sliding window in one atomic round trip when the cache is Redis (see the module's
    docstring); DRF's get and set otherwise."""

    _window: tuple[int, float] | None = None
    duration: Any  # set by SimpleRateThrottle from the rate (None without one)
    num_requests: Any

    def _redis(self) -> RedisCache | None:
        backend = caches[DEFAULT_CACHE_ALIAS] if self.cache is default_cache else self.cache
        return backend if isinstance(backend, RedisCache) else None

    def allow_request(self, request, view) -> bool:
        backend = self._redis()
        if backend is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # A key of its own (":w"): a list DRF's code left under the plain key is another type.
        key = backend.make_and_validate_key(f"{self.key}:w")
        client = backend._cache.get_client(key, write=True)  # type: ignore[attr-defined]
        if not _script:
            _script.append(client.register_script(_WINDOW_SCRIPT))
        script = _script[0]
        self.now = self.timer()
        allowed, count, oldest = script(
            keys=[key], args=[repr(self.now), self.duration, self.num_requests,
                              f"{self.now!r}:{os.urandom(6).hex()}"], client=client)
        self._window = (int(count), float(oldest) if oldest is not None else self.now)
        return bool(allowed)

    def wait(self) -> float | None:
        if self._window is None:
            return super().wait()
        # DRF's formula over the window as the script found it.
        count, oldest = self._window
        remaining = self.duration - (self.now - oldest) if count else self.duration
        available = self.num_requests - count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class AnonThrottle(_Configured, _OneRoundTrip, AnonRateThrottle):
    pass


class UserThrottle(_Configured, _OneRoundTrip, UserRateThrottle):
    pass


class TokenIssueThrottle(_Configured, _OneRoundTrip, AnonRateThrottle):
    """Password guessing at the token endpoint: a few tries a minute per address."""

    scope = "auth"


class Open311Throttle(_Configured, _OneRoundTrip, SimpleRateThrottle):
    """Per client address; posting a request has its own, lower rate."""

    def allow_request(self, request, view) -> bool:
        self.scope = "open311" if request.method in ("GET", "HEAD", "OPTIONS") \
            else "open311_write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
