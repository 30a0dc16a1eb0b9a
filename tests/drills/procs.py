"""Real processes for the fault drills: a Redis of the drill's own, Celery workers, a gunicorn.

Nothing here touches the machine's shared Redis or PostgreSQL: the Redis a drill kills is a
``redis-server`` it started on a free loopback port, and every process it starts it stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from celery import Celery
from django.conf import settings
from django.db import connection

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    """``redis-server`` on 127.0.0.1 with nothing persisted; kill and start it again on the same
    port to play an outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, 10, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None


def env(redis: RedisServer, **extra: str) -> dict[str, str]:
    values = dict(os.environ)
    values.update(DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="config.settings",
                  REDIS_URL=redis.url, SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0",
                  CSRF_COOKIE_SECURE="0", LOG_LEVEL="INFO", **extra)
    return values


class Worker:
    """A Celery worker (solo pool: the job runs in the process a drill kills) on the drill's
    Redis and a queue of its own."""

    def __init__(self, redis: RedisServer, queue: str, **extra_env: str) -> None:
        self.log = Path(settings.VAR_DIR) / "log" / f"{queue}-{uuid.uuid4().hex[:6]}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
                 "-l", "info", "-Q", queue, "-n", f"{queue}-{uuid.uuid4().hex[:4]}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=env(redis, CELERY_QUEUE=queue, **extra_env), stdout=out,
                stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in self.text() or self.proc.poll() is not None, 60,
                 "the worker to be ready")
        assert self.proc.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def publisher(redis: RedisServer) -> Celery:
    """A Celery client on the drill's Redis (the test process's own app uses the shared one)."""
    # Not the current app: shared_task jobs called later in this process (e.g. sweep_job.delay)
    # would otherwise publish to this drill's Redis, dead or gone by then.
    app = Celery("drill", broker=redis.url, set_as_current=False)
    app.conf.broker_connection_timeout = 2
    return app


def other_backends_in_transaction() -> list[int]:
    """PostgreSQL backends of other processes on this database inside a transaction."""
    with connection.cursor() as c:
        c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
        return [row[0] for row in c.fetchall()]


def backends_holding(table: str) -> list[int]:
    """Other backends holding a lock on ``table`` (a transaction that has written to it)."""
    with connection.cursor() as c:
        c.execute("SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_stat_activity a ON "
                  "a.pid = l.pid WHERE l.relation = %s::regclass AND l.pid <> pg_backend_pid() "
                  "AND a.datname = current_database()", [table])
        return [row[0] for row in c.fetchall()]


def backend_gone(pid: int) -> bool:
    with connection.cursor() as c:
        c.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return c.fetchone() is None


class WebServer:
    """gunicorn on a free loopback port, serving the test database with the drill's Redis as
    broker and cache."""

    def __init__(self, redis: RedisServer, queue: str, media_root: Path) -> None:
        self.port = free_port()
        self.log = Path(settings.VAR_DIR) / "log" / f"{queue}-web.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60",
                 # gunicorn's control socket has one default path for every instance.
                 "--no-control-socket"],
                cwd=ROOT, env=env(redis, CELERY_QUEUE=queue, ALLOWED_HOSTS="127.0.0.1",
                                  DEBUG="0", MEDIA_ROOT=str(media_root)),
                stdout=out, stderr=subprocess.STDOUT)
        wait_for(self._up, 60, "gunicorn to answer")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _up(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
