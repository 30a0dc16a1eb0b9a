"""The phone tests' plain static storage (the live server is the root conftest's)."""

from __future__ import annotations

from tests.mobile.conftest import _plain_static_and_fresh_cache

__all__ = ["_plain_static_and_fresh_cache"]
