"""The phone tests' live server (built with HTTPS redirects off) and plain static storage."""

from __future__ import annotations

from tests.mobile.conftest import _plain_static_and_fresh_cache, live_server

__all__ = ["_plain_static_and_fresh_cache", "live_server"]
