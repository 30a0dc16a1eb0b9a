"""Every allowed and every forbidden move of the lifecycle, tried through the services.

A task is driven into each state by the services themselves, then every action is tried on it.
Allowed moves land in the designed state with one event; forbidden ones are an
``illegal_transition`` that leaves the row, its events, photos and escalations untouched."""

from __future__ import annotations

import itertools

import pytest

from tasks_app.models import TaskEvent
from tasks_app.workflow import ALLOWED_TRANSITIONS, Status, can_transition

from .conftest import ACTIONS, RECIPE_STATUS, RECIPES, assert_refused, last_event

S = Status
Kind = TaskEvent.Kind

# The lifecycle of DESIGN.md section 3, written out independently of tasks_app.workflow.
DESIGNED = {
    S.REPORTED: {S.ASSIGNED, S.VOID},
    S.ASSIGNED: {S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD},
    S.IN_PROGRESS: {S.ASSIGNED, S.SUBMITTED, S.ON_HOLD},
    S.ON_HOLD: {S.ASSIGNED, S.IN_PROGRESS},
    S.SUBMITTED: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: set(),
    S.VOID: set(),
}

# For each action: the states (recipes) it is allowed from, where it leads and the event it
# writes. ``None`` as target means "the state the task was put on hold from".
RULES: dict[str, tuple[set[str], str | None, str]] = {
    "assign": ({"reported", "assigned", "in_progress", "on_hold", "on_hold_from_assigned",
                "reworked"}, S.ASSIGNED, Kind.ASSIGNED),
    "start": ({"assigned"}, S.IN_PROGRESS, Kind.STARTED),
    "submit": ({"in_progress", "reworked"}, S.SUBMITTED, Kind.SUBMITTED),
    "approve": ({"submitted"}, S.CLOSED, Kind.APPROVED),
    "refuse": ({"submitted"}, S.IN_PROGRESS, Kind.REWORK),
    "hold": ({"assigned", "in_progress", "reworked"}, S.ON_HOLD, Kind.HELD),
    "resume": ({"on_hold", "on_hold_from_assigned"}, None, Kind.RESUMED),
    "void": ({"reported"}, S.VOID, Kind.VOIDED),
    # Not a move: the task keeps its state, the clock keeps running.
    "request_extension": ({"assigned", "in_progress", "reworked"}, "same",
                          Kind.EXTENSION_REQUESTED),
}
HELD_FROM = {"on_hold": S.IN_PROGRESS, "on_hold_from_assigned": S.ASSIGNED}


def _target(recipe: str, action: str) -> str:
    target = RULES[action][1]
    if target is None:
        return HELD_FROM[recipe]
    if target == "same":
        return RECIPE_STATUS[recipe]
    return target


def _expected_kind(recipe: str, action: str) -> str:
    if action == "assign" and recipe != "reported":
        return Kind.REASSIGNED
    return RULES[action][2]


CASES = list(itertools.product(RECIPES, ACTIONS))
ALLOWED = [(r, a) for r, a in CASES if r in RULES[a][0]]
FORBIDDEN = [(r, a) for r, a in CASES if r not in RULES[a][0]]


def test_the_table_is_the_designed_lifecycle():
    assert {k: set(v) for k, v in ALLOWED_TRANSITIONS.items()} == DESIGNED


@pytest.mark.parametrize("from_status,to_status", list(itertools.product(Status, Status)))
def test_can_transition_answers_the_full_matrix(from_status, to_status):
    assert can_transition(from_status, to_status) == (to_status in DESIGNED[from_status])


def test_the_cases_cover_every_allowed_and_every_forbidden_pair():
    moves = {a for a in ACTIONS if a != "request_extension"}
    tried_allowed = {(RECIPE_STATUS[r], _target(r, a)) for r, a in ALLOWED if a in moves}
    assert tried_allowed == {(f, t) for f, ts in DESIGNED.items() for t in ts}
    # Every other (from, to) pair is tried and refused by some service, except a return to
    # "reported", which no service offers at all.
    targets = {a: RULES[a][1] for a in moves}
    tried_forbidden = {(RECIPE_STATUS[r], targets[a]) for r, a in FORBIDDEN
                       if a in moves and targets[a] is not None}
    tried_forbidden |= {(S.ON_HOLD, HELD_FROM[r]) for r in HELD_FROM}  # resume, covered above
    wanted = {(f, t) for f, t in itertools.product(Status, Status)
              if t not in DESIGNED[f] and t != S.REPORTED}
    assert wanted <= tried_forbidden | tried_allowed
    assert not any(S.REPORTED in ts for ts in DESIGNED.values())


@pytest.mark.parametrize("recipe,action", ALLOWED)
def test_an_allowed_move_lands_in_its_state_with_one_event(flow, recipe, action):
    task = flow.drive(recipe)
    version, events = task.version, task.events.count()
    flow.tick()

    task = flow.step(action, task)

    task.refresh_from_db()
    assert task.status == _target(recipe, action)
    assert task.version == version + 1
    assert task.events.count() == events + 1
    event = last_event(task)
    assert (event.kind, event.from_status, event.to_status, event.version) == (
        _expected_kind(recipe, action), RECIPE_STATUS[recipe], task.status, task.version)


@pytest.mark.parametrize("recipe,action", FORBIDDEN)
def test_a_forbidden_move_is_an_illegal_transition_and_changes_nothing(flow, recipe, action):
    task = flow.drive(recipe)
    flow.tick()

    assert_refused(task, "illegal_transition", lambda: flow.step(action, task))
