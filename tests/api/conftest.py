"""API fixtures: clients signed in with a token as any persona of the ``world``, and tasks in
known places and states."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks_app import services


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counts live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for() -> Callable:
    """``client_for(officer_or_user)`` → an APIClient sending that user's token."""

    def make(who) -> APIClient:
        user = getattr(who, "user", who)
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def report(world) -> Callable:
    """``report(where="g1", by=world.inspector)`` → a task reported through the service."""

    def make(where: str = "g1", by=None, **kwargs):
        lng, lat = world.point_g1 if where == "g1" else world.point_g2
        reporter = (by or world.inspector).user
        return services.task_report(reporter=reporter, category=world.category, lng=lng,
                                    lat=lat, **kwargs)

    return make
