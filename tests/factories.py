"""Factories for the domain, in one place. Geometry is plain squares, easy to reason about."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridmgmt.models import Department, Duty, Grid, Officer, Region, Road
from tasks_app.models import Category

ORIGIN = (120.0, 30.0)
CELL = 0.01  # degrees; about 960 m east-west and 1.1 km north-south at 30°N


def square(col: int, row: int, size: float = CELL) -> dict:
    x0, y0 = ORIGIN[0] + col * size, ORIGIN[1] + row * size
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def cell_centre(col: int, row: int) -> tuple[float, float]:
    return ORIGIN[0] + (col + 0.5) * CELL, ORIGIN[1] + (row + 0.5) * CELL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Hashed when the user is built, so it is saved with the row (no save after generation).
    password = factory.django.Password("pass-12345")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = Region.Level.DISTRICT


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    code = factory.Sequence(lambda n: f"G{n:04d}")
    name = factory.Sequence(lambda n: f"网格{n}")
    boundary = factory.LazyFunction(lambda: square(0, 0))


class RoadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Road

    code = factory.Sequence(lambda n: f"RD{n:03d}")
    name = factory.Sequence(lambda n: f"道路{n}")
    centre_line = factory.LazyFunction(
        lambda: {"type": "LineString", "coordinates": [[120.0, 30.005], [120.02, 30.005]]}
    )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"DEP{n:02d}")
    name = factory.Sequence(lambda n: f"部门{n}")


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"干部{n}")
    email = factory.LazyAttribute(lambda o: f"{o.user.username}@example.org")


class DutyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Duty

    officer = factory.SubFactory(OfficerFactory)
    valid_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=365))


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"类别{n}")
    kind = Category.Kind.EVENT
    time_limit = 4
    time_unit = Category.TimeUnit.WORK_HOURS
    points = 1
