"""The console's evaluation table: the month's ranking, sortable, with its chart."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.template import Context, Template

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
    # 东街道: the one task, reported without a channel, is a patrol find (主动发现) of G1,
    # dispatched to grid1 with a deadline 4 working hours later, still open and not yet late
    # at 10:00: registered 1, due 1, patrol 1, nothing closed, overdue or self-fixed yet.
    # Under the rewritten rules a self-found problem costs no points (the old rule charged
    # every task its category's 1 point: -0.5). Rates: closure 0/1, on time 0/1, rework none,
    # extension 0/1, patrol 1/1, self-fixed 0/1, third party 0/1.
    # score = 100 + 10 x 0 + 20 x 0 - 5 x 0 + 10 x 1 + 10 x 0 - 15 x 0 - 0.5 x 0 = 110.00.
    # 西街道 has nothing: 无数据, listed after the ranked street.
    assert rows[0][2][0] == 110.0
    assert [cell[0] for cell in rows[0][5:8]] == [1, 1, 0]  # registered, due, closed
    assert rows[0][-1][0] == 0.0  # deduction points
    assert rows[1][2][0] == "无数据"  # no score
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


# -- last month's page: as many statements with 100 tasks as with 10, the month before
# published or not

def _statements(client, url: str) -> int:
    from django.db import connection

    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200
    return count[0]


def test_last_months_page_makes_as_many_statements_with_100_tasks_as_with_10(world, client):
    from tasks_app.evaluation_services import evaluation_publish
    from tests.console.conftest import close, g1_point, g2_point, report
    from tests.evaluation.story import bureau_admin
    from tests.gridmgmt.calendars import at

    def add(start: int, count: int) -> None:
        for month in (10, 11):
            for i in range(start, start + count):
                with time_machine.travel(at(2026, month, 2 + i % 20, 9, 0), tick=False):
                    task = report(world, g1_point(i) if i % 2 else g2_point(i))
                    if i % 2 == 0 and task.assignee_id is not None:
                        close(world, task, world.other_grid_officer)

    admin_user = bureau_admin(world)
    client.force_login(admin_user)
    url = "/admin/evaluation/?month=2026-11&level=street"
    read_at = at(2026, 12, 2, 10, 0)
    add(0, 5)
    with time_machine.travel(read_at, tick=False):
        client.get(url)  # per-process caches filled first
        live_small = _statements(client, url)
    add(5, 20)
    with time_machine.travel(read_at, tick=False):
        live_large = _statements(client, url)
        evaluation_publish(month="2026-10", actor=admin_user)
        published = _statements(client, url)
    add(25, 25)
    with time_machine.travel(read_at, tick=False):
        published_large = _statements(client, url)
    assert live_large == live_small
    assert published_large == published
    # The month before published: its snapshot rows (one statement) instead of its figures and
    # ratings (two; the live page reads both months' rework in one statement, the published
    # one this month's alone).
    assert published == live_small - 1


# -- the table's cells, formatted once in Python as the template's tags formatted them ------------

# The cell as evaluation.html printed it before (a column other than the unit's name).
_BEFORE = Template(
    '{% load l10n %}<td data-sort="{% if value is None %}{% else %}{{ value|unlocalize }}'
    '{% endif %}" class="{{ kind }}">{% if value is None %}–{% elif kind == "rate" %}'
    '{% widthratio value 1 100 %}%{% elif kind == "change" %}{% if value > 0 %}+{% endif %}'
    '{{ value|floatformat:2 }}{% elif kind == "score" %}{{ value|floatformat:2 }}'
    '{% else %}{{ value }}{% endif %}</td>')
_AFTER = Template('<td data-sort="{{ cell.sort }}" class="{{ cell.kind }}">{{ cell.shown }}</td>')
VALUES = [None, 0, 1, 7, 12345, 1234567, 0.0, 0.5, 1.0, 0.123456, 0.004999, 0.005, 0.015,
          0.125, 0.135, 0.999999, 2.675, 3.455, -2.42, -0.004, 7.58, 150.0, 99.995, 1e-06,
          1234567.891, "无数据", "No data", "<b>&\"'"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_cell_reads_as_the_template_printed_it(language):
    from django.utils import translation

    from tasks_app.console.views import _cell

    with translation.override(language):
        for kind in ("rate", "change", "score", "int", "text"):
            for value in VALUES:
                if kind in ("rate", "change", "score") and isinstance(value, str):
                    continue  # a figure of these kinds is a number or nothing
                before = _BEFORE.render(Context({"value": value, "kind": kind}))
                after = _AFTER.render(Context({"cell": _cell(value, kind)}))
                assert after == before, (language, kind, value)
