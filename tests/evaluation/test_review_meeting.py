"""The review meeting (每月一会一点评一奖罚) of a published month: 点评, decisions and follow-ups
through the services and the console, written by the bureau and the district supervisors, never
by the unit's own leader, who reads his street's review; a follow-up marked done by the officer
responsible; and the printable meeting pack with the problems' before and after photos."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from tasks_app import evaluation, services
from tasks_app import evaluation_services as meeting
from tasks_app.errors import DomainError
from tasks_app.models import Decision, FollowUp, Photo, UnitReview
from tests.evaluation.story import MEETING, MONTH, october_story, staff
from tests.gridmgmt.calendars import at

__all__ = ["october_story"]  # fixture


@pytest.fixture
def october(october_story):
    return october_story


def test_reviews_decisions_and_follow_ups_go_through_the_services(october):
    w = october
    unit = {"month": MONTH, "level": "street", "unit_id": w.street1.pk}
    with time_machine.travel(MEETING, tick=False):
        review = meeting.review_write(actor=w.supervisor.user, comment="超期问题突出", **unit)
        penalty = meeting.decision_add(actor=w.bureau, kind=Decision.Kind.PENALTY,
                                       amount="500", reason="末位扣罚", **unit)
        praise = meeting.decision_add(actor=w.bureau, kind=Decision.Kind.PRAISE,
                                      reason="巡查主动", **unit)
        follow = meeting.follow_up_add(actor=w.supervisor.user, requirement="逐件销号",
                                       responsible=w.street_leader, deadline=date(2026, 11, 19),
                                       **unit)
        # A rewritten comment replaces the first; the review stays one per unit and month.
        meeting.review_write(actor=w.bureau, comment="超期问题突出，限期整改", **unit)
        with pytest.raises(DomainError, match="amount or points"):
            meeting.decision_add(actor=w.bureau, kind=Decision.Kind.REWARD, reason="x", **unit)
        with pytest.raises(DomainError, match="reason"):
            meeting.decision_add(actor=w.bureau, kind=Decision.Kind.PRAISE, reason=" ", **unit)
        with pytest.raises(DomainError, match="past"):
            meeting.follow_up_add(actor=w.bureau, requirement="x", responsible=w.street_leader,
                                  deadline=date(2026, 11, 1), **unit)
        # A month not published has no meeting yet.
        with pytest.raises(DomainError, match="Publish"):
            meeting.review_write(actor=w.bureau, comment="x", month="2026-09", level="street",
                                 unit_id=w.street1.pk)
    assert UnitReview.objects.get().comment == "超期问题突出，限期整改"
    assert review.publication == w.publication and review.unit_name == "东街道"
    assert penalty.amount == Decimal("500") and praise.amount is None
    assert list(review.decisions.values_list("kind", flat=True)) == ["penalty", "praise"]
    assert follow.review == review and follow.done_at is None


def test_nobody_reviews_a_unit_they_answer_for_and_field_roles_review_nothing(october):
    w = october
    unit = {"month": MONTH, "level": "street", "unit_id": w.street1.pk}
    with time_machine.travel(MEETING, tick=False):
        for who in (w.street_leader, w.other_street_leader, w.community_head, w.grid_officer,
                    w.inspector):
            with pytest.raises(DomainError):
                meeting.review_write(actor=who.user, comment="x", **unit)
            with pytest.raises(DomainError):
                meeting.decision_add(actor=who.user, kind="praise", reason="x", **unit)
            with pytest.raises(DomainError):
                meeting.follow_up_add(actor=who.user, requirement="x",
                                      responsible=who, deadline=date(2026, 12, 1), **unit)
        # A street leader answers for his street's communities and grids too.
        with pytest.raises(DomainError):
            meeting.review_write(actor=w.street_leader.user, comment="x", month=MONTH,
                                 level="grid", unit_id=w.grid1.pk)
    assert not UnitReview.objects.exists() and not Decision.objects.exists()


def test_a_follow_up_is_done_by_its_responsible_officer_and_overdue_until_then(october):
    w = october
    unit = {"month": MONTH, "level": "street", "unit_id": w.street1.pk}
    with time_machine.travel(MEETING, tick=False):
        follow = meeting.follow_up_add(actor=w.supervisor.user, requirement="逐件销号",
                                       responsible=w.street_leader,
                                       deadline=date(2026, 11, 12), **unit)
    with time_machine.travel(at(2026, 11, 13, 9, 0), tick=False):
        assert follow.is_overdue()
        assert [x.pk for x in meeting.open_follow_ups(w.street_leader.user)] == [follow.pk]
        for who in (w.other_street_leader.user, w.supervisor.user, w.grid_officer.user):
            with pytest.raises(DomainError):
                meeting.follow_up_done(follow_up=follow, actor=who)
        done = meeting.follow_up_done(follow_up=follow, actor=w.street_leader.user,
                                      note="已整改")
        with pytest.raises(DomainError):
            meeting.follow_up_done(follow_up=follow, actor=w.bureau)
    assert done.done_by == w.street_leader.user and done.done_note == "已整改"
    assert done.was_done_late() and not done.is_overdue()
    assert meeting.open_follow_ups(w.bureau) == []


def test_the_console_review_page_writes_for_the_bureau_and_reads_for_the_street_leader(
        october, client):
    w = october
    url = f"/admin/evaluation/{MONTH}/street/{w.street1.pk}/"
    client.force_login(w.bureau)
    with time_machine.travel(MEETING, tick=False), translation.override("en"):
        page = client.get("/admin/evaluation/", {"month": MONTH})
        assert f'href="{url}"' in page.content.decode()
        assert client.post(url, {"form": "comment", "comment": "限期整改"}).status_code == 302
        assert client.post(url, {"form": "decision", "kind": "penalty", "amount": "800",
                                 "reason": "末位扣罚"}).status_code == 302
        assert client.post(url, {"form": "follow_up", "requirement": "逐件销号",
                                 "responsible": w.street_leader.pk,
                                 "deadline": "2026-11-20"}).status_code == 302
        refused = client.post(url, {"form": "decision", "kind": "reward", "reason": "x"})
        assert "须填写金额或分值" in refused.content.decode()

        client.force_login(staff(w.street_leader))
        mine = client.get(url)
        html = mine.content.decode()
        assert mine.status_code == 200
        assert "限期整改" in html and "末位扣罚" in html and "逐件销号" in html
        assert 'name="form"' not in html  # read only
        assert "标记为完成" in html  # but his own follow-up he reports done
        listing = client.get("/admin/evaluation/", {"month": MONTH}).content.decode()
        assert f'href="{url}"' in listing and "对您所辖单位的点评" in listing
        before = (UnitReview.objects.get().comment, Decision.objects.count(),
                  FollowUp.objects.count())
        for form in ({"form": "comment", "comment": "改写"},
                     {"form": "decision", "kind": "praise", "reason": "自评"},
                     {"form": "follow_up", "requirement": "x",
                      "responsible": w.street_leader.pk, "deadline": "2026-12-01"}):
            assert client.post(url, form).status_code == 403
        assert client.post(f"/admin/evaluation/{MONTH}/publish/",
                           {"reason": "x"}).status_code == 403
        assert client.get(f"/admin/evaluation/{MONTH}/pack/").status_code == 403
        # Another street's review is not his to read.
        other = f"/admin/evaluation/{MONTH}/street/{w.street2.pk}/"
        assert client.get(other).status_code == 403
        follow = FollowUp.objects.get()
        done = client.post(f"/admin/evaluation/follow-up/{follow.pk}/done/",
                           {"note": "已完成", "next": url})
        assert done.status_code == 302
    assert (UnitReview.objects.get().comment, Decision.objects.count(),
            FollowUp.objects.count()) == before
    follow.refresh_from_db()
    assert follow.done_by == w.street_leader.user


def test_the_meeting_pack_prints_rankings_problems_with_photos_and_last_months_decisions(
        october, client):
    w = october
    with time_machine.travel(at(2026, 10, 5, 10, 0), tick=False):
        meeting.evaluation_publish(month="2026-09", actor=w.bureau)
        meeting.decision_add(actor=w.bureau, kind="criticism", reason="九月通报批评",
                             month="2026-09", level="street", unit_id=w.street1.pk)
        follow = meeting.follow_up_add(actor=w.bureau, requirement="九月整改要求",
                                       responsible=w.street_leader,
                                       deadline=date(2026, 10, 20), month="2026-09",
                                       level="street", unit_id=w.street1.pk)
    with time_machine.travel(at(2026, 10, 15, 10, 0), tick=False):
        meeting.follow_up_done(follow_up=follow, actor=w.street_leader.user, note="按期完成")
    client.force_login(w.bureau)
    with time_machine.travel(MEETING, tick=False):
        services.task_set_plan(task=w.again, actor=w.supervisor.user, plan="十月底前拆除违建")
    with time_machine.travel(MEETING, tick=False), translation.override("en"):
        page = client.get(f"/admin/evaluation/{MONTH}/pack/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "@media print" not in html  # the stylesheet is a static file
    assert "console/pack.css" in html and "console/pack.js" in html
    assert 'id="pack-data"' in html and "<script>" not in html
    assert [level for level, _label, _rows in page.context["levels"]] == list(evaluation.LEVELS)
    for _level, label, rows in page.context["levels"]:
        assert str(label) in html
        assert all(f"<td>{r['name']}</td>" in html for r in rows)
    streets = page.context["streets"]
    assert [s["name"] for s in streets] == ["东街道"]
    (_overdue, overdue), (_repeated, repeated) = streets[0]["sections"]
    # Worst first: ``again`` is 16 days past its deadline at the meeting, ``late`` was 14.
    assert [i["task"].pk for i in overdue] == [w.again.pk, w.late.pk]
    assert [i["task"].pk for i in repeated] == [w.again.pk]
    assert set(overdue[0]["photos"]) == {"before"}  # still open: no after photo yet
    assert set(overdue[1]["photos"]) == {"before", "after"}
    before = Photo.objects.get(task=w.late, kind=Photo.Kind.BEFORE)
    after = Photo.objects.get(task=w.late, kind=Photo.Kind.AFTER)
    assert f'src="/m/photos/{before.pk}/"' in html and f'src="/m/photos/{after.pk}/"' in html
    assert "九月通报批评" in html and "九月整改要求" in html and "按期完成" in html
    # Each problem's plan (一套方案), with who wrote it and when, or that none was written.
    assert "十月底前拆除违建" in html and "未填写" in html
    # The photos are served to the pack's reader through the scoped photo view.
    with time_machine.travel(MEETING, tick=False):
        assert client.get(f"/m/photos/{before.pk}/").status_code == 200
