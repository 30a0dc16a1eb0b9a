"""/api/v1/evaluation/: who may read it, its parameters, and downloads whose figures are the
JSON's, read back with openpyxl (every level, every row, every column)."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.core.cache import cache
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridmgmt.models import Region, Role
from tasks_app import evaluation
from tasks_app.exports import COLUMNS, NO_DATA
from tests import factories as f
from tests.evaluation.conftest import EVALUATED_AT, MONTH
from tests.gridmgmt.calendars import at

URL = "/api/v1/evaluation/"
EXPORT = "/api/v1/evaluation/export/"
FIELDS = [name for name, _header, _fmt in COLUMNS]


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def on_the_first():
    with time_machine.travel(EVALUATED_AT, tick=False):
        yield


def client(who=None) -> APIClient:
    c = APIClient()
    if who is not None:
        user = getattr(who, "user", who)
        token, _ = Token.objects.get_or_create(user=user)
        c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


@pytest.mark.parametrize("persona, status", [
    ("supervisor", 200), ("street_leader", 200), ("other_street_leader", 200),
    ("grid_officer", 403), ("other_grid_officer", 403), ("road_chief", 403),
    ("community_head", 403), ("handler", 403), ("inspector", 403),
])
def test_leaders_read_the_ranking_and_others_are_refused(world, persona, status):
    response = client(getattr(world, persona)).get(URL, {"month": MONTH})
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["code"] == "permission_denied"
        assert client(getattr(world, persona)).get(EXPORT).status_code == 403
    else:
        # Rankings are public within the district: a street leader sees every street.
        assert {r["name"] for r in response.json()["rows"]} == {"东街道", "西街道"}


def test_anonymous_callers_are_asked_to_sign_in(world):
    response = client().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("params, field", [
    ({"month": "2026-13"}, "month"), ({"month": "2026-1"}, "month"),
    ({"month": "2026-11-01"}, "month"), ({"month": "November"}, "month"),
    ({"month": "0000-01"}, "month"), ({"level": "city"}, "level"),
    ({"format": "pdf"}, "format"), ({"district": "x"}, "district"),
    # A whole number only: 1.0 is not silently the region 1, nor is a trailing NUL ignored.
    ({"district": "1.0"}, "district"), ({"district": "1\x00"}, "district"),
])
def test_bad_parameters_are_a_400_in_the_api_s_error_shape(world, params, field):
    response = client(world.supervisor).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input" and body["message"]
    assert field in body["errors"]


def test_an_export_asked_as_json_is_a_400(world):
    response = client(world.supervisor).get(EXPORT, {"format": "json"})
    assert response.status_code == 400 and "format" in response.json()["errors"]


def test_the_rows_are_evaluate_s(november_tasks, on_the_first):
    world = november_tasks.world
    for level in evaluation.LEVELS:
        response = client(world.street_leader).get(URL, {"month": MONTH, "level": level})
        assert response.status_code == 200
        body = response.json()
        assert (body["month"], body["level"], body["district"]) == (MONTH, level,
                                                                    world.district.pk)
        expected = [r.as_dict() for r in evaluation.evaluate(MONTH, level)]
        assert body["rows"] == expected
    streets = {r["name"]: r for r in client(world.supervisor).get(URL, {"month": MONTH})
               .json()["rows"]}
    # The hand-worked figures (test_hand_worked_month.py), as the API gives them.
    assert streets["东街道"]["score"] == 103.0 and streets["东街道"]["rank"] == 2
    assert streets["东街道"]["score_change"] == -35.5 and streets["东街道"]["previous_rank"] == 1
    assert streets["东街道"]["points"] == 20.5 and streets["东街道"]["overdue"] == 4
    assert streets["东街道"]["self_fixed_rate"] == 0.363636 and streets["东街道"]["has_data"]
    # November is over on December 1: final, not provisional.
    assert client(world.supervisor).get(URL, {"month": MONTH}).json()["provisional"] is False
    # A unit without data (无数据): after the ranked ones, no rank and no score.
    departments = client(world.supervisor).get(URL, {"month": MONTH, "level": "department"}
                                               ).json()["rows"]
    assert [(r["name"], r["rank"], r["score"], r["has_data"]) for r in departments] == [
        ("城管中队", 1, 115.17, True), ("市政所", 2, 97.33, True), ("环卫所", None, None, False)]


def test_the_month_defaults_to_last_month(world):
    with time_machine.travel(at(2027, 1, 1, 9, 0), tick=False):
        body = client(world.supervisor).get(URL).json()
    assert (body["month"], body["level"]) == ("2026-12", "street")


def _sheet_rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_xlsx_opens_with_openpyxl_and_its_figures_equal_the_api_s(november_tasks,
                                                                      on_the_first, language):
    supervisor = november_tasks.world.supervisor
    response = client(supervisor).get(EXPORT, {"month": MONTH}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Type"] == evaluation_xlsx_type()
    assert 'filename="evaluation-2026-11.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == len(evaluation.LEVELS)
    compared = 0
    for level, sheet in zip(evaluation.LEVELS, book.worksheets, strict=True):
        rows = client(supervisor).get(URL, {"month": MONTH, "level": level}).json()["rows"]
        assert rows, level
        with translation.override(language):
            label = str(evaluation.LEVEL_LABELS[level])
        assert sheet.title == label and f"{MONTH} " in sheet["A1"].value
        cells = _sheet_rows(sheet)
        assert len(cells) == len(rows)
        for got, want in zip(cells, rows, strict=True):
            # Every column, exactly: numbers as numbers, an empty cell for a null, and 无数据
            # where a unit without data would have its rank and score.
            assert got == [no_data(want, name, language) for name in FIELDS]
            compared += len(FIELDS)
    assert compared > 100
    header = [c.value for c in book.worksheets[0][2]]
    assert header[:3] == (["排名", "单位", "综合得分"] if language == "zh-hans"
                          else ["Rank", "Unit", "Composite score"])


def test_one_level_as_xlsx_from_the_main_endpoint_and_as_csv(november_tasks, on_the_first):
    supervisor = november_tasks.world.supervisor
    rows = client(supervisor).get(URL, {"month": MONTH, "level": "department"}).json()["rows"]
    response = client(supervisor).get(URL, {"month": MONTH, "level": "department",
                                            "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == evaluation_xlsx_type()
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 1
    assert _sheet_rows(book.worksheets[0]) == [[no_data(r, name) for name in FIELDS]
                                               for r in rows]

    response = client(supervisor).get(EXPORT, {"month": MONTH, "level": "department",
                                               "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so that Excel reads it as UTF-8
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(lines) == 1 + len(rows)
    for line, row in zip(lines[1:], rows, strict=True):
        assert line[0] == MONTH
        assert line[2:] == ["" if no_data(row, name) is None else str(no_data(row, name))
                            for name in FIELDS]
    assert lines[-1][2] == lines[-1][4] == "No data" or lines[-1][2] == "无数据"


def no_data(row: dict, name: str, language: str | None = None):
    """The cell of ``name``: the API's value, or 无数据 in the rank and score of a unit without
    data."""
    if row["has_data"] or name not in ("rank", "score"):
        return row[name]
    with translation.override(language or translation.get_language()):
        return str(NO_DATA)


def evaluation_xlsx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_rankings_stay_within_the_district(world):
    d2 = f.RegionFactory(code="D2", name="另一区", level=Region.Level.DISTRICT)
    s3 = f.RegionFactory(code="S3", name="南街道", level=Region.Level.STREET, parent=d2)
    f.RegionFactory(code="C3", name="三社区", level=Region.Level.COMMUNITY, parent=s3)
    other = f.OfficerFactory()
    f.DutyFactory(officer=other, role=Role.DISTRICT_SUPERVISOR, region=d2)
    root = f.UserFactory(username="root", is_superuser=True, is_staff=True)

    def streets(who, **params):
        response = client(who).get(URL, {"month": MONTH, **params})
        return response.status_code, {r["name"]: r["rank"] for r in
                                      response.json().get("rows", [])}

    # Nothing happened anywhere: every street is 无数据, unranked, but listed.
    assert streets(world.supervisor) == (200, {"东街道": None, "西街道": None})
    assert streets(other) == (200, {"南街道": None})
    # Another district's ranking is not theirs to read; the console's staff read any, and all.
    assert streets(world.street_leader, district=d2.pk)[0] == 403
    assert streets(root, district=d2.pk) == (200, {"南街道": None})
    assert streets(root) == (200, {"东街道": None, "西街道": None, "南街道": None})


def test_a_future_month_is_a_400_and_the_current_one_is_provisional(world):
    with time_machine.travel(at(2026, 11, 20, 10, 0), tick=False):
        response = client(world.supervisor).get(URL, {"month": "2026-12"})
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid_input" and "month" in body["errors"]
        assert "2026-12" in body["errors"]["month"][0]
        assert client(world.supervisor).get(EXPORT, {"month": "2027-01"}).status_code == 400
        current = client(world.supervisor).get(URL, {"month": "2026-11"})
        assert current.status_code == 200 and current.json()["provisional"] is True
        last = client(world.supervisor).get(URL, {"month": "2026-10"})
        assert last.json()["provisional"] is False


def test_the_openapi_schema_describes_both_endpoints(db):
    doc = client().get("/api/schema/?format=json").json()
    get = doc["paths"]["/api/v1/evaluation/"]["get"]
    assert {"200", "400", "401", "403", "429"} <= set(get["responses"])
    content = get["responses"]["200"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/Evaluation")
    assert evaluation_xlsx_type() in content and "text/csv" in content
    assert {p["name"] for p in get["parameters"]} >= {"month", "level", "district", "format"}
    export = doc["paths"]["/api/v1/evaluation/export/"]["get"]
    assert evaluation_xlsx_type() in export["responses"]["200"]["content"]
    row = doc["components"]["schemas"]["EvaluationRow"]["properties"]
    assert set(FIELDS) - {"name"} <= set(row) and row["closed_rate"]["nullable"] is True
