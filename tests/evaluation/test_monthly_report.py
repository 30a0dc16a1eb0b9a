"""The monthly report e-mail on the 1st: one outbox row per street leader, district supervisor
and community head, idempotent; rendered in Chinese and in English with the hand-worked figures of
test_hand_worked_month.py (东街道 second with 103.00, 西街道 first with 122.25)."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from tasks_app import jobs, notify, reports
from tasks_app.emails import context_for
from tasks_app.models import Notification
from tests.evaluation.conftest import EVALUATED_AT, MONTH
from tests.gridmgmt.calendars import at

KIND = Notification.Kind.MONTHLY_REPORT


@pytest.fixture
def kicks(monkeypatch):
    """The job wakes the sender; here nothing is enqueued, the kicks are only counted."""
    calls = []
    monkeypatch.setattr(notify, "kick_sender", lambda: calls.append(1))
    return calls


@pytest.fixture
def reported(november_tasks, kicks):
    with time_machine.travel(EVALUATED_AT, tick=False):
        created = jobs.monthly_report_job()
    # Two street leaders, the supervisor, and the community head of 一社区 (his community's
    # report, commit e5390b2).
    assert created == 4
    return november_tasks


def _row(officer) -> Notification:
    return Notification.objects.get(kind=KIND, period=MONTH, recipient=officer)


def _render(officer, language: str) -> tuple[str, str, str]:
    row = _row(officer)
    # As the sender does (notify._message): the context is built in the recipient's language
    # too (无数据 / "No data" is a word of the context, not of the template).
    with time_machine.travel(EVALUATED_AT, tick=False), translation.override(language):
        return notify.render_email(KIND, context_for(row), language)


def test_the_job_twice_makes_one_row_per_leader(reported, kicks):
    w = reported.world
    with time_machine.travel(at(2026, 12, 1, 9, 5), tick=False):
        assert jobs.monthly_report_job() == 0  # a rerun (or a second worker) adds nothing
    rows = Notification.objects.filter(kind=KIND)
    assert sorted(rows.values_list("recipient__name", flat=True)) == [
        "commhead", "streetlead", "streetlead2", "supervisor"]
    assert set(rows.values_list("period", "task", "status")) == {(MONTH, None, "pending")}
    assert _row(w.street_leader).email == "streetlead@example.org"
    assert len(kicks) == 2
    assert _row(w.community_head).email == "commhead@example.org"
    # Grid officers, inspectors and handlers get no report.
    assert not rows.filter(recipient__in=[w.grid_officer, w.inspector, w.handler]).exists()


def test_the_report_is_for_the_month_before_the_1st(world, kicks):
    with time_machine.travel(at(2027, 1, 1, 9, 0), tick=False):
        jobs.monthly_report_job()
    assert set(Notification.objects.filter(kind=KIND).values_list("period", flat=True)) == {
        "2026-12"}


def test_a_street_leader_reads_rank_figures_categories_and_hotspots_in_chinese(reported):
    subject, text, html = _render(reported.world.street_leader, "zh-hans")
    assert subject == "【2026-11 月度考评】东街道：2 个中排名第 2"
    assert "在 2 个镇街中排名第 2，综合得分 103.00。 上月排名第 1；得分变化 -35.50。" in text
    assert "指标: 本月 | 上月 | 全区平均" in text
    # Closure rate: 8/10 this month, 1/1 in October, 10/12 over the district.
    assert "- 结案率: 80.0% | 100.0% | 83.3%" in text
    # Deduction points: 20.5, 3 in October, a district average of (20.5 + 3.5) / 2 = 12.
    assert "- 扣分: 20.5 | 3 | 12" in text
    # The worst categories: 占道经营 10.5 (T5, T9, T12 3 each, found by others, and T1's late
    # 1.5) over 4 tasks, then 乱堆物料 10 (T4 4 + 2 late, T13 2 + 1 late, T7's late 1; the
    # patrol finds T2, T3, T6, T8, T11 cost nothing) over 3.
    assert "- 占道经营: 10.5 (4 件)\n- 乱堆物料: 10 (3 件)" in text
    # The hotspot: p1 in 一号网格 (T0, T3 and T4), all closed.
    assert "- 乱堆物料 · 一号网格: 出现 3 次，0 件未结，最近一次 2026-11-06" in text
    for figure in ("103.00", "-35.50", "80.0%", "83.3%", "20.5", "乱堆物料", "一号网格",
                   "<td>结案率</td>", "扣分最多的问题类别"):
        assert figure in html


def test_the_same_report_in_english(reported):
    subject, text, html = _render(reported.world.street_leader, "en")
    assert subject == "[Monthly evaluation 2026-11] 东街道: rank 2 of 2"
    assert "Rank 2 of 2 streets, composite score 103.00." in text
    assert "Last month: rank 1; score change -35.50." in text
    assert "- Closure rate: 80.0% | 100.0% | 83.3%" in text
    assert "- Deduction points: 20.5 | 3 | 12" in text
    # The district's average score is over its ranked streets: (103.00 + 122.25) / 2.
    assert "- Composite score: 103.00 | 138.50 | 112.62" in text
    assert "- 乱堆物料: 10 (3 tasks)" in text
    assert "- 乱堆物料 · 一号网格: 3 occurrences, 0 open, latest 2026-11-06" in text
    assert "<td>Closure rate</td>" in html
    assert "/api/v1/evaluation/export/?month=2026-11" in text


def test_the_supervisor_reads_the_district_and_the_rankings(reported):
    subject, text, html = _render(reported.world.supervisor, "en")
    assert subject == "[Monthly evaluation 2026-11] 示范区: overview and ranking"
    # The district: 13 registered (11 + 2), closure 10 of 12, 24 points (20.5 + 3.5).
    assert "- Registered: 13 | 2" in text
    assert "- Closure rate: 83.3% | 100.0%" in text
    assert "- Deduction points: 24 | 3" in text
    assert "1 repeat hotspot this month." in text
    assert "1. 西街道: 122.25 (—)" in text and "2. 东街道: 103.00 (-35.50)" in text
    assert "1. 城管中队: 115.17 (-23.33)" in text and "2. 市政所: 97.33 (—)" in text
    # 环卫所 had nothing: 无数据, after the ranked departments, no score.
    assert "No data. 环卫所: — (—)" in text
    assert "<td>西街道</td>" in html
    _subject, zh, _html = _render(reported.world.supervisor, "zh-hans")
    assert "西街道" in zh and "122.25" in zh


def test_the_community_head_reads_his_community_like_a_street(reported):
    subject, text, html = _render(reported.world.community_head, "zh-hans")
    # 一社区 is 东街道's only community and holds only G1, so its tasks, figures and score are
    # 东街道's (test_hand_worked_month): 103.00, second of the district's two communities behind
    # 二社区 (西街道's G2: 122.25). October: 138.50, first, so the change is 103.00 - 138.50.
    assert subject == "【2026-11 月度考评】一社区：2 个中排名第 2"
    assert "== 一社区 ==" in text
    assert "在 2 个社区中排名第 2，综合得分 103.00。 上月排名第 1；得分变化 -35.50。" in text
    # The third column is the communities' average, here the same as the streets': closure
    # 10/12, points (20.5 + 3.5) / 2 = 12, score (103.00 + 122.25) / 2 = 112.625 -> 112.62.
    assert "- 综合得分: 103.00 | 138.50 | 112.62" in text
    assert "- 结案率: 80.0% | 100.0% | 83.3%" in text
    assert "- 扣分: 20.5 | 3 | 12" in text
    # The same worst categories and hotspot as the street's (G1's tasks).
    assert "- 占道经营: 10.5 (4 件)\n- 乱堆物料: 10 (3 件)" in text
    assert "- 乱堆物料 · 一号网格: 出现 3 次，0 件未结，最近一次 2026-11-06" in text
    # His community only: no other community, no street, no district overview or rankings.
    for other in ("二社区", "东街道", "西街道", "示范区"):
        assert other not in text
    assert "103.00" in html and "一社区" in html
    _subject, en, _html = _render(reported.world.community_head, "en")
    assert "Rank 2 of 2 communities, composite score 103.00." in en


def test_the_sender_mails_each_leader_in_their_language(reported):
    w = reported.world
    w.other_street_leader.language = "en"
    w.other_street_leader.save()
    # The month's escalation alerts are not what this test is about.
    Notification.objects.exclude(kind=KIND).update(status=Notification.Status.SENT)
    with time_machine.travel(EVALUATED_AT, tick=False):
        counts = notify.send_pending()
    assert counts["sent"] == 4  # the three leaders and the community head
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["streetlead2@example.org"].subject == (
        "[Monthly evaluation 2026-11] 西街道: rank 1 of 2")
    assert "东街道" in by_to["streetlead@example.org"].subject
    assert by_to["streetlead@example.org"].subject != by_to["streetlead2@example.org"].subject
    assert by_to["commhead@example.org"].subject == "【2026-11 月度考评】一社区：2 个中排名第 2"
    html = by_to["supervisor@example.org"].alternatives[0][0]
    assert "122.25" in html


def test_setup_schedules_runs_it_on_the_1st_at_nine(db):
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    entry = PeriodicTask.objects.get(name="monthly report")
    assert entry.task == "tasks_app.monthly_report"
    cron = entry.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year) == (
        "0", "9", "1", "*")
    assert str(cron.timezone) == "Asia/Shanghai"


def test_report_month():
    assert reports.report_month(at(2026, 12, 1, 9, 0)) == "2026-11"
    assert reports.report_month(at(2027, 1, 1, 0, 30)) == "2026-12"
