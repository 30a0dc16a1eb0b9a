from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
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
    # 0, not fixed yet (self-fixed rate 0); a self-found problem costs no points.
    assert rows["东街道"].overdue == 0 and rows["东街道"].points == 0
    assert rows["东街道"].score == Decimal("110.00") and rows["东街道"].rank == 1
    # 西街道 had nothing: 无数据, after the ranked street.
    assert (rows["西街道"].has_data, rows["西街道"].rank, rows["西街道"].score) == (
        False, None, None)


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
    assert len(wb.sheetnames) == 5  # streets, communities, grids, roads, departments
    sheet = wb[wb.sheetnames[0]]
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["排名", "单位", "综合得分"] or header[:3] == ["Rank", "Unit",
                                                                  "Composite score"]
    first = [c.value for c in sheet[3]]
    assert first[1] == "东街道" and first[2] == 110.0
    text = (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    assert "东街道" in text and "110.0" in text


def test_the_command_refuses_a_future_month_and_marks_the_current_one(world, tmp_path):
    from django.core.management import CommandError, call_command

    with time_machine.travel(TUESDAY, tick=False):
        with pytest.raises(CommandError, match="2026-12 has not begun"):
            call_command("evaluate", "--month", "2026-12", "--out", str(tmp_path / "x.csv"))
        assert not (tmp_path / "x.csv").exists()
        err = io.StringIO()
        call_command("evaluate", "--month", "2026-11", "--out", str(tmp_path / "n.csv"),
                     stderr=err)
    assert "provisional" in err.getvalue()
