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


@pytest.mark.django_db
def test_the_hotline_and_the_evaluation_platform_get_open311_keys_once(client):
    """Others' finds arrive through Open311 clients whose source the bureau fixed: the printed
    key files a request as a hotline call, and a second load issues no new key."""
    from tasks_app.models import Open311Client, Source

    out = io.StringIO()
    call_command("load_seeds", "--no-tasks", stdout=out)
    clients = {c.name: c.source for c in Open311Client.objects.all()}
    assert clients == {"12345 市民服务热线": Source.HOTLINE,
                       "城市管理第三方测评平台": Source.THIRD_PARTY}
    line = next(x for x in out.getvalue().splitlines() if "市民服务热线 (" in x)
    key = line.rsplit(": ", 1)[1].strip()
    assert Open311Client.objects.get(key_hash=Open311Client.digest(key)).source == Source.HOTLINE
    again = io.StringIO()
    call_command("load_seeds", "--no-tasks", stdout=again)
    assert "Open311 API keys" not in again.getvalue()
    assert Open311Client.objects.count() == 2
