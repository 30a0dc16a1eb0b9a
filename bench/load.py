"""Load test: ``python -m bench load [--seconds 30] [--concurrency 8]``.

gunicorn (production settings, ``--workers``, default 2 × cores + 1) serves the bench city on
127.0.0.1; a second process (bench/httpload.py, scenario ``mix``) plays ``--concurrency`` users
at once for ``--seconds``, each with its own grid officers, an inspector and a supervisor:

- officers list their open tasks by urgency through the API (``?assignee=me&open=true``) and
  update them: start the assigned ones, submit the started ones with an after photo (with
  If-Match and an Idempotency-Key, as the phone does);
- inspectors report problems through the API at random points of the city;
- supervisors open the console (the admin index, with its dashboard), logged in with a session.

It prints throughput, p50 and p99 (overall and per kind) and the error count; any error is a
failure (exit 1). The city is changed by the run, so the next benchmark rebuilds it.
"""

from __future__ import annotations

import base64
import io
import json

from bench import citygen, server

WEIGHTS = {"officer_list": 45, "officer_update": 20, "inspector_report": 20,
           "supervisor_dashboard": 15}
OFFICERS_PER_USER = 3
PASSWORD = "bench-12345"


def _photo() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (90, 140, 60)).save(buf, "JPEG", quality=80)
    return base64.b64encode(buf.getvalue()).decode()


def _console_access(users) -> None:
    """Supervisors work in the console as staff with the supervisors' permissions (as the demo
    seeds give them)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name="督导组")
    group.permissions.set(Permission.objects.filter(
        Q(content_type__app_label__in=["gridmgmt", "tasks_app"]),
        Q(codename__startswith="view_") | Q(codename__startswith="change_")
        | Q(codename__startswith="add_")))
    for user in users:
        user.is_staff = True
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(group)


def _plan(concurrency: int) -> dict:
    from django.contrib.auth.models import User
    from django.db.models import Count, Q
    from rest_framework.authtoken.models import Token

    from gridmgmt.models import Grid, Role
    from tasks_app.models import Category

    def token(user) -> str:
        return Token.objects.get_or_create(user=user)[0].key

    # The grid officers with the most tasks to start or submit, none shared between two users.
    busy = list(User.objects.filter(officer__duties__role=Role.GRID_OFFICER).annotate(
        open=Count("officer__tasks", filter=Q(
            officer__tasks__status__in=["assigned", "in_progress"]))
    ).order_by("-open", "pk")[:concurrency * OFFICERS_PER_USER])
    inspectors = list(User.objects.filter(officer__duties__role=Role.INSPECTOR)
                      .order_by("pk")[:concurrency])
    supervisors = list(User.objects.filter(
        officer__duties__role__in=[Role.DISTRICT_SUPERVISOR, Role.STREET_LEADER])
        .order_by("pk").distinct()[:concurrency])
    _console_access(supervisors)
    rows = Grid.objects.count() // citygen.GRID_COLS
    bbox = [citygen.ORIGIN[0] + 0.01 * citygen.CELL, citygen.ORIGIN[1] + 0.01 * citygen.CELL,
            citygen.ORIGIN[0] + (citygen.GRID_COLS - 0.01) * citygen.CELL,
            citygen.ORIGIN[1] + (rows - 0.01) * citygen.CELL]
    users = [{
        "officers": [token(u) for u in busy[i::concurrency]],
        "inspector": token(inspectors[i % len(inspectors)]),
        "supervisor": supervisors[i % len(supervisors)].username,
    } for i in range(concurrency)]
    return {"scenario": "mix", "users": users, "password": PASSWORD, "bbox": bbox,
            "categories": list(Category.objects.filter(is_active=True).values_list(
                "pk", flat=True)), "weights": WEIGHTS, "photo_jpeg": _photo()}


def run(args) -> int:
    citygen.build_reference()
    total = args.tasks or 1_000_000
    built = citygen.ensure_tasks(total)
    seconds = args.seconds or 30.0
    workers = args.workers or server.default_workers()
    plan = _plan(args.concurrency)
    citygen.mark_dirty()
    with server.gunicorn(workers=workers) as base:
        result = server.run_client({**plan, "base": base, "seconds": seconds,
                                    "concurrency": args.concurrency}, timeout=seconds + 300)
    print(json.dumps({
        "bench": "load", "tasks": total, "concurrency": args.concurrency,
        "gunicorn_workers": workers, "seconds": result["seconds"], "build_s": round(built, 1),
        "figure": "scripted mix through gunicorn on loopback", "requests": result["requests"],
        "per_s": result["per_s"], "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
        "errors": result["errors"], "by_kind": result["by_kind"],
        "error_samples": result["error_samples"], "target": "errors == 0",
    }, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1
