"""Repeat detection (重复问题) on every report: an earlier task of the same category within the
category's radius and window, open or closed but not void, makes the new one a repeat of the
latest such task; the second occurrence escalates at once to level 1, the third to level 2."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from tasks_app import services
from tasks_app.models import Escalation
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import north


def east(point: tuple[float, float], metres: float) -> tuple[float, float]:
    per_degree = 111_195.0 * math.cos(math.radians(point[1]))
    return point[0] + metres / per_degree, point[1]


def _report(world, point, category=None):
    return services.task_report(reporter=world.inspector.user,
                                category=category or world.category, lng=point[0], lat=point[1])


def _escalations(task) -> list[tuple[int, str]]:
    return list(Escalation.objects.filter(task=task).values_list("level", "reason"))


def test_a_first_report_is_no_repeat(world):
    task = _report(world, world.point_g1)

    assert (task.repeat_of, task.repeat_seq, task.escalation_level) == (None, 1, -1)
    assert _escalations(task) == []


def test_the_second_occurrence_repeats_the_first_and_escalates_to_level_one(world, traveller):
    first = _report(world, world.point_g1)
    traveller.shift(timedelta(days=10))

    second = _report(world, north(world.point_g1, 20))

    second.refresh_from_db()
    assert (second.repeat_of, second.repeat_seq, second.escalation_level) == (first, 2, 1)
    assert second.is_repeat
    assert _escalations(second) == [(1, Escalation.Reason.REPEAT)]
    extra = second.events.get().extra
    assert (extra["repeat_of"], extra["repeat_seq"], extra["escalated_to"]) == (first.pk, 2, 1)


def test_the_third_occurrence_repeats_the_latest_and_escalates_to_level_two(world, traveller):
    _report(world, world.point_g1)
    traveller.shift(timedelta(days=10))
    second = _report(world, east(world.point_g1, 30))
    traveller.shift(timedelta(days=10))

    third = _report(world, north(world.point_g1, 30))

    assert (third.repeat_of, third.repeat_seq, third.escalation_level) == (second, 3, 2)
    assert _escalations(third) == [(1, Escalation.Reason.REPEAT), (2, Escalation.Reason.REPEAT)]


def test_later_occurrences_stay_at_level_two(world, traveller):
    for _ in range(3):
        _report(world, world.point_g1)
        traveller.shift(timedelta(days=1))

    fourth = _report(world, world.point_g1)

    assert (fourth.repeat_seq, fourth.escalation_level) == (4, 2)


@pytest.mark.parametrize("direction", [north, east])
@pytest.mark.parametrize("metres,repeat", [(45, True), (60, False)])
def test_only_reports_within_the_radius_repeat(world, traveller, direction, metres, repeat):
    first = _report(world, world.point_g1)
    traveller.shift(timedelta(days=1))

    task = _report(world, direction(world.point_g1, metres))

    assert task.repeat_of == (first if repeat else None)
    assert task.escalation_level == (1 if repeat else -1)


@pytest.mark.parametrize("days,repeat", [(29, True), (31, False)])
def test_only_reports_within_the_window_repeat(world, traveller, days, repeat):
    first = _report(world, world.point_g1)
    traveller.shift(timedelta(days=days))

    task = _report(world, world.point_g1)

    assert task.repeat_of == (first if repeat else None)
    assert task.repeat_seq == (2 if repeat else 1)


def test_the_category_sets_its_own_radius_and_window(world, traveller):
    category = f.CategoryFactory(code="SIGN", repeat_radius_m=100, repeat_window_days=7)
    _report(world, world.point_g1, category)
    traveller.shift(timedelta(days=6))
    near = _report(world, north(world.point_g1, 80), category)
    traveller.shift(timedelta(days=8))

    late = _report(world, world.point_g1, category)  # 8 days after the second one

    assert near.repeat_seq == 2
    assert (late.repeat_of, late.repeat_seq) == (None, 1)


def test_a_different_category_at_the_same_place_is_no_repeat(world, traveller):
    _report(world, world.point_g1)
    traveller.shift(timedelta(hours=1))

    task = _report(world, world.point_g1, f.CategoryFactory(code="GRAFFITI"))

    assert task.repeat_of is None


def test_a_closed_task_still_counts(flow):
    closed = flow.drive("closed")
    flow.tick()

    task = flow.report()

    assert (task.repeat_of, task.repeat_seq) == (closed, 2)


def test_a_void_report_does_not_count(flow):
    first = flow.report()
    flow.tick()
    voided = flow.drive("void")
    assert voided.repeat_of == first
    flow.tick()

    task = flow.report()

    assert (task.repeat_of, task.repeat_seq) == (first, 2)


def test_a_void_report_alone_is_no_earlier_occurrence(flow):
    flow.drive("void")
    flow.tick()

    task = flow.report()

    assert (task.repeat_of, task.repeat_seq, task.status) == (None, 1, Status.REPORTED)
