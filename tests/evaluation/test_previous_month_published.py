"""Last month's rank, change and 末位 flag as published: once the month before is published,
``evaluate(month)`` reads its ranks, scores and last-ranked units from that month's current
snapshot (what the review meeting read, in the same district scope), not from a live
recomputation that a later correction or a republication would change. Unpublished, the month
before is computed live, as it always was.

October (story.py): 西街道 ranked first with 150.00 (a patrol find fixed on time), 东街道
second and last with 121.92 (a late closure and an overdue repeat). November: 西街道 again a
patrol find fixed on time (150.00), 东街道 a hotline find fixed on time (129.50: its point
charged, no patrol). Then the bureau corrects 西街道's October task to a hotline find of a
20-point category: computed live, October now ranks 东街道 first (121.92) and 西街道 last
(120.00)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from tasks_app import evaluation, evaluation_services, services
from tasks_app.evaluation import last_ranked
from tasks_app.models import EvaluationScheme, Source
from tests import factories as f
from tests.evaluation.story import MONTH, _fixed, october_story, october_tasks
from tests.gridmgmt.calendars import at

NOVEMBER = "2026-11"
READ_AT = at(2026, 12, 1, 9, 0)
__all__ = ["october_story", "october_tasks"]  # fixtures


def _november(w) -> None:
    """One task fixed on time in each street: 东街道's a hotline find, 西街道's a patrol find."""
    with time_machine.travel(at(2026, 11, 9, 10, 0), tick=False) as clock:
        for (lng, lat), officer, source in (
                ((120.002, 30.002), w.grid_officer, Source.HOTLINE),
                ((120.012, 30.002), w.other_grid_officer, Source.PATROL)):
            clock.move_to(at(2026, 11, 9, 10, 0))
            task = services.task_report(reporter=w.inspector.user, category=w.category,
                                        lng=lng, lat=lat, source=source)
            clock.move_to(at(2026, 11, 9, 11, 0))
            _fixed(w, task, officer)


def _correct_west(w) -> None:
    """The bureau's correction of 西街道's October task (through the service, in November)."""
    with time_machine.travel(at(2026, 11, 20, 10, 0), tick=False):
        big = f.CategoryFactory(code="BIG", name="大件垃圾", time_limit=4, points=20)
        services.task_correct(task=w.west, actor=w.bureau, reason="来源和类别登记有误",
                              category=big, source=Source.HOTLINE)


def _by_name(rows) -> dict[str, tuple]:
    return {r.name: (r.rank, r.score, r.previous_rank, r.score_change, r.last_two_months)
            for r in rows}


def _live(month: str, level: str = "street", **kw) -> list:
    """The month and the month before as they would read if nothing were published."""
    saved = evaluation_services.published_rows
    evaluation_services.published_rows = lambda *a, **k: None
    try:
        return evaluation.evaluate(month, level, **kw)
    finally:
        evaluation_services.published_rows = saved


def _against(rows, before) -> dict[str, tuple]:
    """What ``evaluate()`` says of last month, worked from ``before`` (last month's rows) as it
    always was: the rank whenever ranked, the change when ranked both months, 末位 twice."""
    prev = {r.unit_id: r for r in before}
    twice = last_ranked(rows) & last_ranked(before)
    out = {}
    for r in rows:
        p = prev.get(r.unit_id)
        ranked = p is not None and p.rank is not None
        out[r.name] = (r.rank, r.score, p.rank if ranked else None,
                       r.score - p.score if ranked and r.score is not None
                       and p.score is not None else None, r.unit_id in twice)
    return out


def test_last_month_reads_as_published_after_a_correction(october_story, client):
    w = october_story
    _november(w)
    with time_machine.travel(READ_AT, tick=False):
        published = _by_name(evaluation.evaluate(NOVEMBER))
    assert published == {
        "西街道": (1, Decimal("150.00"), 1, Decimal("0.00"), False),
        "东街道": (2, Decimal("129.50"), 2, Decimal("7.58"), True),  # last twice (末位 x2)
    }
    _correct_west(w)
    with time_machine.travel(READ_AT, tick=False):
        after = evaluation.evaluate(NOVEMBER)
        in_district = evaluation.evaluate(NOVEMBER, district=w.district.pk)
        live = _by_name(_live(NOVEMBER))
        october_live = _by_name(_live(MONTH))
        client.force_login(w.bureau)
        page = client.get("/admin/evaluation/", {"month": NOVEMBER, "level": "street"})
    # As published, whatever the correction did to October since.
    assert _by_name(after) == published
    assert _by_name(in_district) == published  # the district's snapshot, the same here
    # The test has teeth: recomputed, October ranks the other way round.
    assert october_live["西街道"][:2] == (2, Decimal("120.00"))
    assert october_live["东街道"][:2] == (1, Decimal("121.92"))
    assert live == {
        "西街道": (1, Decimal("150.00"), 2, Decimal("30.00"), False),
        "东街道": (2, Decimal("129.50"), 1, Decimal("7.58"), False),
    }
    # The console's table shows the published rank and change (columns: rank, unit, score,
    # change, last month's rank).
    table = {row[1][0]: (row[3][0], row[4][0]) for row in page.context["table"]}
    assert table == {"西街道": (0.0, 1), "东街道": (7.58, 2)}


def test_a_republished_month_before_gives_its_current_version(october_story):
    w = october_story
    _november(w)
    _correct_west(w)
    with time_machine.travel(at(2026, 11, 25, 10, 0), tick=False):
        EvaluationScheme.objects.filter(is_active=True).update(is_active=False)
        EvaluationScheme.objects.create(name="2027", is_active=True, base=90)
        v2 = evaluation_services.evaluation_publish(month=MONTH, actor=w.bureau,
                                                    reason="更正来源和类别")
        # A later scheme scores November, not the October that was published.
        EvaluationScheme.objects.filter(is_active=True).update(is_active=False)
        EvaluationScheme.objects.create(name="2028", is_active=True, base=80)
    with time_machine.travel(READ_AT, tick=False):
        rows = evaluation.evaluate(NOVEMBER)
        october_v2 = evaluation_services.snapshot_rows(v2, "street")
    assert _by_name(rows) == _against(rows, october_v2)
    assert {r.name: (r.rank, r.score) for r in october_v2} == {
        "东街道": (1, Decimal("111.92")), "西街道": (2, Decimal("110.00"))}
    # Version 2's ranks (version 1 had them the other way round) and its scores.
    assert _by_name(rows) == {
        "西街道": (1, Decimal("130.00"), 2, Decimal("20.00"), False),
        "东街道": (2, Decimal("109.50"), 1, Decimal("-2.42"), False),
    }
    # Recomputed, October would be scored by the later scheme too.
    assert _by_name(_live(NOVEMBER))["西街道"][3] == Decimal("30.00")


@pytest.mark.parametrize("district", [False, True])
def test_an_unpublished_month_before_is_computed_live_as_before(october_tasks, district):
    w = october_tasks
    scope = {"district": w.district.pk} if district else {}
    _november(w)
    with time_machine.travel(READ_AT, tick=False):
        rows = evaluation.evaluate(NOVEMBER, **scope)
        october = evaluation.evaluate(MONTH, **scope)
    assert _by_name(rows) == _against(rows, october)
    assert _by_name(rows)["东街道"] == (2, Decimal("129.50"), 2, Decimal("7.58"), True)
    _correct_west(w)
    with time_machine.travel(READ_AT, tick=False):
        rows = evaluation.evaluate(NOVEMBER, **scope)
        october = evaluation.evaluate(MONTH, **scope)
    # Unpublished, the correction shows in last month's rank and in the change.
    assert _by_name(rows) == _against(rows, october)
    assert _by_name(rows) == {
        "西街道": (1, Decimal("150.00"), 2, Decimal("30.00"), False),
        "东街道": (2, Decimal("129.50"), 1, Decimal("7.58"), False),
    }
