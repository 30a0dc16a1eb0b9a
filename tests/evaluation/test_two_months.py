"""``evaluate()`` with the month before unpublished reads both months' rework events in one
statement (``_rework_months``) and gives exactly the rows of the path it replaced: ``_compute``
of each month on its own, each with its own rework statement (kept as ``_rework``, which the
single month still uses when the month before is published).

The data is the hand-worked November (conftest.py) with October around it, where the two
months touch: T1 registered on 31 October and closed late in November, a task registered in
October and overdue in November, a void task, a held one, patrol finds fixed in time, repeats,
tasks off every road and one on it, the duty change of the 15th; plus rework events in both
months (two on T1 a minute either side of midnight, one on the void task), a reassignment of
T1 to 市政所 on 1 November (so its October rework is 城管中队's and its November rework
市政所's), and citizens' ratings in both months. The ``_per_month`` reference would differ from
``evaluate()`` if an event were counted in the other month, or its department read at the
other month's end."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import evaluation, services
from tasks_app.evaluation import last_ranked, month_bounds, previous_month
from tasks_app.models import Source, TaskEvent
from tasks_app.public.models import Rating
from tests.evaluation.conftest import EVALUATED_AT, MONTH
from tests.gridmgmt.calendars import at

OCTOBER = previous_month(MONTH)


def _event(task, kind, when, **extra):
    return TaskEvent.objects.create(task=task, kind=kind, created_at=when, version=task.version,
                                    extra=extra)


@pytest.fixture
def both_months(november_tasks):
    t = november_tasks
    w = t.world
    insp = w.inspector.user
    with time_machine.travel(at(2026, 10, 30, 10, 0), tick=False) as clock:
        # Registered in October in G2 (西; 东 has October's other tasks), due and overdue in
        # November: 2 working days.
        lng, lat = w.point_g2
        t.open_oct = services.task_report(reporter=insp, category=t.w, lng=lng, lat=lat,
                                          source=Source.HOTLINE)
        clock.move_to(at(2026, 10, 30, 11, 0))
        # On 中山路 in G2 in October (the road's November task is T13, in G1).
        t.road_oct = services.task_report(reporter=insp, category=t.w, lng=120.015, lat=30.005,
                                          source=Source.CITIZEN)
    assert t.open_oct.deadline > at(2026, 11, 1) and t.road_oct.road_id == w.road.pk
    rework = TaskEvent.Kind.REWORK
    _event(t.T0, rework, at(2026, 10, 21, 10, 30))
    _event(t.T1, rework, at(2026, 10, 31, 23, 59))
    _event(t.T1, rework, at(2026, 11, 1, 0, 0))  # November's first instant
    _event(t.open_oct, rework, at(2026, 10, 31, 12, 0))
    _event(t.road_oct, rework, at(2026, 10, 31, 13, 0))
    _event(t.T13, rework, at(2026, 11, 24, 10, 0))
    _event(t.T10, rework, at(2026, 11, 25, 10, 30))  # void since the 25th, 11:00
    _event(t.T1, TaskEvent.Kind.REASSIGNED, at(2026, 11, 1, 8, 0), department=t.sz.pk)
    for task, level, when in ((t.T00, Rating.Level.SATISFIED, at(2026, 10, 2, 9, 0)),
                              (t.T0, Rating.Level.DISSATISFIED, at(2026, 10, 22, 9, 0)),
                              (t.T1, Rating.Level.FAIRLY, at(2026, 11, 3, 9, 0)),
                              (t.U1, Rating.Level.DISSATISFIED, at(2026, 11, 6, 9, 0))):
        Rating.objects.create(task=task, level=level, rated_at=when)
    return t


def _per_month(month: str, level: str, district: int | None) -> list:
    """``evaluate()`` as it was: each month by ``_compute``, with last month's rank, change and
    末位 flag worked from its rows."""
    w = evaluation.weights(evaluation.active_scheme())
    units = evaluation._units(level, district)
    rows = evaluation._compute(level, month, w, units, district)
    earlier = evaluation._compute(level, previous_month(month), w, units, district)
    before = {r.unit_id: r for r in earlier}
    twice = last_ranked(rows) & last_ranked(earlier)
    for row in rows:
        row.last_two_months = row.unit_id in twice
        prev = before.get(row.unit_id)
        if prev is not None and prev.rank is not None:
            row.previous_rank = prev.rank
            if row.score is not None and prev.score is not None:
                row.score_change = row.score - prev.score
    return rows


def _rework_statements(queries) -> int:
    return sum("'rework'" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("level", evaluation.LEVELS)
@pytest.mark.parametrize("scoped", [False, True], ids=["city", "district"])
def test_both_months_live_read_as_one_month_at_a_time(both_months, level, scoped):
    t = both_months
    district = t.world.district.pk if scoped else None
    with time_machine.travel(EVALUATED_AT, tick=False):
        with CaptureQueriesContext(connection) as one:
            rows = evaluation.evaluate(MONTH, level, district=district)
        with CaptureQueriesContext(connection) as two:
            expected = _per_month(MONTH, level, district)
        months = [month_bounds(OCTOBER), month_bounds(MONTH)]
        by_month = evaluation._rework_months(level, months, district)
        assert by_month == [evaluation._rework(level, *m, district) for m in months]
    assert rows == expected  # every field: counts, points, rates, score, ranks, change, 末位
    assert (_rework_statements(one), _rework_statements(two)) == (1, 2)
    # Not vacuous: rework in both months, and last month's rank read.
    assert all(sum(m.values()) for m in by_month)
    assert sum(r.rework for r in rows) == sum(by_month[1].values())
    assert any(r.previous_rank is not None and r.score_change is not None for r in rows)
    if level in ("street", "community", "grid"):
        assert any(r.last_two_months for r in rows)  # 西 last in both months


def test_the_rework_counts_in_its_month_for_the_unit_at_that_month_s_end(both_months):
    """The figures the comparison above rests on, by hand: T1's rework at 23:59 on 31 October
    is October's and 城管中队's, the one at midnight November's and 市政所's (T1 reassigned
    on 1 November); the void task's rework counts (as ``_rework`` always counted it)."""
    t = both_months
    with time_machine.travel(EVALUATED_AT, tick=False):
        october, november = evaluation._rework_months(
            "department", [month_bounds(OCTOBER), month_bounds(MONTH)])
        streets = evaluation._rework_months("street", [month_bounds(OCTOBER),
                                                       month_bounds(MONTH)])
        roads = {r.name: r.rework for r in evaluation.evaluate(MONTH, "road")}
    s1, s2 = t.world.street1.pk, t.world.street2.pk
    # October: T0 and T1 in 东 (G1), open_oct and road_oct in 西 (G2); all 城管中队's.
    assert streets[0] == {s1: 2, s2: 2}
    assert october == {t.zd.pk: 4}
    # November: T1 at midnight, T3's (the services'), T13 and the void T10, all in 东; T3 is
    # 城管中队's, T1 (reassigned) and T13 (grid1b's) 市政所's, T10 nobody's (never dispatched).
    assert streets[1] == {s1: 4}
    assert november == {t.zd.pk: 1, t.sz.pk: 2}
    assert roads == {"中山路": 1}
