"""The evaluation scheme, and three published months with their review meetings
(每月一会一点评一奖罚), replayed through the services: each month published by the bureau
administrator on the 5th of the month after, the meeting the same morning reviewing the first
and the last street (praise and a reward for the first; criticism, a penalty and follow-ups for
the last), and the follow-ups of the older meetings carried out by the street leader responsible.

Idempotent: a month already published is left as it is, so a second ``load_seeds`` adds
nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

from gridmgmt import clock
from gridmgmt.models import Duty, Region, Role
from tasks_app import evaluation_services as meeting
from tasks_app.evaluation import previous_month
from tasks_app.models import Decision, EvaluationPublication, EvaluationScheme

from . import data

MONTHS = 3
SCHEME = "2026年度综合考评方案"
# score = base + Σ weight × indicator (rates as fractions; counts and points as they are).
WEIGHTS = {
    "base": Decimal("100"), "w_closed_rate": Decimal("10"), "w_on_time_rate": Decimal("20"),
    "w_rework_rate": Decimal("-10"), "w_extension_rate": Decimal("-5"),
    "w_patrol_rate": Decimal("10"), "w_third_party_rate": Decimal("-15"),
    "w_satisfaction_rate": Decimal("10"),
    "w_overdue": Decimal("-1"), "w_repeats": Decimal("-2"), "w_points": Decimal("-0.5"),
}


def seed_scheme() -> EvaluationScheme:
    """The bureau's scheme, active unless another one already is."""
    scheme, created = EvaluationScheme.objects.get_or_create(name=SCHEME, defaults=WEIGHTS)
    if created and not EvaluationScheme.objects.filter(is_active=True).exists():
        scheme.is_active = True
        scheme.save(update_fields=["is_active"])
    return scheme


def months_before(now: datetime, n: int = MONTHS) -> list[str]:
    """The ``n`` months before ``now``'s, oldest first."""
    month = f"{now.astimezone(ZoneInfo(settings.TIME_ZONE)):%Y-%m}"
    found = []
    for _ in range(n):
        month = previous_month(month)
        found.append(month)
    return found[::-1]


def _meeting_time(month: str, now: datetime) -> datetime:
    """10:00 on the 5th of the month after (or an hour before now, if that is later)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    year, mon = (int(p) for p in month.split("-"))
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    at = datetime.combine(datetime(year, mon, 5).date(), time(10, 0), tz)
    return min(at, now - timedelta(hours=1))


def _leader(street: Region):
    duty = (Duty.objects.valid_at(clock.now()).filter(role=Role.STREET_LEADER, region=street)
            .select_related("officer").first())
    return duty.officer if duty else None


def seed_meetings(*, now: datetime) -> list[str]:
    """Publish and review the three months before ``now``; returns the months published."""
    admin = get_user_model().objects.get(username=data.BUREAU_ADMINS[0][0])
    done = []
    for month in months_before(now):
        if EvaluationPublication.objects.filter(month=month).exists():
            continue
        at = _meeting_time(month, now)
        with clock.frozen(at):
            meeting.evaluation_publish(month=month, actor=admin)
            _review(month, admin, at, now)
        done.append(month)
    return done


def _review(month: str, admin, at: datetime, now: datetime) -> None:
    streets = [r for r in meeting.published_rows(month, "street") or [] if r.rank]
    if len(streets) < 2:
        return
    first, last = streets[0], streets[-1]
    unit = {"month": month, "level": "street", "actor": admin}
    meeting.review_write(unit_id=first.unit_id, comment=(
        f"{first.name}本月综合得分{first.score}，排名第一：主动发现、按期结案做得扎实，"
        "予以表扬，经验在全区推广。"), **unit)
    meeting.decision_add(unit_id=first.unit_id, kind=Decision.Kind.PRAISE,
                         reason="月度考评第一名，全区通报表扬。", **unit)
    meeting.decision_add(unit_id=first.unit_id, kind=Decision.Kind.REWARD, amount=2000,
                         reason="按考评办法奖励月度第一名。", **unit)
    meeting.review_write(unit_id=last.unit_id, comment=(
        f"{last.name}本月排名末位（{last.score}分）：超期{last.overdue}件、重复问题"
        f"{last.repeats}件。要求街道主要领导牵头，逐件销号，杜绝同一点位反复发生。"), **unit)
    meeting.decision_add(unit_id=last.unit_id, kind=Decision.Kind.CRITICISM,
                         reason="月度考评末位，全区通报批评。", **unit)
    meeting.decision_add(unit_id=last.unit_id, kind=Decision.Kind.PENALTY, amount=1000,
                         points=2, reason="超期和重复问题突出，按考评办法扣罚。", **unit)
    leader = _leader(Region.objects.get(pk=last.unit_id))
    if leader is None:
        return
    deadline = (at + timedelta(days=14)).date()
    follow_ups = [
        meeting.follow_up_add(unit_id=last.unit_id, responsible=leader, deadline=deadline,
                              requirement="超期问题逐件整改销号，书面报告整改情况。", **unit),
        meeting.follow_up_add(unit_id=last.unit_id, responsible=leader, deadline=deadline,
                              requirement="重复问题点位建立专人盯守，每日巡查。", **unit),
    ]
    # The follow-ups of a meeting whose deadline has passed were carried out (the first one);
    # the second waits, so the pack shows one done and one overdue.
    done_at = at + timedelta(days=10)
    if done_at < now:
        with clock.frozen(done_at):
            meeting.follow_up_done(follow_up=follow_ups[0], actor=leader.user,
                                   note="已逐件整改完毕并书面报告。")
