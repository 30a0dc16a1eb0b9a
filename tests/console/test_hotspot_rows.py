"""hotspot_rows reads only the chains of repeats with a report since ``since`` (a walk of the
repeat links, both ways, among the recent repeats), and the hotspots are those of every row.

The reading before the walk is kept here as the reference (``_every_row``: the repeats since the
look-back and the tasks they repeat). The world has chains split by scope (across the boundary
of G1 and G2, so of the two streets), void members (in the middle of a chain, and the only report
since ``since``), a member before the look-back, chains with and without a report since
``since``, chains whose qualifying report is out of scope, and a chain that branches: its report
since ``since`` is at the end of one branch, so a walk only up the links from it misses the other
branch and a walk only down misses the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Max, QuerySet

from tasks_app import selectors
from tasks_app.models import Category, Task
from tasks_app.workflow import Status

from .conftest import g1_point, g2_point, report

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SINCE = NOW - timedelta(days=7)  # the look-back: 30 days before (the categories' window)
STEP = 0.0004  # of longitude, about 38.5 m: within the 50 m repeat radius, two steps are not
BORDER_G1, BORDER_G2 = (120.0098, 30.002), (120.0102, 30.002)  # 38 m apart, across G1 | G2


def _every_row(*, since, tasks=None, extra=()):
    """hotspot_rows before the walk: every repeat since the look-back and what it repeats."""
    window = Category.objects.aggregate(days=Max("repeat_window_days"))["days"] or 0
    lookback = since - timedelta(days=window)
    base = (Task.objects.all() if tasks is None else tasks).exclude(status=Status.VOID)
    recent = Task.objects.filter(repeat_of__isnull=False, reported_at__gte=lookback).order_by()
    ids = recent.values("pk").union(recent.values("repeat_of_id"), all=True)
    return [row for row in base.filter(pk__in=ids).order_by("reported_at", "pk")
            .values_list("pk", "repeat_of_id", "repeat_seq", "category_id", "category__name",
                         "category__repeat_radius_m", "lng", "lat", "reported_at", "status",
                         "grid__name", *extra)
            if row[8] >= lookback]


def _at(world, days_ago: float, point: tuple[float, float]) -> Task:
    with time_machine.travel(NOW - timedelta(days=days_ago), tick=False):
        return report(world, point)


def _east(point: tuple[float, float], steps: int) -> tuple[float, float]:
    return point[0] + steps * STEP, point[1]


@pytest.fixture
def chains(world):
    w = world
    p = g1_point(10)
    # Branching (G1): A <- C (west), A <- B (east) <- B2 <- D (further east, since SINCE).
    a = _at(w, 36, p)
    c = _at(w, 30, _east(p, -1))
    b = _at(w, 25, _east(p, 1))
    b2 = _at(w, 20, _east(p, 1))
    d = _at(w, 2, _east(p, 2))
    assert (c.repeat_of_id, b.repeat_of_id, b2.repeat_of_id, d.repeat_of_id) == (
        a.pk, a.pk, b.pk, b2.pk)
    assert (b2.repeat_seq, d.repeat_seq) == (3, 3)
    # Three reports before SINCE (G1): a hotspot once, not since SINCE.
    old = [_at(w, days, g1_point(20)) for days in (30, 25, 20)]
    assert old[-1].repeat_seq == 3
    # The first before the look-back (G1): H <- I <- J <- K (J repeats only I: H is too old).
    h, i, j, k = (_at(w, days, g1_point(30)) for days in (50, 30, 3, 1))
    assert (i.repeat_of_id, j.repeat_of_id, k.repeat_of_id, k.repeat_seq) == (
        h.pk, i.pk, j.pk, 3)
    # Across the boundary, either way: the report since SINCE in one grid, the others not.
    across = [_at(w, days, point) for days, point in (
        (20, BORDER_G1), (15, BORDER_G2), (2, BORDER_G1))]
    across += [_at(w, days, (point[0], point[1] + 0.002)) for days, point in (
        (20, BORDER_G2), (15, BORDER_G1), (2, BORDER_G2))]
    assert [t.repeat_seq for t in across] == [1, 2, 3, 1, 2, 3]
    # Void in the middle (G2): Q <- (R void) <- S; void since SINCE (G2): U <- V <- (W void).
    q, r, s = (_at(w, days, g2_point(5)) for days in (12, 8, 1))
    u, v, void_w = (_at(w, days, g2_point(15)) for days in (20, 15, 1))
    assert (s.repeat_of_id, s.repeat_seq, void_w.repeat_of_id, void_w.repeat_seq) == (
        r.pk, 3, v.pk, 3)
    Task.objects.filter(pk__in=[r.pk, void_w.pk]).update(status=Status.VOID)
    # A repeat since SINCE, the second occurrence only (G2).
    pair = [_at(w, days, g2_point(25)) for days in (20, 3)]
    assert pair[-1].repeat_seq == 2
    # Once, since SINCE (G1): no repeat at all.
    _at(w, 1, g1_point(40))
    return {"branch": [a, c, b, b2, d], "old": old, "lookback": [h, i, j, k],
            "across": across, "void": [q, r, s, u, v, void_w], "pair": pair}


def _scopes(w) -> dict[str, QuerySet[Task] | None]:
    return {
        "everything": None,
        "district": selectors.tasks_visible_to(w.supervisor.user, at=NOW),
        "street S1": selectors.tasks_visible_to(w.street_leader.user, at=NOW),
        "street S2": Task.objects.filter(grid__community__parent=w.street2),
        "grid G1": Task.objects.filter(grid=w.grid1),
        "grid G2": Task.objects.filter(grid=w.grid2, reported_at__lt=NOW),
    }


def test_the_hotspots_are_those_of_every_row_for_every_scope(world, chains):
    for name, scope in _scopes(world).items():
        rows = selectors.hotspot_rows(since=SINCE, tasks=scope)
        every = _every_row(since=SINCE, tasks=scope)
        kept = {row[0] for row in rows}
        assert rows == [row for row in every if row[0] in kept], name  # some, in their order
        for min_count in (1, 2, 3, 4):
            assert (selectors.hotspots_from(rows, since=SINCE, min_count=min_count)
                    == selectors.hotspots_from(every, since=SINCE, min_count=min_count)), (
                name, min_count)
            assert (selectors.repeat_hotspots(since=SINCE, min_count=min_count, tasks=scope)
                    == selectors.hotspots_from(every, since=SINCE, min_count=min_count))


def test_a_part_of_the_rows_makes_the_hotspots_of_that_part(world, chains):
    """The monthly report's use: the district's rows read once, split by grid."""
    rows = selectors.hotspot_rows(since=SINCE, extra=("grid_id",))
    every = _every_row(since=SINCE, extra=("grid_id",))
    for grid in (world.grid1, world.grid2):
        for min_count in (1, 2, 3):
            assert (selectors.hotspots_from([r for r in rows if r[-1] == grid.pk],
                                            since=SINCE, min_count=min_count)
                    == selectors.hotspots_from([r for r in every if r[-1] == grid.pk],
                                               since=SINCE, min_count=min_count))


def test_only_chains_with_a_report_since_then_are_read_and_they_are_read_whole(world, chains):
    ids = [row[0] for row in selectors.hotspot_rows(since=SINCE)]
    every = [row[0] for row in _every_row(since=SINCE)]
    left_out = {t.pk for t in chains["old"]}
    assert set(every) - set(ids) == left_out
    assert set(ids) == set(every) - left_out
    # The branch whole, from its report since SINCE: up the links and down the other branch.
    (spot,) = [h for h in selectors.repeat_hotspots(since=SINCE)
               if chains["branch"][-1].pk in h.task_ids]
    assert set(spot.task_ids) == {t.pk for t in chains["branch"]}
    # Before the look-back or void, never a row; a chain through them is walked all the same.
    h, i, j, k = chains["lookback"]
    assert h.pk not in ids and {i.pk, j.pk, k.pk} <= set(ids)
    q, r, s, u, v, void_w = chains["void"]
    assert r.pk not in ids and void_w.pk not in ids and {q.pk, s.pk, u.pk, v.pk} <= set(ids)


def test_the_grid_whose_chain_qualifies_elsewhere_has_no_hotspot_there(world, chains):
    g2 = selectors.repeat_hotspots(since=SINCE, tasks=Task.objects.filter(grid=world.grid2))
    across = chains["across"]
    # G2's part of the first chain across the boundary (its second report) is no hotspot: the
    # third is in G1; the second chain's third report is in G2, alone there.
    assert [h.task_ids for h in g2 if set(h.task_ids) & {t.pk for t in across}] == [
        (across[5].pk,)]
