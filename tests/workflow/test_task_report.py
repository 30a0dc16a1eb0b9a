"""task_report: a problem is located, registered, dispatched where someone is responsible, and
timed; a patrol fix on the spot arrives waiting for verification."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth.models import AnonymousUser

from tasks_app import services
from tasks_app.errors import DomainError
from tasks_app.models import Photo, Source, Task, TaskEvent
from tasks_app.workflow import Status
from tests import factories as f
from tests.gridmgmt.calendars import at

from .conftest import START, end_duties, media_files, photo


def _report(world, **kwargs) -> Task:
    lng, lat = kwargs.pop("point", world.point_g1)
    kwargs.setdefault("reporter", world.inspector.user)
    kwargs.setdefault("category", world.category)
    return services.task_report(lng=lng, lat=lat, **kwargs)


def _nothing_written(settings) -> None:
    assert Task.objects.count() == 0
    assert TaskEvent.objects.count() == 0
    assert Photo.objects.count() == 0
    assert media_files(settings) == []


def test_a_report_is_located_and_dispatched_to_the_grid_officer_with_a_deadline(world):
    task = _report(world, title="垃圾桶满溢", address="中山路 1 号")

    task.refresh_from_db()
    assert (task.grid, task.road, task.status) == (world.grid1, world.road, Status.ASSIGNED)
    assert task.assignee == world.grid_officer
    assert task.reporter == world.inspector.user
    assert task.reported_at == task.dispatched_at == START
    # 09:00 + 4 working hours: three before lunch, one after 13:30.
    assert task.deadline == at(2026, 11, 18, 14, 30)
    assert task.code == f"20261118{task.pk:07d}"
    assert (task.repeat_of, task.repeat_seq, task.escalation_level) == (None, 1, -1)
    assert task.version == 1
    (event,) = task.events.all()
    assert (event.kind, event.from_status, event.to_status, event.version) == (
        TaskEvent.Kind.REPORTED, "", Status.ASSIGNED, 1)
    assert event.actor == world.inspector.user
    assert event.extra["grid"] == "G1" and event.extra["road"] == "R1"
    assert event.extra["auto_dispatched"] is True


def test_a_category_with_a_department_goes_to_that_departments_handler(world):
    category = f.CategoryFactory(code="DUST", default_department=world.department)

    task = _report(world, category=category)

    assert (task.status, task.assignee, task.department) == (
        Status.ASSIGNED, world.handler, world.department)


def test_a_department_without_a_handler_falls_back_to_the_grid_officer(world):
    empty = f.DepartmentFactory(code="YL", name="园林所")
    category = f.CategoryFactory(code="TREE", default_department=empty)

    task = _report(world, category=category)

    assert task.assignee == world.grid_officer


def test_a_category_without_auto_dispatch_waits_for_a_supervisor(world):
    category = f.CategoryFactory(code="BUILD", auto_dispatch=False)

    task = _report(world, category=category)

    task.refresh_from_db()
    assert task.status == Status.REPORTED
    assert (task.assignee, task.dispatched_at, task.deadline) == (None, None, None)
    assert task.next_escalation_at is None


def test_a_grid_whose_officer_left_waits_for_a_supervisor(world, traveller):
    end_duties(world.grid_officer, START)
    traveller.shift(60)

    task = _report(world)

    assert (task.status, task.assignee) == (Status.REPORTED, None)


def test_a_report_away_from_every_road_has_no_road(world):
    task = _report(world, point=(120.005, 30.008))  # about 330 m north of the road

    assert (task.grid, task.road) == (world.grid1, None)


def test_a_report_in_another_grid_goes_to_that_grids_officer(world):
    task = _report(world, point=world.point_g2)

    assert (task.grid, task.assignee) == (world.grid2, world.other_grid_officer)


def test_a_report_outside_every_grid_is_refused_and_writes_nothing(world, settings):
    with pytest.raises(DomainError) as caught:
        _report(world, point=(121.5, 31.2), photos=[photo()])
    assert caught.value.code == "outside_area"
    _nothing_written(settings)


@pytest.mark.parametrize("lng,lat", [(None, None), ("abc", 30.0), (math.nan, 30.0),
                                     (120.0, math.inf), (200, 30), (120, 95), ([120], [30])])
def test_garbage_coordinates_are_refused_and_write_nothing(world, settings, lng, lat):
    with pytest.raises(DomainError) as caught:
        _report(world, point=(lng, lat))
    assert caught.value.code == "invalid_coordinates"
    _nothing_written(settings)


def test_a_patrol_fix_on_the_spot_arrives_submitted_and_still_needs_verification(world):
    task = _report(world, reporter=world.grid_officer.user, fixed_on_spot=True,
                   photos=[photo("before.jpg", "JPEG")], after_photos=[photo("after.png")])

    task.refresh_from_db()
    assert task.status == Status.SUBMITTED
    assert task.fixed_on_spot is True
    assert task.assignee == world.grid_officer
    assert task.started_at == task.submitted_at == task.dispatched_at == START
    assert task.deadline == at(2026, 11, 18, 14, 30)
    assert task.next_escalation_at is None  # the clock stops while a fix awaits verification
    assert sorted(task.photos.values_list("kind", flat=True)) == ["after", "before"]
    assert task.events.get().to_status == Status.SUBMITTED


@pytest.mark.parametrize("which", ["photos", "after_photos"])
def test_a_fix_on_the_spot_needs_a_before_and_an_after_photo(world, settings, which):
    kwargs = {"photos": [photo()], "after_photos": [photo()]}
    kwargs[which] = []

    with pytest.raises(DomainError) as caught:
        _report(world, reporter=world.grid_officer.user, fixed_on_spot=True, **kwargs)
    assert caught.value.code == "invalid_input"
    _nothing_written(settings)


def test_only_an_officer_can_report_a_fix_on_the_spot(world, settings, user_for):
    with pytest.raises(DomainError) as caught:
        _report(world, reporter=user_for("citizen"), fixed_on_spot=True,
                photos=[photo()], after_photos=[photo()])
    assert caught.value.code == "forbidden"
    _nothing_written(settings)


def test_an_inactive_category_is_refused(world, settings):
    category = f.CategoryFactory(code="OLD", is_active=False)

    with pytest.raises(DomainError) as caught:
        _report(world, category=category)
    assert caught.value.code == "invalid_input"
    _nothing_written(settings)


def test_an_unknown_source_is_refused(world, settings):
    with pytest.raises(DomainError) as caught:
        _report(world, source="rumour")
    assert caught.value.code == "invalid_input"
    _nothing_written(settings)


@pytest.mark.parametrize("reporter", [None, AnonymousUser()])
def test_an_anonymous_report_is_registered_without_a_reporter(world, reporter):
    task = _report(world, reporter=reporter, source=Source.CITIZEN)

    assert task.reporter is None
    assert task.events.get().actor is None
    assert task.source == Source.CITIZEN
