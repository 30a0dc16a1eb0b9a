"""Fixtures of the public pages' tests: a cache emptied around each test (the board caches per
unit and month, the throttles count in the cache) and pages in zh-hans, as the public sees them."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def zh_hans():
    with translation.override("zh-hans"):
        yield
