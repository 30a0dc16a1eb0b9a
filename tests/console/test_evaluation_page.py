"""The console's evaluation table: the month's ranking, sortable, with its chart."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.models import Permission

from tasks_app import services

TUESDAY = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _staff(officer, *perms):
    user = officer.user
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    return user


def test_a_supervisor_sees_the_ranking_of_the_month(world, client):
    lng, lat = world.point_g1
    with time_machine.travel(TUESDAY, tick=False):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng, lat=lat)
        client.force_login(_staff(world.supervisor, "view_evaluationscheme", "view_task"))
        page = client.get("/admin/evaluation/", {"month": "2026-11", "level": "street"})
    assert page.status_code == 200
    html = page.content.decode()
    rows = page.context["table"]
    assert [r[1][0] for r in rows] == ["东街道", "西街道"]  # ranked best first
    assert rows[0][2][0] == 109.5
    assert 'id="evaluation-chart"' in html and "evaluation-data" in html
    assert 'href="/admin/evaluation/export.xlsx?month=2026-11"' in html


def test_it_refuses_staff_without_a_leading_duty_and_bad_parameters(world, client):
    # The same rule as the API's: district supervisors, street leaders, bureau administrators.
    client.force_login(_staff(world.grid_officer, "view_task", "view_evaluationscheme"))
    assert client.get("/admin/evaluation/").status_code == 403
    client.force_login(_staff(world.street_leader, "view_task"))
    assert client.get("/admin/evaluation/", {"month": "2026-11"}).status_code == 200
    client.force_login(_staff(world.supervisor, "view_evaluationscheme"))
    assert client.get("/admin/evaluation/", {"month": "2026-13"}).status_code == 400
    assert client.get("/admin/evaluation/", {"level": "planet"}).status_code == 400
