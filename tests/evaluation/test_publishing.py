"""Publishing a month freezes it: October (story.py) published on the 5th of November reads the
same everywhere (console page, API JSON, CSV byte for byte, XLSX, the monthly
mail) after a reassignment, a late closure and a change of scheme; republishing needs a reason
and keeps version 1 readable; a month that has not ended cannot be published; and a street
leader can publish nothing, through the service, the console, the API, the command or the
admin."""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks_app import evaluation, evaluation_services, exports, notify, reports, services
from tasks_app.emails import context_for
from tasks_app.errors import DomainError
from tasks_app.evaluation import Row
from tasks_app.evaluation_services import evaluation_publish
from tasks_app.models import (
    EvaluationPublication,
    EvaluationScheme,
    EvaluationSnapshotRow,
    Notification,
)
from tests.evaluation.conftest import photo
from tests.evaluation.story import MEETING, MONTH, bureau_admin, october_story, staff
from tests.gridmgmt.calendars import at

KIND = Notification.Kind.MONTHLY_REPORT
EVALUATED_AT = MEETING
__all__ = ["october_story"]  # fixture


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def readings(client, admin_user, api_client) -> dict:
    """Everything a published month is read through, as bytes or plain values."""
    with translation.override("zh-hans"):
        page = client.get("/admin/evaluation/", {"month": MONTH, "level": "department"})
        assert page.status_code == 200
        table = re.search(r'<table id="evaluation-table".*?</table>', page.content.decode(),
                          re.S).group(0)
        out = {"page": table, "chart": page.context["chart"]}
        for level in evaluation.LEVELS:
            answer = api_client.get("/api/v1/evaluation/", {"month": MONTH, "level": level})
            assert answer.status_code == 200
            out[f"api-{level}"] = answer.json()
        out["csv"] = api_client.get("/api/v1/evaluation/export/",
                                    {"month": MONTH, "format": "csv"}).content
        xlsx = load_workbook(io.BytesIO(exports.to_xlsx(MONTH, list(evaluation.LEVELS))))
        out["xlsx"] = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in xlsx]
        Notification.objects.filter(kind=KIND, period=MONTH).delete()
        reports.create_monthly_reports(month=MONTH, now=EVALUATED_AT)
        out["mail"] = {n.recipient_id: notify.render_email(KIND, context_for(n), "zh-hans")
                       for n in Notification.objects.filter(kind=KIND, period=MONTH)}
        assert out["mail"]
    return out


def live(month: str, level: str) -> list[dict]:
    """What the month would say if it were not published."""
    saved = evaluation_services.published_rows
    evaluation_services.published_rows = lambda *a, **k: None
    try:
        return [r.as_dict() for r in evaluation.evaluate(month, level)]
    finally:
        evaluation_services.published_rows = saved


def test_a_published_month_reads_the_same_after_a_reassignment_a_late_closure_and_a_new_scheme(
        world, client):
    w = world
    admin_user = bureau_admin(w)
    client.force_login(admin_user)
    reader = api(w.supervisor.user)
    lng, lat = w.point_g1
    with time_machine.travel(at(2026, 10, 20, 10, 0), tick=False):
        open_task = services.task_report(reporter=w.inspector.user, category=w.category,
                                         lng=lng, lat=lat)
        west = services.task_report(reporter=w.inspector.user, category=w.category,
                                    lng=w.point_g2[0], lat=w.point_g2[1])
        west = services.task_start(task=west, actor=w.other_grid_officer.user)
        west = services.task_submit(task=west, actor=w.other_grid_officer.user,
                                    photos=[photo()])
        services.task_verify(task=west, actor=w.inspector.user, approved=True)
    with time_machine.travel(EVALUATED_AT, tick=False):
        before_live = {level: live(MONTH, level) for level in evaluation.LEVELS}
        publication = evaluation_publish(month=MONTH, actor=admin_user)
        published = readings(client, admin_user, reader)
    assert publication.version == 1 and publication.scheme["name"] == "default"
    assert published["api-street"]["published"] is True
    assert published["api-street"]["publication"]["version"] == 1
    # The snapshot is what was computed: the same rows as the live figures of that instant.
    for level in evaluation.LEVELS:
        assert published[f"api-{level}"]["rows"] == before_live[level]

    with time_machine.travel(at(2026, 11, 10, 10, 0), tick=False):
        # An October task reassigned to a department's handler, and closed late by him,
        moved = services.task_assign(task=open_task, actor=w.supervisor.user,
                                     assignee=w.handler, note="改派")
        moved = services.task_start(task=moved, actor=w.handler.user)
        moved = services.task_submit(task=moved, actor=w.handler.user, photos=[photo()])
        moved = services.task_verify(task=moved, actor=w.inspector.user, approved=True)
        assert moved.closed_late and moved.department == w.department
        # and a new scheme.
        EvaluationScheme.objects.create(name="2027", is_active=True, base=90, w_overdue=-3)
    with time_machine.travel(at(2026, 11, 10, 11, 0), tick=False):
        after = readings(client, admin_user, reader)
        after_live = {level: live(MONTH, level) for level in evaluation.LEVELS}
    assert after["csv"] == published["csv"]  # byte for byte
    assert after == published
    # The test has teeth: computed live, the month now reads otherwise.
    assert after_live["street"] != before_live["street"]


