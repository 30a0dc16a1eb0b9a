"""API list benchmark: ``GET /api/v1/tasks/`` (the first page of 50, token auth, the caller's
scope) under concurrent load, against a bare Django view returning the same rows from
``.values()`` (bench/api_urls.py), both served by the same gunicorn on 127.0.0.1.

Two callers: grid officers (a scope of a few grids, about a thousand tasks each over two years)
and district supervisors (the whole district: every task in the city). The load comes from a
second process (bench/httpload.py) with ``--concurrency`` clients, each phase ``--seconds`` long
after a short warm-up. Figures: throughput, p50 and p99; ratios API / bare.
"""

from __future__ import annotations

import json
import urllib.request

from bench import citygen, server

WARMUP_S = 3.0


def _users(role: str, count: int) -> list:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    users = list(User.objects.filter(officer__duties__role=role).order_by("pk").distinct()
                 [:count])
    for user in users:
        Token.objects.get_or_create(user=user)
    return users


def _same_rows(base: str, user) -> None:
    """The bare view must return the API's rows, or the comparison means nothing."""
    api = urllib.request.Request(f"{base}/api/v1/tasks/", headers={
        "Authorization": f"Token {user.auth_token.key}", "Accept": "application/json"})
    with urllib.request.urlopen(api, timeout=60) as r:  # noqa: S310 - loopback
        api_ids = [row["id"] for row in json.load(r)["results"]]
    with urllib.request.urlopen(f"{base}/bench/bare-tasks/?user={user.pk}",  # noqa: S310
                                timeout=60) as r:
        bare_ids = [row["id"] for row in json.load(r)["results"]]
    if api_ids != bare_ids or len(api_ids) != 50:
        raise SystemExit(f"the bare view's rows differ from the API's for {user}")


def _phase(base: str, requests: list, args, seconds: float) -> dict:
    plan = {"scenario": "fixed", "base": base, "seconds": seconds,
            "concurrency": args.concurrency, "requests": requests}
    return server.run_client(plan, timeout=seconds + 120)


def run(args) -> int:
    from gridmgmt.models import Role

    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    seconds = args.seconds or 20.0
    workers = args.workers or server.default_workers()
    personas = {"grid_officer": _users(Role.GRID_OFFICER, 50),
                "district_supervisor": _users(Role.DISTRICT_SUPERVISOR, 5)}
    with server.gunicorn(workers=workers, settings="bench.api_settings") as base:
        for persona, users in personas.items():
            _same_rows(base, users[0])
            api = [("GET", "/api/v1/tasks/", {"Authorization": f"Token {u.auth_token.key}",
                                               "Accept": "application/json"}) for u in users]
            bare = [("GET", f"/bench/bare-tasks/?user={u.pk}", {}) for u in users]
            _phase(base, api, args, WARMUP_S)
            _phase(base, bare, args, WARMUP_S)
            a = _phase(base, api, args, seconds)
            b = _phase(base, bare, args, seconds)
            print(json.dumps({
                "bench": "api_list", "tasks": total, "persona": persona, "users": len(users),
                "concurrency": args.concurrency, "gunicorn_workers": workers,
                "seconds": seconds, "build_s": round(built, 1),
                "figure": "GET /api/v1/tasks/ (page of 50)",
                "api_per_s": a["per_s"], "api_p50_ms": a["p50_ms"], "api_p99_ms": a["p99_ms"],
                "baseline": "bare Django view, same rows from .values()",
                "bare_per_s": b["per_s"], "bare_p50_ms": b["p50_ms"],
                "bare_p99_ms": b["p99_ms"],
                "ratio_throughput": round(a["per_s"] / b["per_s"], 2),
                "ratio_p50": round(a["p50_ms"] / b["p50_ms"], 2),
                "ratio_p99": round(a["p99_ms"] / b["p99_ms"], 2),
                "target": "ratio_throughput >= 0.5", "errors": a["errors"] + b["errors"],
                "error_samples": a["error_samples"] + b["error_samples"],
            }))
    return 0
