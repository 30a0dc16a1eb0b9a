"""Login throttling: after too many failed attempts for one username from one address, refuse
further attempts for a while, without even checking the password, so guessing gains nothing.

Counts live in the cache (Redis when configured, so every web process shares them). The window
is fixed from the first failure: incrementing does not extend it.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(username: str, request: HttpRequest) -> str:
    # REMOTE_ADDR, not X-Forwarded-For: a client can write any forwarded header it likes.
    ip = request.META.get("REMOTE_ADDR", "")
    raw = f"{username.strip().casefold()}|{ip}".encode()
    return "mobile-login:" + hashlib.sha256(raw).hexdigest()


# With the cache (Redis) down the throttle fails open: officers must still be able to log in to
# report, and password hashing still slows guessing; the outage is logged.

def is_locked(username: str, request: HttpRequest) -> bool:
    try:
        return (cache.get(_key(username, request)) or 0) >= MAX_FAILURES
    except Exception:
        log.warning("Login throttle: cache unavailable; not throttling.")
        return False


def record_failure(username: str, request: HttpRequest) -> None:
    key = _key(username, request)
    try:
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            cache.set(key, 1, WINDOW_SECONDS)
    except Exception:
        log.warning("Login throttle: cache unavailable; failure not counted.")


def reset(username: str, request: HttpRequest) -> None:
    try:
        cache.delete(_key(username, request))
    except Exception:
        log.warning("Login throttle: cache unavailable; count not reset.")
