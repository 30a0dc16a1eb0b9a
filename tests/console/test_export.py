"""The monthly evaluation downloaded from the console as the XLSX for the review meeting."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from .conftest import staff

URL = reverse("console:evaluation-xlsx")


def test_a_supervisor_downloads_the_months_xlsx_with_one_sheet_per_level(supervisor_client,
                                                                         world):
    response = supervisor_client.get(URL, {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="evaluation-2026-10.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    # One sheet per level, roads (道路, the rewritten evaluation's new level) before departments.
    assert book.sheetnames == ["镇街", "社区", "网格", "道路", "部门"]
    streets = book["镇街"]
    assert "2026-10" in streets["A1"].value
    names = {row[1] for row in streets.iter_rows(min_row=3, values_only=True)}
    assert names == {"东街道", "西街道"}
    # Without a district every road is listed: 中山路, with no task in October (无数据).
    roads = list(book["道路"].iter_rows(min_row=3, values_only=True))
    assert [(row[0], row[1], row[2]) for row in roads] == [("无数据", "中山路", "无数据")]


def test_one_level_can_be_asked_for(supervisor_client, world):
    response = supervisor_client.get(URL, {"month": "2026-10", "level": "department"})
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["部门"]


def test_a_bad_month_or_level_is_refused(supervisor_client, world):
    assert supervisor_client.get(URL, {"month": "2026-13"}).status_code == 400
    assert supervisor_client.get(URL, {"month": "last"}).status_code == 400
    assert supervisor_client.get(URL, {"month": "2026-10", "level": "city"}).status_code == 400


def test_without_a_month_it_is_last_months(supervisor_client, world):
    response = supervisor_client.get(URL)
    assert response.status_code == 200
    assert "evaluation-" in response["Content-Disposition"]


def test_the_export_needs_a_leading_duty(client, world):
    client.force_login(staff(world.grid_officer))
    assert client.get(URL, {"month": "2026-10"}).status_code == 403
    assert "eval-download" not in client.get("/admin/").content.decode()
    client.logout()
    assert client.get(URL, {"month": "2026-10"}).status_code == 302


def test_the_dashboard_offers_last_month(supervisor_client, world):
    body = supervisor_client.get("/admin/").content.decode()
    assert 'id="eval-download"' in body and f'action="{URL}"' in body
