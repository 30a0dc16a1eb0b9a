"""The deadline and the ladder thresholds a dispatch sets, in the category's time unit: working
hours and working days follow the work calendar (weekends, holidays, adjusted working days),
natural hours do not. Yellow at 80 % of the span, level 2 one span after the deadline, level 3
three spans after it; the light follows."""

from __future__ import annotations

from datetime import date

import pytest

from tasks_app import services
from tasks_app.deadlines import light_at
from tasks_app.models import Category, Light
from tests import factories as f
from tests.gridmgmt.calendars import at, make_calendar, national_day_2026

from .conftest import photo

HOURS, DAYS, NATURAL = (Category.TimeUnit.WORK_HOURS, Category.TimeUnit.WORK_DAYS,
                        Category.TimeUnit.HOURS)


def _dispatched(world, traveller, when, *, limit=4, unit=HOURS):
    traveller.move_to(when)
    category = f.CategoryFactory(code=f"L{limit}{unit}", time_limit=limit, time_unit=unit)
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=category, lng=lng,
                                lat=lat)
    task.refresh_from_db()
    assert task.dispatched_at == when
    return task


def _ladder(task):
    return task.yellow_at, task.deadline, task.level2_at, task.level3_at


@pytest.mark.parametrize("calendar", ["built-in default", "work calendar"])
def test_four_working_hours_from_friday_afternoon_end_on_monday_morning(world, traveller,
                                                                         calendar):
    if calendar == "work calendar":
        make_calendar()

    # Friday 16:30: 1.5 h left that day, 2.5 h on Monday from 08:30.
    task = _dispatched(world, traveller, at(2026, 11, 20, 16, 30))

    assert _ladder(task) == (
        at(2026, 11, 23, 10, 12),  # 80 % of 4 h = 3 h 12 min of working time
        at(2026, 11, 23, 11, 0),
        at(2026, 11, 23, 16, 30),  # deadline + 4 working hours
        at(2026, 11, 24, 16, 30),  # deadline + 12 working hours
    )


def test_a_holiday_on_monday_pushes_the_deadline_to_tuesday(world, traveller):
    make_calendar(holidays=[date(2026, 11, 23)])

    task = _dispatched(world, traveller, at(2026, 11, 20, 16, 30))

    assert task.deadline == at(2026, 11, 24, 11, 0)


def test_a_non_default_calendar_is_ignored(world, traveller):
    make_calendar(holidays=[date(2026, 11, 23)], is_default=False)

    task = _dispatched(world, traveller, at(2026, 11, 20, 16, 30))

    assert task.deadline == at(2026, 11, 23, 11, 0)


def test_a_report_made_at_the_weekend_starts_counting_on_monday(world, traveller):
    task = _dispatched(world, traveller, at(2026, 11, 21, 10, 0))

    assert task.deadline == at(2026, 11, 23, 14, 0)  # 3.5 h before lunch, 0.5 h after


def test_working_hours_skip_national_day(world, traveller):
    national_day_2026()

    task = _dispatched(world, traveller, at(2026, 9, 30, 16, 0))

    # Two hours on 30 September, the other two on Thursday 8 October.
    assert task.deadline == at(2026, 10, 8, 10, 30)


def test_without_the_holiday_table_national_day_would_be_worked(world, traveller):
    task = _dispatched(world, traveller, at(2026, 9, 30, 16, 0))

    assert task.deadline == at(2026, 10, 1, 10, 30)


def test_working_days_skip_national_day_and_count_the_adjusted_saturday(world, traveller):
    national_day_2026()

    task = _dispatched(world, traveller, at(2026, 9, 30, 16, 0), limit=3, unit=DAYS)

    # 8, 9 and Saturday 10 October are the three working days; same clock time.
    assert _ladder(task) == (
        at(2026, 10, 10, 9, 42),   # 80 % of 24 working hours
        at(2026, 10, 10, 16, 0),
        at(2026, 10, 14, 16, 0),   # deadline + 3 working days (Sunday 11 October is off)
        at(2026, 10, 22, 16, 0),   # deadline + 9 working days
    )


def test_working_days_over_a_plain_weekend(world, traveller):
    task = _dispatched(world, traveller, at(2026, 11, 20, 16, 30), limit=2, unit=DAYS)

    assert task.deadline == at(2026, 11, 24, 16, 30)


def test_natural_hours_run_through_nights_weekends_and_holidays(world, traveller):
    national_day_2026()

    task = _dispatched(world, traveller, at(2026, 9, 30, 16, 0), limit=10, unit=NATURAL)

    assert _ladder(task) == (
        at(2026, 10, 1, 0, 0),   # 8 h
        at(2026, 10, 1, 2, 0),   # 10 h
        at(2026, 10, 1, 12, 0),  # + 10 h
        at(2026, 10, 2, 8, 0),   # + 30 h
    )


def test_a_category_can_move_its_ladder(world, traveller):
    traveller.move_to(at(2026, 11, 20, 16, 30))
    category = f.CategoryFactory(code="STRICT", time_limit=10, time_unit=NATURAL,
                                 yellow_ratio=0.5, level2_limits=0.5, level3_limits=2)
    lng, lat = world.point_g1
    task = services.task_report(reporter=world.inspector.user, category=category, lng=lng,
                                lat=lat)

    assert _ladder(task) == (at(2026, 11, 20, 21, 30), at(2026, 11, 21, 2, 30),
                             at(2026, 11, 21, 7, 30), at(2026, 11, 21, 22, 30))


def test_the_light_is_green_then_yellow_at_80_percent_then_red_at_the_deadline(world,
                                                                               traveller):
    task = _dispatched(world, traveller, at(2026, 11, 18, 9, 0))
    # 09:00 + 3 h 12 min of working time: 12:00 plus 12 min after lunch.
    assert task.yellow_at == at(2026, 11, 18, 13, 42)

    assert light_at(task, at(2026, 11, 18, 13, 41)) == Light.GREEN
    assert light_at(task, at(2026, 11, 18, 13, 42)) == Light.YELLOW
    assert light_at(task, at(2026, 11, 18, 14, 29)) == Light.YELLOW
    assert light_at(task, at(2026, 11, 18, 14, 30)) == Light.RED


def test_a_service_call_refreshes_the_light(world, traveller):
    task = _dispatched(world, traveller, at(2026, 11, 18, 9, 0))
    assert task.light == Light.GREEN
    traveller.move_to(at(2026, 11, 18, 14, 0))

    task = services.task_start(task=task, actor=world.grid_officer.user)

    assert task.light == Light.YELLOW
    traveller.move_to(at(2026, 11, 18, 15, 0))
    task = services.task_submit(task=task, actor=world.grid_officer.user, photos=[photo()])
    task = services.task_verify(task=task, actor=world.inspector.user, approved=False,
                                note="返工")
    assert task.light == Light.RED
