"""The longer views of the evaluation (issue 11, item 5) and the month's corrections (item 2):

* a quarter's or a year's roll-up sums each unit's monthly counts and points (a published month
  as published), recomputes the rates and the score, and is provisional while a month of it is;
  the API takes ``period`` and refuses a malformed or future one;
* a unit ranked last two months running is flagged (末位 x2) on the page, the API and the pack;
* single-item rankings (repeats, overdue, 第三方发现率) worst first;
* category and source corrections listed in the month's meeting pack and evaluation page.

The world: October of tests/evaluation/story.py (published on 5 November: 东街道 worse than
西街道, 东街道 without data in September), then in November an overdue task in 东街道, one fixed
on time in 西街道, and two corrections by the bureau on 12 November: the November task's source
and the category of an October task of 西街道.
"""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks_app import evaluation, evaluation_services, services
from tasks_app.evaluation import Row
from tasks_app.models import Source
from tests import factories as f
from tests.evaluation.story import MONTH, _fixed, october_story, staff
from tests.gridmgmt.calendars import at

__all__ = ["october_story"]  # fixture
URL = "/api/v1/evaluation/"
DEC_2 = at(2026, 12, 2, 9, 0)
JAN_5 = at(2027, 1, 5, 9, 0)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def autumn(october_story):
    w = october_story
    with time_machine.travel(at(2026, 11, 4, 9, 0), tick=False):
        w.october_live = {r.unit_id: r for r in evaluation.evaluate(MONTH, "street")}
    w.bigger = f.CategoryFactory(code="BIG", name="大件垃圾", time_limit=4, points=5)
    with time_machine.travel(at(2026, 11, 10, 10, 0), tick=False) as clock:
        w.nov_east = services.task_report(reporter=w.inspector.user, category=w.category,
                                          lng=120.006, lat=30.002)
        clock.move_to(at(2026, 11, 10, 11, 0))
        w.nov_west = services.task_report(reporter=w.inspector.user, category=w.category,
                                          lng=120.018, lat=30.008)
        clock.move_to(at(2026, 11, 10, 12, 0))
        w.nov_west = _fixed(w, w.nov_west, w.other_grid_officer)
        clock.move_to(at(2026, 11, 12, 9, 0))
        w.nov_east = services.task_correct(task=w.nov_east, actor=w.bureau,
                                           source=Source.CITY_INSPECTION,
                                           reason="市城管巡查发现，来源更正")
        w.west = services.task_correct(task=w.west, actor=w.bureau, category=w.bigger,
                                       reason="实为大件垃圾")
    assert w.nov_east.status != "closed" and w.nov_west.status == "closed"
    return w


def by_unit(rows: list[Row]) -> dict[int, Row]:
    return {r.unit_id: r for r in rows}


def api(who) -> APIClient:
    c = APIClient()
    token, _ = Token.objects.get_or_create(user=getattr(who, "user", who))
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


# -- quarters and years --------------------------------------------------------------------

