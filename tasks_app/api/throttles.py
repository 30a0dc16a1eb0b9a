"""Throttles. Counts live in Django's default cache, which is Redis when REDIS_URL is set, so every
web process shares them. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] when set there,
else from the defaults below."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
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


class AnonThrottle(_Configured, AnonRateThrottle):
    pass


class UserThrottle(_Configured, UserRateThrottle):
    pass


class TokenIssueThrottle(_Configured, AnonRateThrottle):
    """Password guessing at the token endpoint: a few tries a minute per address."""

    scope = "auth"


class Open311Throttle(_Configured, SimpleRateThrottle):
    """Per client address; posting a request has its own, lower rate."""

    def allow_request(self, request, view) -> bool:
        self.scope = "open311" if request.method in ("GET", "HEAD", "OPTIONS") \
            else "open311_write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
