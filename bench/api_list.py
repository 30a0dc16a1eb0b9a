"""API list benchmark: ``GET /api/v1/tasks/`` (the first page of 50, token auth, the caller's
scope) under concurrent load, against a bare Django view returning the same rows from
``.values()`` (bench/api_urls.py), both served by the same gunicorn on 127.0.0.1.

Every role whose scope differs is measured: grid officers, road chiefs, community heads, street
leaders, district supervisors, inspectors and department handlers (and the bureau's
administrators and evaluators when the city has them). The two sides are alternated in rounds
(API then bare, then bare then API, ...), so load from outside falls on both alike; each phase
is a second process (bench/httpload.py) with ``--concurrency`` clients. Figures per role:
throughput and p50 of each side, their ratio, and the number of SQL queries one API request
makes (counted in this process with the same view).

Then cursor pagination: the district supervisor's page at the start of the list against a page
deep in it (a cursor positioned at the task half-way through the whole table), timed in this
process, with the page query's plan.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request

from bench import citygen, server

WARMUP_S = 2.0
ROUNDS = 4
TARGET = 0.7
PAGE = 50
LIMIT = ("the API's fixed cost per request over the bare view: DRF's dispatch and rendering, "
         "the token, the throttle (one Redis round trip), the count capped at 1,000 (one more "
         "query; a street's 1,001 rows are a scan of about 30,000). The page query costs the "
         "API less than the bare view's: its related names are subqueries (the bare view's "
         "eight joins cost PostgreSQL 15-60 ms of planning) and a scope within the cap is "
         "sorted, not walked by index; the bare view is left as it was")
# The requests made in this process (query counts, the cursor's depth): plain HTTP on loopback.
IN_PROCESS = {"ALLOWED_HOSTS": ["*"], "SECURE_SSL_REDIRECT": False, "DEBUG": False}


def _roles() -> dict[str, int]:
    from gridmgmt.models import Role

    return {Role.GRID_OFFICER: 50, Role.ROAD_CHIEF: 50, Role.COMMUNITY_HEAD: 50,
            Role.STREET_LEADER: 30, Role.DISTRICT_SUPERVISOR: 5, Role.INSPECTOR: 30,
            Role.HANDLER: 50, Role.BUREAU_ADMIN: 5, Role.EVALUATOR: 5}


def _users(role: str, count: int) -> list:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    users = list(User.objects.filter(officer__duties__role=role).order_by("pk").distinct()
                 [:count])
    for user in users:
        Token.objects.get_or_create(user=user)
    return users


def _get(url: str, headers: dict | None = None) -> dict:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 - loopback
        return json.load(r)


def _same_rows(base: str, user) -> int:
    """The bare view must return the API's rows, or the comparison means nothing."""
    api = _get(f"{base}/api/v1/tasks/", {"Authorization": f"Token {user.auth_token.key}",
                                         "Accept": "application/json"})
    api_ids = [row["id"] for row in api["results"]]
    for path in ("bare-tasks", "bare-same-statement"):
        bare = _get(f"{base}/bench/{path}/?user={user.pk}")
        if api_ids != [row["id"] for row in bare["results"]]:
            raise SystemExit(f"the bare view's rows ({path}) differ from the API's for {user}")
    return len(api_ids)


