"""A report's hand-written reads (tasks_app.rows) give what the querysets they stand for give, on
data where they could differ: the repeat lookup (``earlier_occurrences``) against the filter it
replaced, the officer on duty (``services._on_duty``) against ``officers_holding(...).first()``,
and the reporter's officer with their duties (``authority``) against the two reads it replaced."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridmgmt import clock
from gridmgmt.geometry import degree_box, haversine_m
from gridmgmt.models import Duty, Role
from gridmgmt.selectors import officers_holding
from tasks_app import authority, services
from tasks_app.authority import Held
from tasks_app.models import Task
from tasks_app.selectors import earlier_occurrences
from tasks_app.workflow import Status
from tests import factories as f

from .conftest import START


def _by_queryset(category, lng, lat, at, exclude_pk=None) -> list[Task]:
    """The repeat lookup as the queryset it was before it was written by hand."""
    radius = category.repeat_radius_m
    min_lng, min_lat, max_lng, max_lat = degree_box(lng, lat, radius)
    qs = Task.objects.filter(
        category=category, reported_at__gte=at - timedelta(days=category.repeat_window_days),
        reported_at__lte=at, lng__gte=min_lng, lng__lte=max_lng, lat__gte=min_lat,
        lat__lte=max_lat).exclude(status=Status.VOID)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return [t for t in qs.order_by("-reported_at", "-pk")
            if haversine_m(lng, lat, t.lng, t.lat) <= radius]


def _fields(tasks: list[Task]) -> list[dict]:
    return [{f.attname: getattr(t, f.attname) for f in Task._meta.concrete_fields}
            for t in tasks]


def test_the_repeat_lookup_finds_what_its_queryset_finds(world, traveller):
    lng, lat = world.point_g1
    other = f.CategoryFactory(code="OTHER", name="其他")
    made = []
    for i, (category, dlng, days) in enumerate([
            (world.category, 0.0, 1), (world.category, 0.00001, 1), (world.category, 0.0002, 2),
            (world.category, 0.002, 3), (other, 0.0, 1), (world.category, 0.0, 40),
            (world.category, 0.00003, 0)]):
        traveller.shift(timedelta(minutes=1))
        task = services.task_report(reporter=world.inspector.user, category=category,
                                    lng=lng + dlng, lat=lat, title=f"第{i}个")
        Task.objects.filter(pk=task.pk).update(reported_at=START - timedelta(days=days))
        made.append(task)
    # One at the very instant asked about, two at the same instant (the id orders them), a void.
    Task.objects.filter(pk=made[6].pk).update(reported_at=START + timedelta(minutes=30))
    Task.objects.filter(pk=made[1].pk).update(reported_at=START - timedelta(days=1))
    Task.objects.filter(pk=made[2].pk).update(status=Status.VOID)
    at = START + timedelta(minutes=30)

    for args in [(world.category, lng, lat, at), (world.category, lng, lat, at, made[0].pk),
                 (other, lng, lat, at), (world.category, lng + 0.002, lat, at),
                 (world.category, lng, lat, at - timedelta(days=2))]:
        expected = _by_queryset(*args)
        got = earlier_occurrences(category=args[0], lng=args[1], lat=args[2], at=args[3],
                                  exclude_pk=args[4] if len(args) > 4 else None)
        assert _fields(got) == _fields(expected)
        assert all(t._state.adding is False for t in got)
    assert len(_by_queryset(world.category, lng, lat, at)) == 3  # the data can tell them apart


def test_the_officer_on_duty_is_the_one_officers_holding_names_first(world):
    at = clock.now()
    grid, dept = world.grid1, world.department
    # Around the instant: one whose duty ended at it, one starting after it, a second holder
    # (the lowest id wins), a holder of another role there, and a second handler.
    ended = f.OfficerFactory()
    Duty.objects.create(officer=ended, role=Role.GRID_OFFICER, grid=grid,
                        valid_from=at - timedelta(days=9), valid_to=at)
    later = f.OfficerFactory()
    Duty.objects.create(officer=later, role=Role.GRID_OFFICER, grid=grid,
                        valid_from=at + timedelta(seconds=1))
    second = f.OfficerFactory()
    Duty.objects.create(officer=second, role=Role.GRID_OFFICER, grid=grid,
                        valid_from=at - timedelta(days=1), valid_to=at + timedelta(seconds=1))
    Duty.objects.create(officer=f.OfficerFactory(), role=Role.HANDLER, department=dept,
                        valid_from=at)
    cases = [(Role.GRID_OFFICER, {"grid": grid}, {"grid_id": grid.pk}),
             (Role.GRID_OFFICER, {"grid": world.grid2}, {"grid_id": world.grid2.pk}),
             (Role.HANDLER, {"department": dept}, {"department_id": dept.pk})]
    for when in (at - timedelta(days=2), at, at + timedelta(seconds=1), at + timedelta(days=1)):
        for role, orm, raw in cases:
            expected = officers_holding(role=role, at=when, **orm).first()
            got = services._on_duty(role, when, **raw)
            assert (got and {k: getattr(got, k) for k in ("id", "name", "department_id")}) == \
                (expected and {k: getattr(expected, k) for k in ("id", "name", "department_id")})
    Duty.objects.filter(grid=world.grid2).delete()
    assert services._on_duty(Role.GRID_OFFICER, at, grid_id=world.grid2.pk) is None


def test_the_reporters_officer_and_duties_are_one_read_and_the_same_as_two(world):
    officer = world.street_leader
    Duty.objects.create(officer=officer, role=Role.INSPECTOR, region=world.district,
                        valid_from=clock.now() - timedelta(days=3),
                        valid_to=clock.now() - timedelta(days=1))
    expected_officer = type(officer).objects.get(user_id=officer.user_id)
    expected = sorted((Held(*row) for row in Duty.objects.filter(officer=officer).values_list(
        "role", "region_id", "grid_id", "road_id", "department_id", "valid_from", "valid_to")),
        key=repr)

    fresh = User.objects.get(pk=officer.user_id)
    with CaptureQueriesContext(connection) as queries:
        got = authority.of(fresh)
        again = authority.of(fresh)
    assert len(queries.captured_queries) == 1
    assert fresh.officer is got.officer and got.officer.user is fresh
    assert {f.attname: getattr(got.officer, f.attname) for f in type(officer)._meta.fields} == \
        {f.attname: getattr(expected_officer, f.attname) for f in type(officer)._meta.fields}
    assert sorted(fresh._authority_duties[1], key=repr) == expected
    assert got.roles == again.roles == {Role.STREET_LEADER}

    nobody = f.UserFactory()
    with CaptureQueriesContext(connection) as queries:
        assert authority.of(nobody).officer is None
        assert authority.of(nobody).roles == frozenset()
    assert len(queries.captured_queries) == 1
