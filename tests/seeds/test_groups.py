"""The seeded groups hold the least each console role needs: 督导组 reads, 局管理员 edits reference
data; the demo has a bureau administrator; an existing 督导组 loses the write permissions the old
seeds gave it (migration 0013), and a second load never gives them back."""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from gridmgmt.models import Duty, Role
from seeds.reference import BUREAU_ADMIN_GROUP, SUPERVISOR_GROUP

pytestmark = pytest.mark.django_db

OURS = ("gridmgmt", "tasks_app")  # the apps of the old 督导组 (before patrols)
CONSOLE = (*OURS, "patrols")  # the apps the seeded groups cover now
REFERENCE = {"region", "grid", "road", "department", "officer", "duty", "category",
             "workcalendar", "workperiod", "calendarday", "evaluationscheme", "campaign",
             "open311client", "serviceattribute", "patrolrule"}
DELETABLE = {"workperiod", "calendarday", "serviceattribute"}


def _perms(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")}


def _every(action: str, models=None, apps=CONSOLE) -> set[str]:
    return {f"{m._meta.app_label}.{action}_{m._meta.model_name}"
            for app in apps for m in django_apps.get_app_config(app).get_models()
            if models is None or m._meta.model_name in models}


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("load_seeds", "--no-tasks", stdout=out)
    return out.getvalue()


def test_the_supervisors_group_only_reads(seeded):
    assert _perms(Group.objects.get(name=SUPERVISOR_GROUP)) == _every("view")


def test_the_bureau_admins_group_edits_reference_data_and_deletes_only_what_nothing_records(
        seeded):
    expected = (_every("view") | _every("add", REFERENCE) | _every("change", REFERENCE)
                | _every("delete", DELETABLE))
    assert _perms(Group.objects.get(name=BUREAU_ADMIN_GROUP)) == expected
    assert "tasks_app.change_task" not in expected and "gridmgmt.delete_duty" not in expected
    # Patrol frequencies are edited, never deleted; patrols and their alerts are records.
    assert {"patrols.add_patrolrule", "patrols.change_patrolrule"} <= expected
    assert not {"patrols.delete_patrolrule", "patrols.change_patrol",
                "patrols.add_patrolalert"} & expected


def test_street_leaders_and_supervisors_are_in_the_reading_group_only(seeded):
    for username in ("supervisor", "leader_west"):
        user = get_user_model().objects.get(username=username)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [SUPERVISOR_GROUP]


def test_the_demo_has_a_bureau_administrator_at_the_district(seeded):
    user = get_user_model().objects.get(username="bureau_admin")
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [BUREAU_ADMIN_GROUP]
    duty = Duty.objects.valid_at(timezone.now()).get(officer__user=user)
    assert (duty.role, duty.region.level) == (Role.BUREAU_ADMIN, "district")
    assert "bureau_admin" in seeded


def _old_supervisor_group() -> Group:
    """督导组 as the seeds made it before: add and change on every model of both apps."""
    group = Group.objects.create(name=SUPERVISOR_GROUP)
    group.permissions.set(Permission.objects.filter(
        Q(content_type__app_label__in=OURS),
        Q(codename__startswith="view_") | Q(codename__startswith="change_")
        | Q(codename__startswith="add_") | Q(codename="delete_duty")))
    return group


def test_the_migration_strips_every_write_from_an_existing_supervisors_group():
    group = _old_supervisor_group()
    other = Group.objects.create(name="其他组")
    other.permissions.set(Permission.objects.filter(codename="change_grid"))
    migration = importlib.import_module("tasks_app.migrations.0013_supervisor_group_view_only")
    migration.strip_writes(django_apps, None)
    assert _perms(group) == _every("view", apps=OURS)
    assert _perms(other) == {"gridmgmt.change_grid"}  # groups an operator made are left alone


def test_a_second_load_never_gives_the_writes_back():
    group = _old_supervisor_group()
    migration = importlib.import_module("tasks_app.migrations.0013_supervisor_group_view_only")
    migration.strip_writes(django_apps, None)
    call_command("load_seeds", "--no-tasks", stdout=io.StringIO())
    assert _perms(group) == _every("view", apps=OURS)
