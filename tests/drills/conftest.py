"""Fixtures for the fault drills that run real processes: they need a database other processes
can open (PostgreSQL) and the integration run (REDIS_URL set, as CI sets it); each drill starts
its own redis-server, workers and SMTP server and stops them, whatever happens."""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings
from django.db import connection

from .procs import RedisServer, Worker


@pytest.fixture
def processes_allowed(db):
    if connection.vendor != "postgresql":
        pytest.skip("process drills need a database shared between processes: set DATABASE_URL "
                    "to PostgreSQL (CI does)")
    if not settings.REDIS_URL:
        pytest.skip("process drills run with the integration services: set REDIS_URL (CI does)")
    if shutil.which("redis-server") is None:
        pytest.skip("process drills start their own redis-server, which is not installed")


@pytest.fixture
def own_redis(processes_allowed):
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture
def queue() -> str:
    return f"drill-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def workers(own_redis, queue, smtp_server):
    """Start workers with ``workers.start()``; all are stopped (or were killed) at the end."""
    started: list[Worker] = []

    class Workers:
        def start(self) -> Worker:
            worker = Worker(own_redis, queue, EMAIL_URL=smtp_server.url)
            started.append(worker)
            return worker

    yield Workers()
    for worker in started:
        worker.stop()
