"""Staffing gaps (网格和路长未到位): every grid and road without a valid duty of its role today,
scoped to the viewer's area, on the console's dashboard (one query more) and in the street
leader's daily digest."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridmgmt import clock
from gridmgmt.models import Duty, Role
from tasks_app import notify
from tasks_app.console import dashboard
from tasks_app.models import Notification
from tasks_app.selectors import staffing_gaps
from tests import factories as f

INDEX = reverse("admin:index")


def _gaps(user) -> set[str]:
    return {f"{g.kind}:{g.code}" for g in staffing_gaps(user=user, at=clock.now())}


def _left_a_week_ago(world) -> None:
    """G1's grid officer left a week ago; R1's road chief is still there."""
    Duty.objects.filter(officer=world.grid_officer).update(
        valid_to=clock.now() - timedelta(days=7))


def test_a_grid_whose_officer_left_is_a_gap_in_its_street_only(world):
    assert _gaps(world.supervisor.user) == set()
    _left_a_week_ago(world)
    assert _gaps(world.supervisor.user) == {"grid:G1"}
    assert _gaps(world.street_leader.user) == {"grid:G1"}
    assert _gaps(world.other_street_leader.user) == set()


def test_a_road_without_a_chief_is_a_gap_of_every_street_it_runs_through(world):
    Duty.objects.filter(officer=world.road_chief).update(valid_to=clock.now())
    f.RoadFactory(code="R9", name="远方路", centre_line={
        "type": "LineString", "coordinates": [[121.0, 31.0], [121.01, 31.0]]})
    assert _gaps(world.supervisor.user) == {"road:R1", "road:R9"}
    # R1 crosses G1 (S1) and G2 (S2); R9 crosses no grid of either street.
    assert _gaps(world.street_leader.user) == {"road:R1"}
    assert _gaps(world.other_street_leader.user) == {"road:R1"}


def test_a_duty_starting_tomorrow_does_not_fill_the_gap_today(world):
    _left_a_week_ago(world)
    f.DutyFactory(officer=f.OfficerFactory(), role=Role.GRID_OFFICER, grid=world.grid1,
                  valid_from=clock.now() + timedelta(days=1))
    assert _gaps(world.supervisor.user) == {"grid:G1"}


def test_the_dashboard_lists_the_gaps_with_one_query_more(street_leader_client, world,
                                                          monkeypatch):
    client = street_leader_client
    _left_a_week_ago(world)
    with CaptureQueriesContext(connection) as with_gaps:
        html = client.get(INDEX).content.decode()
    assert 'data-gap="grid-G1"' in html
    assert reverse("admin:gridmgmt_grid_change", args=[world.grid1.pk]) in html
    monkeypatch.setattr(dashboard, "staffing_gaps", lambda **kw: [])
    with CaptureQueriesContext(connection) as without:
        client.get(INDEX)
    assert len(with_gaps) - len(without) <= 1 + 2  # one query; roads: the cached index's stamp


def test_the_supervisors_dashboard_pays_exactly_one_query(supervisor_client, world,
                                                          monkeypatch):
    client = supervisor_client
    _left_a_week_ago(world)
    client.get(INDEX)
    with CaptureQueriesContext(connection) as with_gaps:
        assert 'data-gap="grid-G1"' in client.get(INDEX).content.decode()
    monkeypatch.setattr(dashboard, "staffing_gaps", lambda **kw: [])
    with CaptureQueriesContext(connection) as without:
        client.get(INDEX)
    assert len(with_gaps) - len(without) == 1


def test_the_street_leaders_digest_lists_his_streets_gaps(world, settings):
    settings.LANGUAGE_CODE = "en"
    for officer in (world.street_leader, world.other_street_leader):
        officer.language = "en"
        officer.save()
    _left_a_week_ago(world)
    notify.create_digests(now=clock.now())
    row = Notification.objects.get(kind=Notification.Kind.DIGEST, recipient=world.street_leader)
    assert row.context["gaps"] == [{"kind": "grid", "code": "G1", "name": "一号网格"}]
    assert not Notification.objects.filter(kind=Notification.Kind.DIGEST,
                                           recipient=world.other_street_leader).exists()
    notify.send_pending()
    message = next(m for m in mail.outbox if m.to == [world.street_leader.email])
    assert "一号网格 (G1): no grid officer" in message.body
    assert "without their officer" in message.subject or "without its officer" in message.subject