def _api_queries(user) -> int:
    """SQL statements of one ``GET /api/v1/tasks/`` by ``user``, after a warm-up request."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    with override_settings(**IN_PROCESS):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {user.auth_token.key}")
        client.get("/api/v1/tasks/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/tasks/").status_code == 200
    return len(ctx.captured_queries)


def _phase(base: str, requests: list, args, seconds: float) -> dict:
    plan = {"scenario": "fixed", "base": base, "seconds": seconds,
            "concurrency": args.concurrency, "requests": requests}
    return server.run_client(plan, timeout=seconds + 120)


def _combine(phases: list[dict]) -> dict:
    requests = sum(p.get("requests", 0) for p in phases)
    elapsed = sum(p["seconds"] for p in phases)
    p50s = [p["p50_ms"] for p in phases if p.get("p50_ms") is not None]
    return {"per_s": round(requests / elapsed, 1) if elapsed else 0.0, "requests": requests,
            "p50_ms": round(statistics.median(p50s), 1) if p50s else None,
            "errors": sum(p.get("errors", 0) for p in phases),
            "error_samples": [s for p in phases for s in p.get("error_samples", [])][:3]}


def _measure_role(base: str, role: str, users: list, args, seconds: float) -> dict:
    api = [("GET", "/api/v1/tasks/", {"Authorization": f"Token {u.auth_token.key}",
                                       "Accept": "application/json"}) for u in users]
    bare = [("GET", f"/bench/bare-tasks/?user={u.pk}", {}) for u in users]
    same = [("GET", f"/bench/bare-same-statement/?user={u.pk}", {}) for u in users]
    sides = {"api": api, "bare": bare, "same": same}
    for side in sides.values():
        _phase(base, side, args, WARMUP_S)
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for r in range(ROUNDS):
        order = ("api", "bare", "same") if r % 2 == 0 else ("same", "bare", "api")
        for side in order:
            runs[side].append(_phase(base, sides[side], args, seconds / ROUNDS))
    return {side: _combine(phases) for side, phases in runs.items()}


def _cursor_depth(total: int) -> dict:
    """Page 1 against a page half-way down the district supervisor's list, by cursor."""
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from gridmgmt.models import Role
    from tasks_app.api.base import encode_cursor
    from tasks_app.models import Task

    user = _users(Role.DISTRICT_SUPERVISOR, 1)[0]
    middle = Task.objects.order_by("-reported_at", "-pk").values(
        "reported_at", "pk")[total // 2]
    cursor = encode_cursor("-reported_at,-pk", [middle["reported_at"], middle["pk"]])
    timings: dict[str, list[float]] = {"first": [], "deep": []}
    with override_settings(**IN_PROCESS):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {user.auth_token.key}")
        urls = {"first": "/api/v1/tasks/?pagination=cursor",
                "deep": f"/api/v1/tasks/?cursor={cursor}"}
        for url in urls.values():
            response = client.get(url)
            if response.status_code != 200 or len(response.json()["results"]) != PAGE:
                raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        for _ in range(15):
            for name, url in urls.items():
                t0 = time.perf_counter()
                client.get(url)
                timings[name].append((time.perf_counter() - t0) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            client.get(urls["deep"])
    page_sql = ctx.captured_queries[-1]["sql"]
    with connection.cursor() as c:
        c.execute("EXPLAIN (ANALYZE, BUFFERS) " + page_sql)
        plan = [row[0].strip() for row in c.fetchall()]
    scan = [line for line in plan if "Scan" in line or "Index Cond" in line][:3]
    first = statistics.median(timings["first"])
    deep = statistics.median(timings["deep"])
    return {"bench": "api_list_cursor", "tasks": total, "role": "district_supervisor",
            "figure": f"GET /api/v1/tasks/?cursor= at row {total // 2}, p50 ms",
            "deep_p50_ms": round(deep, 1),
            "baseline": "the first page (?pagination=cursor), p50 ms",
            "first_p50_ms": round(first, 1), "ratio": round(deep / first, 2),
            "target": "<= 1.5", "met": deep / first <= 1.5, "deep_page_plan": scan}


def run(args) -> int:
    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)  # statistics on every table (citygen.analyze*)
    seconds = args.seconds or 20.0
    workers = args.workers or server.default_workers()
    personas = {role: _users(role, count) for role, count in _roles().items()}
    with server.gunicorn(workers=workers, settings="bench.api_settings") as base:
        for role, users in personas.items():
            if not users:
                print(f"# api_list: no {role} in this city, not measured", flush=True)
                continue
            rows = _same_rows(base, users[0])
            queries = _api_queries(users[0])
            got = _measure_role(base, role, users, args, seconds)
            a, b, same = got["api"], got["bare"], got["same"]
            ratio = round(a["per_s"] / b["per_s"], 2) if b["per_s"] else None
            print(json.dumps({
                "bench": "api_list", "tasks": total, "role": role, "users": len(users),
                "rows": rows, "concurrency": args.concurrency, "gunicorn_workers": workers,
                "seconds_per_side": seconds, "rounds": ROUNDS, "build_s": round(built, 1),
                "figure": "GET /api/v1/tasks/ (page of 50)",
                "api_per_s": a["per_s"], "api_p50_ms": a["p50_ms"],
                "baseline": "bare Django view, same rows from .values()",
                "bare_per_s": b["per_s"], "bare_p50_ms": b["p50_ms"],
                "ratio_throughput": ratio,
                "ratio_p50": round(a["p50_ms"] / b["p50_ms"], 2)
                if a["p50_ms"] and b["p50_ms"] else None,
                "target": f"ratio_throughput >= {TARGET}",
                "met": ratio is not None and ratio >= TARGET and a["errors"] + b["errors"] == 0,
                "limit": LIMIT, "api_queries": queries,
                "errors": a["errors"] + b["errors"],
                "error_samples": a["error_samples"] + b["error_samples"],
            }), flush=True)
            # DRF's own cost: the API against a bare view of its own statement (no target:
            # the baseline is the .values() view above; this says what of the gap is
            # the framework rather than the statement).
            print(json.dumps({
                "bench": "api_list_same_statement", "tasks": total, "role": role,
                "figure": "GET /api/v1/tasks/ (page of 50)", "api_per_s": a["per_s"],
                "baseline": "bare Django view, the API's own page statement",
                "bare_per_s": same["per_s"], "bare_p50_ms": same["p50_ms"],
                "ratio_throughput": round(a["per_s"] / same["per_s"], 2)
                if same["per_s"] else None,
                "errors": same["errors"],
            }), flush=True)
    print(json.dumps(_cursor_depth(total)), flush=True)
    return 0
