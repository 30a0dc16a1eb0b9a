"""A task's clock: deadline and ladder thresholds in the category's time unit, lights, holds.

Thresholds are computed once at dispatch (and moved by holds and extensions), so the sweep only
compares stored timestamps with now; working-time arithmetic never runs inside a sweep query.
"""

from __future__ import annotations

from datetime import datetime

from gridmgmt.worktime import clock_for, deadline_after

from .models import Light, Task
from .workflow import CLOCK_RUNNING

THRESHOLD_FIELDS = ("yellow_at", "deadline", "level2_at", "level3_at")
# escalation_level → the field whose time crosses the next level.
NEXT_THRESHOLD = {-1: "yellow_at", 0: "deadline", 1: "level2_at", 2: "level3_at"}


def set_thresholds(task: Task, *, start: datetime, deadline: datetime | None = None) -> None:
    """Dispatch the clock at ``start``: deadline (or an extended one) and the ladder after it."""
    cat = task.category
    clock = clock_for(cat.time_unit, start.date())
    if deadline is None:
        deadline = deadline_after(start, float(cat.time_limit), cat.time_unit, clock)
    span = max(clock.between(start, deadline), 0.0)
    task.deadline = deadline
    task.yellow_at = clock.add(start, span * float(cat.yellow_ratio))
    task.level2_at = clock.add(deadline, span * float(cat.level2_limits))
    task.level3_at = clock.add(deadline, span * float(cat.level3_limits))


def extend_deadline(task: Task, *, new_deadline: datetime, now: datetime) -> None:
    """Move the deadline; the ladder after it keeps the category's original span, and the
    yellow warning comes again at the category's share of the time from now to the new
    deadline (an extended task is not yellow the moment it is extended)."""
    cat = task.category
    clock = clock_for(cat.time_unit, new_deadline.date())
    assert task.dispatched_at is not None and task.deadline is not None
    # From the category's limit, not the current deadline: holds and earlier extensions moved it.
    original = deadline_after(task.dispatched_at, float(cat.time_limit), cat.time_unit, clock)
    span = max(clock.between(task.dispatched_at, original), 0.0)
    task.deadline = new_deadline
    # Never after the deadline: an extension approved once its date had passed (found by
    # tests/properties/test_workflow_fuzz.py) would otherwise put yellow after red.
    task.yellow_at = min(clock.add(now, max(clock.between(now, new_deadline), 0.0)
                                   * float(cat.yellow_ratio)), new_deadline)
    task.level2_at = clock.add(new_deadline, span * float(cat.level2_limits))
    task.level3_at = clock.add(new_deadline, span * float(cat.level3_limits))


def shift_for_hold(task: Task, *, hold_start: datetime, resume: datetime) -> None:
    """Stop the clock for the hold: every threshold still ahead at hold_start keeps the same
    (working) time left, counted again from ``resume``."""
    clock = clock_for(task.category.time_unit, resume.date())
    # A waiting extension request names a deadline on the same clock, so it moves too: approved
    # after the hold, it would otherwise pull the deadline back (found by the workflow fuzz).
    for name in (*THRESHOLD_FIELDS, "extension_requested_until"):
        value = getattr(task, name)
        if value is not None and value > hold_start:
            setattr(task, name, clock.add(resume, max(clock.between(hold_start, value), 0.0)))


def light_at(task: Task, now: datetime) -> str:
    if task.deadline is None:
        return Light.GREEN
    if now >= task.deadline:
        return Light.RED
    if task.yellow_at is not None and now >= task.yellow_at:
        return Light.YELLOW
    return Light.GREEN


def next_check(task: Task) -> datetime | None:
    """When the sweep must next look at the task: the earliest of its next light change and its
    next ladder threshold (escalation.next_check_expression is the same rule in SQL)."""
    by_light: dict[str, datetime | None] = {Light.GREEN: task.yellow_at,
                                            Light.YELLOW: task.deadline}
    light_next = by_light.get(task.light)
    field = NEXT_THRESHOLD.get(task.escalation_level)
    level_next = getattr(task, field) if field else None
    pending = [t for t in (light_next, level_next) if t is not None]
    return min(pending) if pending else None


def refresh_clock(task: Task, now: datetime) -> None:
    """Recompute the light and the next check. Outside the running states (reported, on hold,
    submitted, closed, void) the clock is stopped: the sweep does not look at the task."""
    if task.status in CLOCK_RUNNING:
        task.light = light_at(task, now)
        task.next_escalation_at = next_check(task)
    else:
        task.next_escalation_at = None
