"""The seeded 督导组 group used to hold add and change on every model of both apps, so a street
leader could give himself a district supervisor's duty in the admin and with it every task of the
district, rewrite officers' e-mail addresses, category limits and points, and the scheme of the
ranking he is judged by. The seeds now make it read-only, but ``load_seeds`` never overwrites an
existing group (an operator may have tuned it): so this migration removes, from an existing
督导组, every add, change and delete permission on the models of both apps, reference data and
the rest alike. Editing reference data is the 局管理员 group's (bureau administrators), and
authority still decides on top of any group."""

from __future__ import annotations

from django.db import migrations
from django.db.models import Q

GROUP = "督导组"


def strip_writes(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    writes = Permission.objects.filter(
        Q(content_type__app_label__in=["gridmgmt", "tasks_app"]),
        Q(codename__startswith="add_") | Q(codename__startswith="change_")
        | Q(codename__startswith="delete_"))
    group.permissions.remove(*writes)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("gridmgmt", "0002_bureau_admin_role"),
        ("tasks_app", "0012_event_kind_call_linked"),
    ]

    # Not reversed: giving the group its write permissions back would reopen the hole.
    operations = [migrations.RunPython(strip_writes, migrations.RunPython.noop)]
