from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from tasks_app import evaluation, services

TUESDAY = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_it_counts_a_registered_task_for_its_street(world):
    lng, lat = world.point_g1
    with time_machine.travel(TUESDAY, tick=False):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng, lat=lat)
        rows = {r.name: r for r in evaluation.evaluate("2026-11", "street")}
    assert rows["东街道"].registered == 1 and rows["西街道"].registered == 0
    assert rows["东街道"].rates["patrol_rate"] == 1.0
    # Due this month but not late yet: default scheme 100 + 10 × patrol rate 1.0, closure rates
    # 0, and −0.5 for its one deduction point.
    assert rows["东街道"].overdue == 0
    assert rows["东街道"].score == Decimal("109.50") and rows["东街道"].rank == 1
