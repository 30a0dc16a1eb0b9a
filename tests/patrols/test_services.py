"""Patrol services: start, check in, end; the roads and grids covered; who may patrol; bad input
refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridmgmt import clock
from tasks_app.errors import DomainError
from tasks_app.patrols import services
from tasks_app.patrols.models import CheckIn, Patrol, PatrolFinding, PatrolPlace
from tests import factories as f
from tests.mobile.conftest import report_at

# Along road R1 (latitude 30.005) through grid G1 into G2: about 96 m a step east-west.
WALK = [(120.005 + 0.001 * i, 30.00505) for i in range(8)]


def _walk(patrol, user, points=WALK):
    for i, (lng, lat) in enumerate(points):
        services.patrol_check_in(patrol=patrol, actor=user, lng=lng, lat=lat, accuracy=8,
                                 key=f"key-{patrol.pk}-{i:04d}")


def test_a_road_chief_walks_his_road_and_covers_it_and_the_grids_it_crosses(world):
    user = world.road_chief.user
    patrol, running = services.patrol_start(actor=user)
    assert not running and patrol.is_running
    _walk(patrol, user)
    patrol, already = services.patrol_end(patrol=patrol, actor=user)
    assert not already and patrol.status == Patrol.Status.ENDED
    assert patrol.ended_at >= patrol.started_at
    assert patrol.check_in_count == len(WALK)
    assert patrol.distance_m == pytest.approx(7 * 96.4, rel=0.02)
    covered = {(v.road_id, v.grid_id) for v in PatrolPlace.objects.filter(patrol=patrol)}
    assert covered == {(world.road.pk, None), (None, world.grid1.pk), (None, world.grid2.pk)}


def test_a_second_start_returns_the_running_patrol(world):
    first, _ = services.patrol_start(actor=world.grid_officer.user)
    again, running = services.patrol_start(actor=world.grid_officer.user)
    assert running and again.pk == first.pk
    assert Patrol.objects.count() == 1


@pytest.mark.parametrize("who", ["street_leader", "supervisor", "inspector", "handler",
                                 "community_head"])
def test_only_road_chiefs_and_grid_officers_patrol(world, who):
    with pytest.raises(DomainError) as exc:
        services.patrol_start(actor=getattr(world, who).user)
    assert exc.value.code == "forbidden"
    assert Patrol.objects.count() == 0


def test_another_officers_patrol_is_refused(world):
    patrol, _ = services.patrol_start(actor=world.road_chief.user)
    for call in (lambda: services.patrol_check_in(patrol=patrol, actor=world.grid_officer.user,
                                                  lng=120.005, lat=30.005),
                 lambda: services.patrol_end(patrol=patrol, actor=world.grid_officer.user)):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "not_found"
    patrol.refresh_from_db()
    assert patrol.is_running and patrol.check_in_count == 0 and not CheckIn.objects.exists()


def test_a_replayed_check_in_is_recorded_once(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    first, replayed = services.patrol_check_in(patrol=patrol, actor=user, lng=120.005,
                                               lat=30.005, key="same-key-123")
    again, replayed_again = services.patrol_check_in(patrol=patrol, actor=user, lng=120.006,
                                                     lat=30.005, key="same-key-123")
    assert not replayed and replayed_again and again.pk == first.pk
    assert CheckIn.objects.count() == 1
    patrol.refresh_from_db()
    assert patrol.check_in_count == 1


def test_a_late_point_from_the_offline_queue_is_put_in_order(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user, at=clock.now() - timedelta(minutes=5))
    now = clock.now()
    services.patrol_check_in(patrol=patrol, actor=user, lng=120.005, lat=30.005,
                             at=now - timedelta(seconds=30))
    services.patrol_check_in(patrol=patrol, actor=user, lng=120.007, lat=30.005,
                             at=now - timedelta(seconds=10))
    # The middle point, sent last: the route is A → B → C, not A → C → B.
    services.patrol_check_in(patrol=patrol, actor=user, lng=120.006, lat=30.005,
                             at=now - timedelta(seconds=20))
    patrol.refresh_from_db()
    assert patrol.distance_m == pytest.approx(2 * 96.4, rel=0.02)


def test_a_coarse_fix_is_kept_on_the_route_but_covers_nothing(world):
    user = world.grid_officer.user
    patrol, _ = services.patrol_start(actor=user)
    point, _ = services.patrol_check_in(patrol=patrol, actor=user, lng=120.005, lat=30.005,
                                        accuracy=900)
    assert not point.counted and not PatrolPlace.objects.exists()


@pytest.mark.parametrize("lng, lat, accuracy, code", [
    ("120.005\x00", "30.005", None, "invalid_coordinates"),
    ("181", "30.005", None, "invalid_coordinates"),
    ("120.005", "-91", None, "invalid_coordinates"),
    ("nan", "30.005", None, "invalid_coordinates"),
    ("1e999", "30.005", None, "invalid_coordinates"),
    ("120.005", "30.005", "-3", "invalid_input"),
    ("120.005", "30.005", "a lot", "invalid_input"),
])
def test_bad_input_is_refused_and_nothing_is_written(world, lng, lat, accuracy, code):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    with pytest.raises(DomainError) as exc:
        services.patrol_check_in(patrol=patrol, actor=user, lng=lng, lat=lat, accuracy=accuracy)
    assert exc.value.code == code
    patrol.refresh_from_db()
    assert patrol.check_in_count == 0 and not CheckIn.objects.exists()


def test_a_check_in_from_the_future_is_refused(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    with pytest.raises(DomainError) as exc:
        services.patrol_check_in(patrol=patrol, actor=user, lng=120.005, lat=30.005,
                                 at=clock.now() + timedelta(hours=2))
    assert exc.value.code == "invalid_input" and not CheckIn.objects.exists()


def test_a_check_in_to_an_ended_patrol_is_refused_clearly(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    services.patrol_end(patrol=patrol, actor=user)
    with pytest.raises(DomainError) as exc:
        services.patrol_check_in(patrol=patrol, actor=user, lng=120.005, lat=30.005)
    assert exc.value.code == "conflict" and exc.value.http_status == 409
    assert "ended" in exc.value.message or "已结束" in exc.value.message
    assert not CheckIn.objects.exists()
    # Ending it again (a replayed tap) changes nothing.
    ended_at = Patrol.objects.get().ended_at
    again, already = services.patrol_end(patrol=patrol, actor=user)
    assert already and again.ended_at == ended_at


def test_a_problem_reported_during_a_patrol_is_linked_with_a_check_in(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    task = report_at(world, world.point_g1, reporter=user)
    services.patrol_found(task=task, actor=user)
    finding = PatrolFinding.objects.get()
    assert finding.patrol == patrol and finding.task == task
    assert finding.check_in.kind == CheckIn.Kind.PROBLEM
    assert (finding.check_in.lng, finding.check_in.lat) == (task.lng, task.lat)


def test_a_report_with_no_patrol_running_is_not_linked(world):
    user = world.road_chief.user
    patrol, _ = services.patrol_start(actor=user)
    services.patrol_end(patrol=patrol, actor=user)
    task = report_at(world, world.point_g1, reporter=user)
    services.patrol_found(task=task, actor=user)
    assert not PatrolFinding.objects.exists()


def test_patrol_frequencies_are_reference_data_for_bureau_administrators(world):
    from gridmgmt.models import Role
    from tasks_app import authority
    from tasks_app.patrols.models import PatrolRule

    admin = f.OfficerFactory()
    f.DutyFactory(officer=admin, role=Role.BUREAU_ADMIN, region=world.district)
    assert authority.of(admin.user).can_edit_reference(PatrolRule)
    assert not authority.of(world.supervisor.user).can_edit_reference(PatrolRule)
    assert not authority.of(world.road_chief.user).can_edit_reference(PatrolRule)
    # Seeded by the migration: roads daily, grids every two days.
    assert dict(PatrolRule.objects.values_list("applies_to", "every_hours")) == {
        "road": 24, "grid": 48}
