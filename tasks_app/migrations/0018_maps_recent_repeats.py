"""A partial index on recent repeats for the repeat hotspots (the map's hotspots layer, the
dashboard's and the monthly report's): ``selectors.hotspot_rows`` reads the repeats reported
since the look-back and what they repeat as one range of this index (an index-only scan of
(reported_at, id, repeat_of_id)), instead of every repeat ever through the ``repeat_of``
foreign-key index (the planner's choice without it: 7,900 rows at 100k tasks, 79,000 at 1M).

Written as SQL so the model's state is unchanged (the statement is the same on PostgreSQL and
SQLite); named ``task_repeat_recent`` (the console's dashboard may add its own)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("tasks_app", "0018_scheme_satisfaction"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX task_repeat_recent ON tasks_app_task (reported_at, id, repeat_of_id) "
            "WHERE repeat_of_id IS NOT NULL",
            reverse_sql="DROP INDEX task_repeat_recent",
        ),
    ]
