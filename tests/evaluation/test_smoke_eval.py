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


def test_the_command_writes_csv_and_an_xlsx_that_matches(world, tmp_path):
    from django.core.management import call_command
    from openpyxl import load_workbook

    lng, lat = world.point_g1
    with time_machine.travel(TUESDAY, tick=False):
        services.task_report(reporter=world.inspector.user, category=world.category,
                             lng=lng, lat=lat)
        call_command("evaluate", "--month", "2026-11", "--format", "xlsx",
                     "--out", str(tmp_path / "e.xlsx"))
        call_command("evaluate", "--month", "2026-11", "--level", "street",
                     "--out", str(tmp_path / "e.csv"))
    wb = load_workbook(tmp_path / "e.xlsx")
    assert len(wb.sheetnames) == 4
    sheet = wb[wb.sheetnames[0]]
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["排名", "单位", "综合得分"] or header[:3] == ["Rank", "Unit",
                                                                  "Composite score"]
    first = [c.value for c in sheet[3]]
    assert first[1] == "东街道" and first[2] == 109.5
    text = (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    assert "东街道" in text and "109.5" in text
