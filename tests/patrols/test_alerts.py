"""Roads and grids unpatrolled past their frequency alert their chief through the outbox, once
per overdue period: an outbox row, then real mail."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail

from gridmgmt import clock
from tasks_app import notify
from tasks_app.models import Notification
from tasks_app.patrols import alerts, services
from tasks_app.patrols.models import PatrolAlert

from .test_services import WALK, _walk


def _walk_road(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    _walk(patrol, user, WALK)
    services.patrol_end(patrol=patrol, actor=user)


def test_an_unpatrolled_grid_alerts_its_officer_once_per_period(world):
    _walk_road(world)
    now = clock.now() + timedelta(hours=1)
    first = alerts.alert_overdue(now=now)
    # The road and both grids were walked: nothing is overdue yet.
    assert first["alerts"] == 0 and not Notification.objects.exists()

    later = clock.now() + timedelta(hours=30)  # the road (daily) is overdue, the grids are not
    assert alerts.alert_overdue(now=later)["alerts"] == 1
    assert alerts.alert_overdue(now=later + timedelta(minutes=15))["alerts"] == 0
    row = Notification.objects.get()
    assert row.kind == Notification.Kind.PATROL_OVERDUE
    assert row.recipient == world.road_chief and row.task is None
    alert = PatrolAlert.objects.get()
    assert alert.road == world.road and alert.every_hours == 24

    # A day on, still unpatrolled: a new period for the road, one more alert; the grids (every
    # two days) are overdue now too.
    assert alerts.alert_overdue(now=later + timedelta(hours=24))["alerts"] == 3
    assert Notification.objects.filter(recipient=world.road_chief).count() == 2


def test_the_alert_is_sent_as_mail_once(world):
    _walk_road(world)
    later = clock.now() + timedelta(hours=30)
    alerts.alert_overdue(now=later)
    alerts.alert_overdue(now=later)
    counts = notify.send_pending(now=later + timedelta(minutes=1))
    assert counts["sent"] == 1
    assert notify.send_pending(now=later + timedelta(minutes=2))["sent"] == 0
    [message] = mail.outbox
    assert message.to == [world.road_chief.email]
    assert "中山路" in message.subject
    assert "/m/patrol/" in message.body
    assert Notification.objects.get().status == Notification.Status.SENT


def test_never_patrolled_places_alert_their_chiefs(world):
    result = alerts.alert_overdue(now=clock.now())
    # Road R1 and grids G1, G2 are overdue; each has its chief.
    assert result["alerts"] == 3
    assert set(Notification.objects.values_list("recipient__user__username", flat=True)) == {
        "roadchief", "grid1", "grid2"}


def test_the_job_runs_the_same(world, settings):
    from tasks_app.patrols.jobs import overdue_alerts_job

    assert overdue_alerts_job()["alerts"] == 3
    assert overdue_alerts_job()["alerts"] == 0
    assert Notification.objects.count() == 3


def test_the_alert_goes_through_real_smtp(world, smtp_server):
    alerts.alert_overdue(now=clock.now())
    assert notify.send_pending()["sent"] == 3
    got = smtp_server.mailbox.wait_for(3)
    assert len(got) == 3 and any("中山路" in m["Subject"] for m in got)
