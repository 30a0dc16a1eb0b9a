"""The default patrol frequencies (DESIGN.md: main roads daily; grids every two days). Bureau
administrators change them in the console; a rerun adds nothing."""

from django.db import migrations

DEFAULTS = {"road": 24, "grid": 48}


def seed(apps, schema_editor):
    PatrolRule = apps.get_model("patrols", "PatrolRule")
    for kind, hours in DEFAULTS.items():
        if not PatrolRule.objects.filter(applies_to=kind, road__isnull=True, grid__isnull=True,
                                         region__isnull=True).exists():
            PatrolRule.objects.create(applies_to=kind, every_hours=hours)


class Migration(migrations.Migration):

    dependencies = [("patrols", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
