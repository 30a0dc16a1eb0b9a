"""load_seeds: the demo district is complete, consistent, made by the services, and idempotent.

The command runs once for the whole module (it replays a few hundred tasks); its data is committed
and flushed again when the module is done, so other test modules start from an empty database.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone
from shapely import box, unary_union

from gridmgmt.geometry import haversine_m, polygon_from_geojson
from gridmgmt.models import Duty, Grid, Region, Role
from gridmgmt.services import locate
from seeds import data, geo
from tasks_app.models import Category, Source, Task, TaskEvent
from tasks_app.workflow import CLOCK_RUNNING, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    out, err = io.StringIO(), io.StringIO()
    media = tmp_path_factory.mktemp("seed-media")
    with django_db_blocker.unblock(), override_settings(
        MEDIA_ROOT=media, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        call_command("load_seeds", stdout=out, stderr=err)
        yield SimpleNamespace(out=out.getvalue(), err=err.getvalue(), media=media)
        call_command("flush", interactive=False, verbosity=0)


def _district() -> Region:
    return Region.objects.get(code=data.DISTRICT[0])


def _tasks():
    return Task.objects.filter(grid__community__parent__parent=_district())


def _counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count()
            for app in ("auth", "gridmgmt", "tasks_app") for m in apps.get_app_config(app)
            .get_models()}


def test_it_loads_at_least_the_promised_reference_data(seeded):
    district = _district()
    assert Region.objects.filter(parent=district).count() >= 3
    assert Region.objects.filter(parent__parent=district).count() >= 8
    assert Grid.objects.filter(community__parent__parent=district).count() >= 40
    assert Duty.objects.filter(role=Role.ROAD_CHIEF).values("road").distinct().count() >= 10
    assert district.departments.count() >= 6
    assert Duty.objects.values("officer").distinct().count() >= 30
    assert Category.objects.filter(kind=Category.Kind.COMPONENT).exists()
    assert Category.objects.filter(high_deduction=True).exists()
    assert 300 <= _tasks().count() <= 400


def test_the_grids_tile_the_area_without_gaps_or_overlaps(seeded):
    polys = [polygon_from_geojson(g.boundary) for g in Grid.objects.all()]
    area = box(*geo.bounds())
    assert all(p.is_valid for p in polys)
    assert unary_union(polys).symmetric_difference(area).area < area.area * 1e-9
    assert sum(p.area for p in polys) == pytest.approx(area.area, rel=1e-9)
    rng = random.Random(7)
    x0, y0, x1, y1 = geo.bounds()
    for _ in range(300):
        locate(rng.uniform(x0, x1), rng.uniform(y0, y1))  # raises outside_area on a gap


def test_every_task_lies_in_its_grid(seeded):
    for task in _tasks().select_related("grid"):
        assert polygon_from_geojson(task.grid.boundary).buffer(1e-9).contains(
            box(task.lng, task.lat, task.lng, task.lat))


def test_every_role_has_a_current_duty_and_every_grid_an_officer(seeded):
    now = timezone.now()
    held = set(Duty.objects.valid_at(now).values_list("role", flat=True))
    assert held == set(Role.values)
    covered = set(Duty.objects.valid_at(now).filter(role=Role.GRID_OFFICER)
                  .values_list("grid", flat=True))
    # One staffing gap on purpose: the last grid's officer left a week ago (dashboard, digest).
    gaps = set(Grid.objects.values_list("pk", flat=True)) - covered
    assert len(gaps) == 1
    assert Duty.objects.filter(role=Role.GRID_OFFICER, grid__in=gaps,
                               valid_to__lt=now).exists()


def test_every_workflow_status_and_side_path_appears(seeded):
    tasks = _tasks()
    assert set(tasks.values_list("status", flat=True)) == set(Status.values)
    assert tasks.filter(closed_late=True).exists()
    assert tasks.filter(rework_count__gt=0).exists()
    assert tasks.filter(extension_count__gt=0).exists()
    assert tasks.filter(extension_requested_until__isnull=False).exists()
    assert tasks.filter(fixed_on_spot=True).exists()
    assert tasks.filter(status__in=CLOCK_RUNNING, deadline__lt=timezone.now()).exists()
    kinds = set(TaskEvent.objects.values_list("kind", flat=True))
    assert {"reassigned", "held", "resumed", "voided", "extension_refused"} <= kinds
    assert {s for s, _ in Source.choices} - {Source.MEDIA} <= set(
        tasks.values_list("source", flat=True))


def test_the_history_spans_the_last_three_months(seeded):
    now = timezone.now()
    times = _tasks().values_list("reported_at", flat=True)
    assert min(times) >= now - timedelta(days=92)
    assert min(times) <= now - timedelta(days=80)
    assert max(times) <= now


def test_repeats_are_real_and_some_places_are_hotspots(seeded):
    repeats = _tasks().filter(repeat_of__isnull=False).select_related("repeat_of")
    assert repeats.filter(repeat_seq__gte=3).count() >= 3
    for task in repeats:
        first = task.repeat_of
        assert first.category_id == task.category_id
        assert haversine_m(task.lng, task.lat, first.lng, first.lat) <= 50
        assert task.reported_at - first.reported_at <= timedelta(days=30)


def test_every_task_was_made_by_the_services(seeded):
    assert "refused" not in seeded.err
    events = Counter(TaskEvent.objects.values_list("task", flat=True))
    for task in _tasks():
        first = task.events.order_by("created_at", "pk").first()
        assert first.kind == TaskEvent.Kind.REPORTED
        assert first.created_at == task.reported_at
        assert task.version == events[task.pk]
        if task.status not in (Status.REPORTED, Status.VOID):
            assert task.deadline is not None and task.deadline > task.dispatched_at
    # Closing needs a submitted fix, and a submitted fix needs an after photo.
    assert not _tasks().filter(status=Status.CLOSED).exclude(photos__kind="after").exists()


def test_it_prints_the_counts_and_the_demo_logins(seeded):
    for word in ("grids", "tasks", "supervisor", "inspector01", "handler_hw", "grid01",
                 "roadchief01", "leader_east", "admin", "demo12345"):
        assert word in seeded.out


def test_a_second_run_changes_nothing(seeded):
    before = _counts()
    out = io.StringIO()
    call_command("load_seeds", stdout=out)
    assert _counts() == before
    assert "none generated" in out.getvalue()