def test_republishing_needs_a_reason_and_keeps_the_first_version(october_story, client):
    w = october_story
    admin_user, v1 = w.bureau, w.publication
    with time_machine.travel(EVALUATED_AT, tick=False):
        first = [r.as_dict() for r in evaluation.evaluate(MONTH, "street")]
    with time_machine.travel(at(2026, 11, 6, 10, 0), tick=False):
        EvaluationScheme.objects.create(name="2027", is_active=True, base=90)
        with pytest.raises(DomainError, match="reason"):
            evaluation_publish(month=MONTH, actor=admin_user)
        with pytest.raises(DomainError):
            evaluation_publish(month=MONTH, actor=admin_user, reason="   ")
        v2 = evaluation_publish(month=MONTH, actor=admin_user, reason="新考评方案")
        second = [r.as_dict() for r in evaluation.evaluate(MONTH, "street")]
        v1.refresh_from_db()
        assert (v2.version, v2.reason, v2.scheme["name"]) == (2, "新考评方案", "2027")
        assert v1.superseded_by == v2 and v1.superseded_at is not None
        assert second != first  # v2 is current: scored by the new scheme
        assert [r.as_dict() for r in evaluation_services.snapshot_rows(v1, "street")] == first
        client.force_login(admin_user)
        page = client.get("/admin/evaluation/", {"month": MONTH})
        html = page.content.decode()
        assert "version=1" in html and "新考评方案" in html
        old = client.get("/admin/evaluation/", {"month": MONTH, "version": "1"})
        assert [row[2][0] for row in old.context["table"]] == [r["score"] for r in first]
        assert "publication-banner superseded" in old.content.decode()


def test_a_month_that_has_not_ended_cannot_be_published(world):
    admin_user = bureau_admin(world)
    with time_machine.travel(at(2026, 11, 30, 23, 0), tick=False):
        for month in ("2026-11", "2026-12", "2027-01"):
            with pytest.raises(DomainError, match="ended"):
                evaluation_publish(month=month, actor=admin_user)
    assert not EvaluationPublication.objects.exists()


def test_an_unpublished_month_says_it_is_computed_live(october_story, client):
    w = october_story
    with time_machine.travel(EVALUATED_AT, tick=False):
        answer = api(w.supervisor.user).get("/api/v1/evaluation/", {"month": "2026-09"})
        assert answer.json()["published"] is False and answer.json()["publication"] is None
        client.force_login(w.bureau)
        with translation.override("en"):
            page = client.get("/admin/evaluation/", {"month": "2026-09"})
        html = page.content.decode()
        assert "未发布：实时计算" in html
        assert "发布本月考评" in html


def test_the_console_button_and_the_command_publish(world, client):
    w = world
    admin_user = bureau_admin(w)
    client.force_login(admin_user)
    with time_machine.travel(EVALUATED_AT, tick=False):
        done = client.post(f"/admin/evaluation/{MONTH}/publish/", {"level": "street"})
        assert done.status_code == 302
        assert EvaluationPublication.objects.get().version == 1
        refused = client.post(f"/admin/evaluation/{MONTH}/publish/", {"reason": ""},
                              follow=True)
        assert EvaluationPublication.objects.count() == 1
        assert "reason" in refused.content.decode() or "原因" in refused.content.decode()
        with pytest.raises(CommandError):
            call_command("evaluate", "--month", MONTH, "--publish", "--as", "bureau")
        out = io.StringIO()
        call_command("evaluate", "--month", MONTH, "--publish", "--as", "bureau",
                     "--reason", "更正", stdout=out)
        assert "version 2" in out.getvalue()
        with pytest.raises(CommandError):
            call_command("evaluate", "--month", MONTH, "--publish", "--as", "streetlead",
                         "--reason", "x")
    assert EvaluationPublication.objects.count() == 2


def test_a_street_leader_can_publish_nothing_anywhere(world, client):
    w = world
    leader = staff(w.street_leader)
    client.force_login(leader)
    with time_machine.travel(EVALUATED_AT, tick=False):
        with pytest.raises(DomainError):
            evaluation_publish(month=MONTH, actor=leader)
        assert client.post(f"/admin/evaluation/{MONTH}/publish/",
                           {"reason": "x"}).status_code == 403
        page = client.get("/admin/evaluation/", {"month": MONTH})
        assert page.status_code == 200 and "publish-form" not in page.content.decode()
        leader_api = api(leader)
        assert leader_api.post("/api/v1/evaluation/publish/",
                               {"month": MONTH}).status_code == 403
        # Published, the snapshot rows are nobody's to edit: no API write, no admin page.
        evaluation_publish(month=MONTH, actor=bureau_admin(w))
        rows = list(EvaluationSnapshotRow.objects.values_list("pk", "data"))
        for method in ("post", "put", "patch", "delete"):
            assert getattr(leader_api, method)("/api/v1/evaluation/",
                                               {"month": MONTH}).status_code in (403, 405)
        for url in ("/admin/tasks_app/evaluationsnapshotrow/",
                    f"/admin/tasks_app/evaluationsnapshotrow/{rows[0][0]}/change/",
                    "/admin/tasks_app/evaluationpublication/"):
            assert client.get(url).status_code in (403, 404)
            assert client.post(url, {"score": "100"}).status_code in (403, 404)
    assert list(EvaluationSnapshotRow.objects.values_list("pk", "data")) == rows
    assert EvaluationPublication.objects.count() == 1


def test_row_from_dict_round_trips_every_field(october_story):
    for row in evaluation_services.snapshot_rows(october_story.publication, "street"):
        again = evaluation.Row.from_dict(row.as_dict())
        assert again.as_dict() == row.as_dict()
        assert Row.from_dict(again.as_dict()) == again
