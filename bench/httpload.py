"""The HTTP load client: ``python -m bench.httpload PLAN.json``, run by the benchmarks as a
second process (no Django here, only the standard library), printing one JSON result line.

A plan names a base URL (loopback), a duration, a concurrency and a scenario:
- ``fixed``: each virtual user sends requests picked at random from ``requests``.
- ``mix``: the load test's script. Each virtual user plays its own officers (listing their open
  tasks through the API, starting assigned ones, submitting started ones with an after photo),
  an inspector (reporting problems) and a supervisor (opening the console's index, logged in
  with a session), in the proportions of ``weights``.
Every request is timed from connect to the last byte. Any answer other than the expected 2xx
(or an exception) counts as an error and is kept, with its body's start, for the report.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlencode, urlparse


class Client:
    def __init__(self, base: str) -> None:
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for raw in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data, dict(response.headers)
        finally:
            conn.close()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{kind}: {detail[:300]}")

    def result(self, elapsed: float) -> dict:
        def summary(values: list[float]) -> dict:
            ordered = sorted(values)

            def pct(p: float) -> float:
                return round(ordered[min(len(ordered) - 1,
                                         round(p / 100 * (len(ordered) - 1)))] * 1000, 1)
            return {"requests": len(values), "per_s": round(len(values) / elapsed, 1),
                    "p50_ms": pct(50), "p99_ms": pct(99)} if values else {"requests": 0}

        everything = [v for values in self.latencies.values() for v in values]
        return {"seconds": round(elapsed, 1), **summary(everything),
                "errors": sum(self.errors.values()),
                "by_kind": {k: {**summary(v), "errors": self.errors.get(k, 0)}
                            for k, v in sorted(self.latencies.items())},
                "error_samples": self.samples}


def _timed(stats: Stats, kind: str, call, expect: tuple[int, ...] = (200,)):
    start = time.perf_counter()
    try:
        status, data, headers = call()
    except Exception as exc:  # a refused or broken connection is an error, not a crash
        stats.add(kind, time.perf_counter() - start, False, repr(exc))
        return None
    stats.add(kind, time.perf_counter() - start, status in expect,
              f"{status} {data[:200]!r}")
    return (status, data, headers) if status in expect else None


# -- fixed -----------------------------------------------------------------------------------

def fixed_user(plan: dict, stats: Stats, stop: float, seed: int) -> None:
    rng = random.Random(seed)
    client = Client(plan["base"])
    requests = plan["requests"]
    while time.perf_counter() < stop:
        method, path, headers = rng.choice(requests)
        _timed(stats, "request",
               lambda m=method, p=path, h=headers: client.request(m, p, headers=h))


# -- mix -------------------------------------------------------------------------------------

def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
               ) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, (filename, content, ctype) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                     + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class MixUser:
    def __init__(self, plan: dict, me: dict, stats: Stats, seed: int) -> None:
        self.plan, self.me, self.stats = plan, me, stats
        self.rng = random.Random(seed)
        self.api = Client(plan["base"])
        self.console = Client(plan["base"])
        self.photo = base64.b64decode(plan["photo_jpeg"])
        # Per officer: task id → (status, version), refreshed by every list.
        self.tasks: dict[str, dict[int, tuple[str, int]]] = {o: {} for o in me["officers"]}

    def login(self) -> None:
        status, page, _ = self.console.request("GET", "/admin/login/?next=/admin/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"no login form: {status} {page[:300]!r}")
        body = urlencode({"csrfmiddlewaretoken": token.group(1).decode(),
                          "username": self.me["supervisor"], "password": self.plan["password"],
                          "next": "/admin/"}).encode()
        status, page, _ = self.console.request(
            "POST", "/admin/login/?next=/admin/", body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": self.plan["base"] + "/admin/login/"})
        if status != 302:
            raise SystemExit(f"supervisor login failed: {status} {page[:300]!r}")

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Token {token}", "Accept": "application/json"}

    def officer_list(self) -> None:
        token = self.rng.choice(self.me["officers"])
        path = "/api/v1/tasks/?assignee=me&open=true&ordering=urgency"
        got = _timed(self.stats, "officer_list",
                     lambda: self.api.request("GET", path, headers=self._auth(token)))
        if got:
            rows = json.loads(got[1])["results"]
            self.tasks[token] = {r["id"]: (r["status"], r["version"]) for r in rows}

    def officer_update(self) -> None:
        token = self.rng.choice(self.me["officers"])
        movable = [(pk, s, v) for pk, (s, v) in self.tasks[token].items()
                   if s in ("assigned", "in_progress")]
        if not movable:
            return self.officer_list()
        pk, status, version = self.rng.choice(movable)
        headers = {**self._auth(token), "If-Match": f'"{version}"',
                   "Idempotency-Key": uuid.uuid4().hex}
        if status == "assigned":
            # As the phone starts one: with the plan (一套方案) and a before photo, which the
            # category or the task's level may require.
            kind, path = "officer_start", f"/api/v1/tasks/{pk}/start/"
            body, headers["Content-Type"] = _multipart(
                {"note": "on my way", "plan": "clear it today, by me, before 18:00"},
                {"photos": ("before.jpg", self.photo, "image/jpeg")})
        else:
            kind, path = "officer_submit", f"/api/v1/tasks/{pk}/submit/"
            body, headers["Content-Type"] = _multipart(
                {"note": "fixed"}, {"photos": ("after.jpg", self.photo, "image/jpeg")})
        got = _timed(self.stats, kind,
                     lambda: self.api.request("POST", path, body=body, headers=headers))
        if got:
            row = json.loads(got[1])
            self.tasks[token][pk] = (row["status"], row["version"])
        return None

    def inspector_report(self) -> None:
        box = self.plan["bbox"]
        body = json.dumps({
            "category": self.rng.choice(self.plan["categories"]),
            "lng": self.rng.uniform(box[0], box[2]), "lat": self.rng.uniform(box[1], box[3]),
            "title": "load test report", "source": "inspector"}).encode()
        headers = {**self._auth(self.me["inspector"]), "Content-Type": "application/json",
                   "Idempotency-Key": uuid.uuid4().hex}
        _timed(self.stats, "inspector_report",
               lambda: self.api.request("POST", "/api/v1/tasks/", body=body, headers=headers),
               expect=(201,))

    def supervisor_dashboard(self) -> None:
        _timed(self.stats, "supervisor_dashboard", lambda: self.console.request("GET", "/admin/"))

    def run(self, stop: float) -> None:
        actions = [getattr(self, name) for name in self.plan["weights"]]
        weights = list(self.plan["weights"].values())
        while time.perf_counter() < stop:
            self.rng.choices(actions, weights)[0]()


def main(path: str) -> int:
    with open(path) as f:
        plan = json.load(f)
    stats = Stats()
    n = plan["concurrency"]
    users = []
    if plan["scenario"] == "mix":
        users = [MixUser(plan, plan["users"][i % len(plan["users"])], stats, seed=i)
                 for i in range(n)]
        for user in users:
            user.login()
            user.officer_list()
        stats = Stats()  # set-up requests are not measured
        for user in users:
            user.stats = stats
    start = time.perf_counter()
    stop = start + plan["seconds"]
    if plan["scenario"] == "mix":
        threads = [threading.Thread(target=u.run, args=(stop,)) for u in users]
    else:
        threads = [threading.Thread(target=fixed_user, args=(plan, stats, stop, i))
                   for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(stats.result(time.perf_counter() - start)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
