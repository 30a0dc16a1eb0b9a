"""The evaluation's rules one at a time: the month refused or provisional (API in test_api.py,
here the console and the functions), departments read from the event log, and a fixed number
of queries per level whatever the city's size."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import evaluation, services
from tasks_app.models import TaskEvent
from tests import factories as f
from tests.gridmgmt.calendars import at

NOV_20 = at(2026, 11, 20, 10, 0)


def test_a_future_month_is_refused_and_the_current_one_is_provisional(world):
    with time_machine.travel(NOV_20, tick=False):
        assert evaluation.evaluation_status("2026-10") == "final"
        assert evaluation.evaluation_status("2026-11") == "provisional"
        assert evaluation.evaluation_status("2026-12") == "future"
        with pytest.raises(evaluation.FutureMonth, match="2026-12 has not begun"):
            evaluation.evaluate("2026-12", "street")
        assert issubclass(evaluation.FutureMonth, ValueError)
        assert len(evaluation.evaluate("2026-11", "street")) == 2
    # The month turns at midnight in the bureau's time zone, not UTC's.
    with time_machine.travel(at(2026, 12, 1, 0, 5), tick=False):
        assert evaluation.evaluation_status("2026-11") == "final"
        assert evaluation.evaluation_status("2026-12") == "provisional"


def test_the_console_page_refuses_a_future_month_and_marks_the_current_one(world, client):
    from django.utils import translation

    world.supervisor.user.is_staff = True  # the console's door; authority decides the rest
    world.supervisor.user.save()
    client.force_login(world.supervisor.user)
    with time_machine.travel(NOV_20, tick=False), translation.override("en"):
        future = client.get("/admin/evaluation/", {"month": "2026-12"},
                            HTTP_ACCEPT_LANGUAGE="en")
        assert future.status_code == 400 and b"2026-12 has not begun" in future.content
        assert client.get("/admin/evaluation/export.xlsx", {"month": "2027-01"}
                          ).status_code == 400
        current = client.get("/admin/evaluation/", {"month": "2026-11"},
                             HTTP_ACCEPT_LANGUAGE="en")
        assert current.status_code == 200
        page = current.content.decode()
        assert "figures are provisional: they are final after the month ends" in page
        # Nothing happened yet: both streets are 无数据, shown as such, unranked.
        assert page.count("No data") >= 4  # rank and score of each street
        past = client.get("/admin/evaluation/", {"month": "2026-10"}, HTTP_ACCEPT_LANGUAGE="en")
        assert past.status_code == 200 and "provisional" not in past.content.decode()


def _report(world, at_, where=None):
    lng, lat = where or world.point_g1
    with time_machine.travel(at_, tick=False):
        return services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng, lat=lat, source="citizen")


def test_departments_come_from_the_event_log_at_the_month_s_end(world):
    """An October task reassigned in November stays with October's department in October;
    older events without a department fall back to their assignee's department."""
    zd = f.DepartmentFactory(code="ZD", name="城管中队", district=world.district)
    world.grid_officer.department = world.department  # 环卫所
    world.grid_officer.save()
    world.handler.department = zd
    world.handler.save()
    task = _report(world, at(2026, 10, 20, 10, 0))  # dispatched to grid1, in 环卫所
    first = TaskEvent.objects.get(task=task, kind=TaskEvent.Kind.REPORTED)
    assert first.extra["department"] == world.department.pk
    with time_machine.travel(at(2026, 11, 3, 10, 0), tick=False):
        task = services.task_assign(task=task, actor=world.supervisor.user,
                                    assignee=world.handler, department=zd)
    assert task.department == zd  # today's
    with time_machine.travel(NOV_20, tick=False):
        october = {r.name: r for r in evaluation.evaluate("2026-10", "department")}
        november = {r.name: r for r in evaluation.evaluate("2026-11", "department")}
    # October: registered with 环卫所, open and overdue there at the month's end.
    assert (october["环卫所"].registered, october["环卫所"].due, october["环卫所"].overdue) == (
        1, 1, 1)
    assert october["城管中队"].has_data is False
    # November: 城管中队's since the 3rd (nothing registered or due in November, though).
    assert november["城管中队"].registered == 0 and november["环卫所"].registered == 0
    # An event written before the department was recorded: its assignee's department counts.
    moved = TaskEvent.objects.get(task=task, kind=TaskEvent.Kind.REASSIGNED)
    TaskEvent.objects.filter(pk=moved.pk).update(extra={"assignee": world.handler.pk})
    TaskEvent.objects.filter(pk=first.pk).update(extra={"auto_dispatched": True})
    with time_machine.travel(NOV_20, tick=False):
        october = {r.name: r for r in evaluation.evaluate("2026-10", "department")}
    # The report event says nothing of whom: the task's department (today's) is the fallback.
    assert october["城管中队"].registered == 1 and october["环卫所"].has_data is False


def test_a_task_closed_in_the_month_counts_for_the_department_at_closure(world):
    zd = f.DepartmentFactory(code="ZD", name="城管中队", district=world.district)
    world.grid_officer.department = world.department
    world.grid_officer.save()
    world.handler.department = zd
    world.handler.save()
    task = _report(world, at(2026, 11, 2, 10, 0))
    with time_machine.travel(at(2026, 11, 2, 11, 0), tick=False):
        task = services.task_start(task=task, actor=world.grid_officer.user)
        from tests.evaluation.conftest import photo

        task = services.task_submit(task=task, actor=world.grid_officer.user, photos=[photo()])
        services.task_verify(task=task, actor=world.inspector.user, approved=True)
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        rows = {r.name: r for r in evaluation.evaluate("2026-11", "department")}
    assert (rows["环卫所"].closed, rows["环卫所"].on_time, rows["环卫所"].rank) == (1, 1, 1)


@pytest.mark.parametrize("level", evaluation.LEVELS)
def test_the_number_of_queries_is_fixed_per_level(world, level):
    def count() -> int:
        with time_machine.travel(NOV_20, tick=False), \
                CaptureQueriesContext(connection) as queries:
            evaluation.evaluate("2026-11", level)
        return len(queries.captured_queries)

    empty = count()
    for i in range(3):
        _report(world, at(2026, 11, 2 + i, 10, 0), world.point_g2 if i % 2 else None)
    _report(world, at(2026, 10, 20, 10, 0))
    # The units, the scheme, the figures, rework and ratings of two months (and the publication
    # look-up).
    assert count() == empty <= 9
