"""群众满意度: citizens' ratings counted in the month they were given, for the unit the task
belongs to, and scored against full satisfaction (a unit nobody rated loses nothing)."""

from __future__ import annotations

from decimal import Decimal

import time_machine

from tasks_app import evaluation, services
from tasks_app.public.models import Rating
from tests.evaluation.conftest import photo
from tests.gridmgmt.calendars import at

NOV_20 = at(2026, 11, 20, 10, 0)


def _closed_task(world, when, where=None):
    lng, lat = where or world.point_g1
    with time_machine.travel(when, tick=False):
        task = services.task_report(reporter=world.inspector.user, category=world.category,
                                    lng=lng, lat=lat, source="citizen")
        task = services.task_start(task=task, actor=task.assignee.user, plan="当天清理完毕")
        task = services.task_submit(task=task, actor=task.assignee.user, photos=[photo()])
        return services.task_verify(task=task, actor=world.inspector.user, approved=True)


def _rate(task, level, when):
    return Rating.objects.create(task=task, level=level, rated_at=when)


def test_ratings_count_in_the_month_given_for_the_task_s_unit(world):
    ok = _closed_task(world, at(2026, 10, 28, 10, 0))
    fair = _closed_task(world, at(2026, 11, 2, 10, 0))
    bad = _closed_task(world, at(2026, 11, 3, 10, 0))
    other = _closed_task(world, at(2026, 11, 4, 10, 0), world.point_g2)
    # An October task rated in November counts in November; a rating given in December not.
    _rate(ok, Rating.Level.SATISFIED, at(2026, 11, 1, 8, 0))
    _rate(fair, Rating.Level.FAIRLY, at(2026, 11, 5, 8, 0))
    _rate(bad, Rating.Level.DISSATISFIED, at(2026, 11, 6, 8, 0))
    _rate(other, Rating.Level.SATISFIED, at(2026, 12, 1, 8, 0))
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        grids = {r.unit_id: r for r in evaluation.evaluate("2026-11", "grid")}
        october = {r.unit_id: r for r in evaluation.evaluate("2026-10", "grid")}
        streets = evaluation.evaluate("2026-11", "street")
    g1, g2 = grids[world.grid1.pk], grids[world.grid2.pk]
    assert (g1.rated, g1.satisfied) == (3, 2)
    assert g1.rates["satisfaction_rate"] == round(2 / 3, 6)
    assert (g2.rated, g2.satisfied, g2.rates["satisfaction_rate"]) == (0, 0, None)
    assert october[world.grid1.pk].rated == 0
    assert sum(r.rated for r in streets) == 3
    assert g1.as_dict()["satisfaction_rate"] == round(2 / 3, 6)


def test_satisfaction_scores_against_full_satisfaction(world):
    scheme = evaluation.active_scheme()
    w = evaluation.weights(scheme)
    assert w["w_satisfaction_rate"] == Decimal("10")
    row = evaluation.Row(level="grid", unit_id=1, name="x", registered=1, due=1, closed=1,
                         on_time=1)
    unrated = evaluation.score(row, w)
    row.rated, row.satisfied = 4, 4
    assert evaluation.score(row, w) == unrated  # all satisfied: nothing lost
    row.satisfied = 3  # one dissatisfied of four: 10 × (0.75 − 1) = −2.5
    assert evaluation.score(row, w) == unrated - Decimal("2.50")


def test_a_void_task_s_rating_counts_nowhere(world):
    task = _closed_task(world, at(2026, 11, 2, 10, 0))
    _rate(task, Rating.Level.DISSATISFIED, at(2026, 11, 3, 8, 0))
    from tasks_app.models import Task

    Task.objects.filter(pk=task.pk).update(status="void")
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        grids = {r.unit_id: r for r in evaluation.evaluate("2026-11", "grid")}
    assert grids[world.grid1.pk].rated == 0


def test_published_months_from_before_ratings_read_as_unrated():
    old = {"level": "street", "unit_id": 1, "name": "x", "registered": 2, "due": 2,
           "closed_rate": 1.0, "score": 101.0, "points": 0.0}
    row = evaluation.Row.from_dict(old)
    assert (row.rated, row.satisfied) == (0, 0)
    assert row.as_dict()["rated"] == 0
