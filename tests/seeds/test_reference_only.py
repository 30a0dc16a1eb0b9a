"""load_seeds --no-tasks: places, people, categories and the calendar, and nothing else."""

from __future__ import annotations

import io
from datetime import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from gridmgmt.models import CalendarDay, Officer, WorkCalendar
from tasks_app.models import Category, Task


@pytest.mark.django_db
def test_it_loads_reference_data_only_with_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEED_PASSWORD", "another-demo-pass")
    out = io.StringIO()
    call_command("load_seeds", "--no-tasks", stdout=out)

    assert not Task.objects.exists()
    assert "another-demo-pass" in out.getvalue()
    users = get_user_model().objects
    assert users.get(username="grid01").check_password("another-demo-pass")
    assert users.get(username="admin").is_superuser
    assert users.get(username="supervisor").is_staff
    assert not users.get(username="supervisor").is_superuser
    assert not users.get(username="grid01").is_staff
    officer = Officer.objects.get(user__username="handler_hw")
    assert officer.department.code == "HW" and officer.email.endswith("@example.org")

    garbage = Category.objects.get(code="GARBAGE_OVERFLOW")
    assert (garbage.time_limit, garbage.time_unit) == (2, "work_hours")
    manhole = Category.objects.get(code="MANHOLE_MISSING")
    assert (manhole.time_unit, manhole.high_deduction, manhole.default_department.code) == (
        "hours", True, "SZ")

    calendar = WorkCalendar.objects.get(is_default=True)
    assert sorted({(p.start, p.end) for p in calendar.periods.all()}) == [
        (time(8, 30), time(12)), (time(13, 30), time(18))]
    assert set(calendar.periods.values_list("weekday", flat=True)) == {0, 1, 2, 3, 4}
    year = timezone.localdate().year
    years = {d.year for d in CalendarDay.objects.filter(
        calendar=calendar, kind=CalendarDay.Kind.HOLIDAY).values_list("date", flat=True)}
    assert {year - 1, year, year + 1} <= years


@pytest.mark.django_db
def test_a_second_reference_load_adds_nothing():
    call_command("load_seeds", "--no-tasks", stdout=io.StringIO())
    before = (Officer.objects.count(), Category.objects.count(), CalendarDay.objects.count())
    call_command("load_seeds", "--no-tasks", stdout=io.StringIO())
    assert (Officer.objects.count(), Category.objects.count(),
            CalendarDay.objects.count()) == before
