"""Throttles of the citizen's web report: per client address and per feedback phone number or
e-mail, counted in the Django cache (Redis in production, so every web process shares the
counts). A window is fixed: its counter is created with the window's lifetime and only grows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def _limit(scope: str, default_count: int, default_seconds: int) -> Limit:
    count, seconds = getattr(settings, "PUBLIC_THROTTLES", {}).get(
        scope, (default_count, default_seconds))
    return Limit(scope, count, seconds)


def address_limit() -> Limit:
    # Every POST of the form from one address, sent or refused: decoding photos costs CPU.
    return _limit("report_address", 20, 3600)


def contact_limit() -> Limit:
    # Reports filed with one phone number or e-mail address a day.
    return _limit("report_contact", 5, 24 * 3600)


def _key(limit: Limit, ident: str) -> str:
    # Hashed: the cache holds no phone numbers or addresses in clear.
    digest = hashlib.sha256(f"{limit.scope}:{ident}".encode()).hexdigest()[:32]
    return f"public:throttle:{limit.scope}:{digest}"


def exceeded(limit: Limit, ident: str) -> bool:
    """Whether ``ident`` has used up ``limit`` (without counting this call)."""
    return bool(ident) and (cache.get(_key(limit, ident)) or 0) >= limit.count


def hit(limit: Limit, ident: str) -> bool:
    """Count one use; False when it goes over the limit."""
    if not ident:
        return True
    key = _key(limit, ident)
    cache.add(key, 0, limit.seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, limit.seconds)
        used = 1
    return used <= limit.count
