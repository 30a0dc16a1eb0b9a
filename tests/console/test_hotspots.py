"""repeat_hotspots: places where one category of problem came back three or more times within
the category's repeat radius and window (as judged at report time)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from gridmgmt import clock
from tasks_app.models import Category, Task
from tasks_app.selectors import repeat_hotspots, tasks_visible_to

from .conftest import close, report

NEAR = (120.0031, 30.0031)  # in G1
NEAR_20M = (120.0031, 30.00328)
FAR = (120.0131, 30.0031)  # in G2


def _week_ago():
    return clock.now() - timedelta(days=7)


def test_three_reports_at_one_place_make_a_hotspot(world):
    first = report(world, NEAR)
    second = report(world, NEAR_20M)
    third = report(world, NEAR)
    assert third.repeat_seq == 3
    (spot,) = repeat_hotspots(since=_week_ago())
    assert spot.task_ids == (first.pk, second.pk, third.pk)
    assert (spot.occurrences, spot.open, spot.max_seq) == (3, 3, 3)
    assert spot.category == world.category.name and spot.grid == "一号网格"
    assert spot.latest_id == third.pk
    assert abs(spot.lng - NEAR[0]) < 1e-4 and abs(spot.lat - 30.0031) < 1e-3


def test_two_reports_are_a_repeat_but_not_a_hotspot(world):
    report(world, NEAR)
    report(world, NEAR)
    assert repeat_hotspots(since=_week_ago()) == []
    assert len(repeat_hotspots(since=_week_ago(), min_count=2)) == 1


def test_other_categories_and_other_places_do_not_count_together(world):
    other = Category.objects.create(code="SIGN", name="店招店牌", kind="event", time_limit=4)
    report(world, NEAR)
    report(world, NEAR, category=other)
    report(world, FAR)
    report(world, NEAR)
    assert repeat_hotspots(since=_week_ago()) == []


def test_closed_occurrences_still_count_and_open_ones_are_told_apart(world):
    first = report(world, NEAR)
    close(world, first, world.grid_officer)
    report(world, NEAR)
    report(world, NEAR)
    (spot,) = repeat_hotspots(since=_week_ago())
    assert (spot.occurrences, spot.open) == (3, 2)


def test_a_hotspot_is_listed_while_its_third_report_is_recent(world):
    start = clock.now() - timedelta(days=20)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            report(world, NEAR)
    assert repeat_hotspots(since=_week_ago()) == []
    assert len(repeat_hotspots(since=start - timedelta(hours=1))) == 1


def test_reports_outside_the_repeat_window_start_a_new_count(world):
    for days_ago in (70, 35, 0):  # each 35 days apart: the window is 30 days
        with time_machine.travel(clock.now() - timedelta(days=days_ago), tick=False):
            report(world, NEAR)
    assert Task.objects.filter(repeat_of__isnull=False).count() == 0
    assert repeat_hotspots(since=_week_ago()) == []


def test_hotspots_are_limited_to_the_scope_given(world):
    for _ in range(3):
        report(world, FAR)
    assert len(repeat_hotspots(since=_week_ago())) == 1
    mine = tasks_visible_to(world.street_leader.user)
    assert repeat_hotspots(since=_week_ago(), tasks=mine) == []
    theirs = tasks_visible_to(world.other_street_leader.user)
    assert len(repeat_hotspots(since=_week_ago(), tasks=theirs)) == 1


def test_void_reports_are_not_occurrences(world):
    first = report(world, NEAR)
    report(world, NEAR)
    third = report(world, NEAR)
    Task.objects.filter(pk=first.pk).update(status="void")
    (spot,) = repeat_hotspots(since=_week_ago())
    assert first.pk not in spot.task_ids and third.pk in spot.task_ids
