"""Start gunicorn on 127.0.0.1 for a benchmark, and run the HTTP load client in a second process.

The server gets the bench database and production settings (DEBUG off, compressed manifest static
files from a collectstatic of its own, Redis for the cache, the throttles' counts and the job
broker, as in production), with HTTPS redirects and secure cookies off because the client speaks
plain HTTP on loopback. Runtime files (media) go to a temporary directory, never the project's
var/.

Redis: ``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/13``, a database number of the
benchmarks' own. ``python -m bench`` flushes it before and after each benchmark, so no throttle
count or cached page carries over from one run to the next, and the jobs that requests enqueue
(nothing consumes them here) do not pile up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC_ROOT = Path(tempfile.gettempdir()) / "gridtasks-bench-static"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_url() -> str:
    """The benchmarks' Redis database (``BENCH_REDIS_URL``)."""
    return os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL


def flush_redis() -> int:
    """Empty the benchmarks' Redis database; returns how many keys it held. Refuses to run
    without Redis: production has it, and a benchmark without it would flatter the figures."""
    import redis

    url = redis_url()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        keys = int(client.dbsize())
        client.flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"benchmarks run with Redis as production does; {url}: {exc}") from exc
    finally:
        client.close()
    return keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def server_env(var_dir: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1", "VAR_DIR": var_dir, "MEDIA_ROOT": f"{var_dir}/media",
        "STATIC_ROOT": str(STATIC_ROOT), "LOG_LEVEL": "WARNING", "REDIS_URL": redis_url(),
        **extra,
    })
    return env


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)


@contextmanager
def gunicorn(*, workers: int, settings: str = "config.settings",
             probe: str = "/api/v1/") -> Iterator[str]:
    """Yield the base URL of a gunicorn serving the bench database on a free loopback port."""
    with tempfile.TemporaryDirectory(prefix="gridtasks-bench-") as var_dir:
        for sub in ("log", "media"):
            Path(var_dir, sub).mkdir(parents=True, exist_ok=True)
        env = server_env(var_dir, DJANGO_SETTINGS_MODULE=settings)
        collectstatic(env)
        port = free_port()
        log = open(Path(var_dir, "log", "gunicorn.log"), "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120",
             "--log-level", "warning",
             # gunicorn's control socket has one default path for every instance.
             "--no-control-socket"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base + probe, proc, Path(var_dir, "log", "gunicorn.log"))
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            log.close()


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback URL of our own
            return
        except urllib.error.HTTPError:
            return  # it answered (401 or 404): it is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {url}:\n{log.read_text()}")


def run_client(plan: dict, timeout: float) -> dict:
    """Run bench/httpload.py in a second process with ``plan``; return its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
        path = f.name
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.httpload", path], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit(f"load client failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
