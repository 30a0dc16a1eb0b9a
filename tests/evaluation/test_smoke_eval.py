from __future__ import annotations

from decimal import Decimal

import time_machine
from django.utils import timezone

from tasks_app import evaluation, services


def test_it_counts_a_registered_task_for_its_street(world):
    lng, lat = world.point_g1
    with time_machine.travel(timezone.now(), tick=False):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng, lat=lat)
    month = f"{timezone.localtime():%Y-%m}"
    rows = {r.name: r for r in evaluation.evaluate(month, "street")}
    assert rows["东街道"].registered == 1 and rows["西街道"].registered == 0
    assert rows["东街道"].rates["patrol_rate"] == 1.0
    # Default scheme: base 100 + 10 × patrol rate 1.0; nothing is due yet, so no closure rates.
    assert rows["东街道"].score == Decimal("110.00") and rows["东街道"].rank == 1