def test_periods_parse_into_their_months():
    assert evaluation.period_months("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert evaluation.period_months("2026") == [f"2026-{m:02d}" for m in range(1, 13)]
    assert evaluation.period_months("2026-03") == ["2026-03"]
    for bad in ("2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-13", "", "0000"):
        with pytest.raises(ValueError):
            evaluation.period_months(bad)


def test_a_quarter_sums_its_months_and_recomputes_rates_and_score(autumn):
    w = autumn
    with time_machine.travel(JAN_5, tick=False):
        months = {m: by_unit(evaluation.evaluate(m, "street"))
                  for m in ("2026-10", "2026-11", "2026-12")}
        quarter = evaluation.evaluate_period("2026-Q4", "street")
        assert evaluation.period_status("2026-Q4") == "final"
    q = by_unit(quarter)
    for unit in (w.street1.pk, w.street2.pk):
        for key in evaluation.COUNTS:
            assert getattr(q[unit], key) == sum(getattr(months[m][unit], key) for m in months)
        assert q[unit].points == sum(months[m][unit].points for m in months)
    east, west = q[w.street1.pk], q[w.street2.pk]
    # By hand: 东街道 registered first, late, again in October and nov_east in November; due
    # those four; closed first and late.
    assert (east.registered, east.due, east.closed) == (4, 4, 2)
    assert (west.registered, west.due, west.closed) == (2, 2, 2)
    # The rate is recomputed over the summed counts (2/4), not the mean of the months' rates
    # (2/3 in October and 0/1 in November).
    assert east.rates["closed_rate"] == 0.5
    assert months["2026-10"][w.street1.pk].rates["closed_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert east.score == evaluation.score(east, evaluation.active_scheme())
    assert [r.unit_id for r in quarter] == [w.street2.pk, w.street1.pk]
    assert (west.rank, east.rank) == (1, 2) and east.previous_rank is None
    # October is published: the quarter counts its frozen points, not the relabel of
    # 12 November (west's category went from 2 to 5 points after publishing).
    assert months["2026-10"][w.street2.pk].points == w.october_live[w.street2.pk].points
    assert west.points == (w.october_live[w.street2.pk].points
                           + months["2026-11"][w.street2.pk].points)


def test_a_year_with_a_month_not_ended_is_provisional_and_a_unit_without_data_comes_last(autumn):
    w = autumn
    empty = f.RegionFactory(code="S3", name="北街道", level="street", parent=w.district)
    with time_machine.travel(DEC_2, tick=False):
        assert evaluation.period_status("2026") == "provisional"
        assert evaluation.period_status("2026-Q3") == "final"
        assert evaluation.period_status("2027-Q1") == "future"
        year = evaluation.evaluate_period("2026", "street")
        with pytest.raises(evaluation.FutureMonth):
            evaluation.evaluate_period("2027")
        response = api(w.supervisor).get(URL, {"period": "2026", "level": "street"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["provisional"] is True and body["period"] == "2026" and body["month"] is None
    assert body["months"] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert body["published"] is False  # only October is
    assert [r["unit_id"] for r in body["rows"]] == [r.unit_id for r in year]
    assert year[-1].unit_id == empty.pk and not year[-1].has_data and year[-1].rank is None
    assert by_unit(year)[w.street1.pk].registered == 4


@pytest.mark.parametrize("period", ["2027-Q1", "2027", "2026-Q5", "2026-10", "Q4", "2026-q4"])
def test_the_api_refuses_a_future_or_malformed_period(autumn, period):
    with time_machine.travel(DEC_2, tick=False):
        response = api(autumn.supervisor).get(URL, {"period": period})
    assert response.status_code == 400, response.content


def test_the_api_gives_the_quarter_and_refuses_a_period_with_a_month_or_a_download(autumn):
    w = autumn
    with time_machine.travel(JAN_5, tick=False):
        ok = api(w.supervisor).get(URL, {"period": "2026-Q4"})
        both = api(w.supervisor).get(URL, {"period": "2026-Q4", "month": "2026-10"})
        csv = api(w.supervisor).get(URL, {"period": "2026-Q4", "format": "csv"})
        export = api(w.supervisor).get(URL + "export/", {"period": "2026-Q4"})
    assert ok.status_code == 200 and ok.json()["provisional"] is False
    east = next(r for r in ok.json()["rows"] if r["unit_id"] == w.street1.pk)
    assert (east["registered"], east["due"], east["closed_rate"]) == (4, 4, 0.5)
    assert (both.status_code, csv.status_code, export.status_code) == (400, 400, 400)


def test_the_console_page_shows_a_quarter(autumn, client):
    w = autumn
    client.force_login(w.bureau)
    with time_machine.travel(DEC_2, tick=False), translation.override("en"):
        page = client.get("/admin/evaluation/", {"month": "2026-11", "span": "quarter"})
        future = client.get("/admin/evaluation/", {"month": "2027-01", "span": "quarter"})
        bad = client.get("/admin/evaluation/", {"month": "2026-11", "span": "week"})
    assert page.status_code == 200
    assert page.context["period"] == "2026-Q4" and page.context["provisional"] is True
    names = [row[1][0] for row in page.context["table"]]
    assert names == ["西街道", "东街道"]
    html = page.content.decode()
    assert '<option value="quarter" selected>' in html
    assert "本期间尚有月份未结束" in html
    assert (future.status_code, bad.status_code) == (400, 400)


# -- 末位 two months running --------------------------------------------------------------------

def test_a_unit_last_two_months_running_is_flagged_on_the_page_the_api_and_the_pack(autumn,
                                                                                      client):
    w = autumn
    with time_machine.travel(DEC_2, tick=False):
        assert evaluation.last_ranked(evaluation.evaluate("2026-10")) == {w.street1.pk}
        # 东街道 was last in October, but had no data (was not ranked) in September.
        assert evaluation.last_two_months("2026-10") == set()
        assert evaluation.last_two_months("2026-11") == {w.street1.pk}
        response = api(w.supervisor).get(URL, {"month": "2026-11"})
        meeting = evaluation_services.evaluation_publish(month="2026-11", actor=w.bureau)
    rows = {r["unit_id"]: r for r in response.json()["rows"]}
    assert rows[w.street1.pk]["last_two_months"] is True
    assert rows[w.street2.pk]["last_two_months"] is False
    assert meeting.month == "2026-11"

    client.force_login(w.bureau)
    with time_machine.travel(DEC_2, tick=False), translation.override("en"):
        page = client.get("/admin/evaluation/", {"month": "2026-11"})
        october = client.get("/admin/evaluation/", {"month": "2026-10"})
        pack = client.get("/admin/evaluation/2026-11/pack/")
    flags = {row[1][0]: row.last_two_months for row in page.context["table"]}
    assert flags == {"东街道": True, "西街道": False}
    assert page.content.decode().count("末位 ×2") == 1
    assert "末位 ×2" not in october.content.decode()
    assert pack.status_code == 200
    streets = dict((level, rows) for level, _l, rows in pack.context["levels"])["street"]
    assert [(r["name"], r["last_two_months"]) for r in streets] == [
        ("西街道", False), ("东街道", True)]
    assert pack.content.decode().count("末位 ×2") >= 1


def test_a_tie_for_last_flags_both_and_a_lone_ranked_unit_is_not_last():
    def row(unit, rank):
        return Row(level="street", unit_id=unit, name=str(unit), rank=rank,
                   has_data=rank is not None)

    assert evaluation.last_ranked([row(1, 1), row(2, 2), row(3, 2), row(4, None)]) == {2, 3}
    assert evaluation.last_ranked([row(1, 1), row(4, None)]) == set()
    # All tied: nobody is last.
    assert evaluation.last_ranked([row(1, 1), row(2, 1), row(3, 1), row(4, None)]) == set()


# -- single-item rankings -------------------------------------------------------------------

def test_single_item_rankings_are_worst_first_from_the_rows():
    def row(unit, name, repeats, overdue, third, registered=1):
        r = Row(level="street", unit_id=unit, name=name, repeats=repeats, overdue=overdue,
                third_party=third, registered=registered, due=registered)
        r.rates = {"third_party_rate": evaluation.rate(third, registered)}
        r.has_data = bool(registered)
        return r

    rows = [row(1, "甲", 1, 5, 1, 4), row(2, "乙", 3, 0, 3, 4), row(3, "丙", 1, 2, 0, 2),
            row(4, "丁", 0, 0, 0, 0)]  # 丁: no data, in no table
    tables = evaluation.single_item_rankings(rows)
    assert [(rank, r.name) for rank, r in tables["repeats"]] == [(1, "乙"), (2, "丙"), (2, "甲")]
    assert [(rank, r.name) for rank, r in tables["overdue"]] == [(1, "甲"), (2, "丙"), (3, "乙")]
    assert [(rank, r.name) for rank, r in tables["third_party_rate"]] == [
        (1, "乙"), (2, "甲"), (3, "丙")]
    assert len(evaluation.single_item_rankings(rows, limit=1)["overdue"]) == 1


def test_the_page_shows_the_single_item_rankings_without_a_query_per_unit(autumn, client):
    w = autumn
    client.force_login(w.bureau)

    def show():
        with time_machine.travel(DEC_2, tick=False), CaptureQueriesContext(connection) as q:
            response = client.get("/admin/evaluation/", {"month": "2026-11"})
        assert response.status_code == 200
        return response, len(q.captured_queries)

    _first, before = show()
    for i in range(6):  # more streets must not mean more queries
        f.RegionFactory(code=f"SX{i}", name=f"空街道{i}", level="street", parent=w.district)
    page, after = show()
    assert after == before
    singles = {key: [(rank, r.name) for rank, r in items]
               for key, _label, items in page.context["singles"]}
    # November, live: 东街道's one task is overdue and (corrected) a city inspection's find;
    # 西街道's was its own patrol's, fixed on time; neither had a repeat (a tie, by name).
    assert singles["overdue"] == [(1, "东街道"), (2, "西街道")]
    assert singles["third_party_rate"] == [(1, "东街道"), (2, "西街道")]
    assert singles["repeats"] == [(1, "东街道"), (1, "西街道")]
    html = page.content.decode()
    assert 'id="single-repeats"' in html and 'id="single-third_party_rate"' in html


# -- corrections in the month's review --------------------------------------------------------

def test_corrections_are_listed_in_the_pack_and_on_the_page(autumn, client):
    w = autumn
    client.force_login(w.bureau)
    with time_machine.travel(DEC_2, tick=False), translation.override("en"):
        pack = client.get("/admin/evaluation/2026-11/pack/")
        page = client.get("/admin/evaluation/", {"month": "2026-11"})
        october_pack = client.get("/admin/evaluation/2026-10/pack/")
        september = client.get("/admin/evaluation/", {"month": "2026-09"})
    # November: both corrections were made in it.
    listed = pack.context["corrections"]
    assert [c["task"].pk for c in listed] == [w.nov_east.pk, w.west.pk]
    source, category = listed
    assert source["who"] == "局管理员" and source["reason"] == "市城管巡查发现，来源更正"
    # The page speaks the reader's language (Chinese by default).
    old_source = str(Source(w.first.source).label)
    assert source["changes"] == [{"field": gettext("Source"), "old": old_source,
                                  "new": str(Source.CITY_INSPECTION.label)}]
    assert category["changes"] == [{"field": gettext("Category"), "old": w.category.name,
                                    "new": "大件垃圾"}]
    assert source["when"] == at(2026, 11, 12, 9, 0)
    for response in (pack, page):
        html = response.content.decode()
        assert 'id="corrections"' in html
        assert "市城管巡查发现，来源更正" in html and "实为大件垃圾" in html
        assert f"{old_source} → {Source.CITY_INSPECTION.label}" in html
        assert f"{w.category.name} → 大件垃圾" in html
        assert "局管理员" in html and "2026-11-12 09:00" in html
    assert page.context["corrections"] == listed
    # October: the relabel of west, registered in October, bears on it; the November task not.
    assert [c["task"].pk for c in october_pack.context["corrections"]] == [w.west.pk]
    assert september.context["corrections"] == []
    assert "本月没有更正问题类别或来源。" in september.content.decode()


def test_a_street_leader_sees_only_the_corrections_of_tasks_he_may_see(autumn, client):
    w = autumn
    client.force_login(staff(w.other_street_leader))
    with time_machine.travel(DEC_2, tick=False), translation.override("en"):
        page = client.get("/admin/evaluation/", {"month": "2026-11"})
    assert page.status_code == 200
    assert [c["task"].pk for c in page.context["corrections"]] == [w.west.pk]
