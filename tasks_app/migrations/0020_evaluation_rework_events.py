"""A partial index on the ``rework`` events for the monthly evaluation (``evaluation._rework``):
without it PostgreSQL read every event of the month by the time index to keep the rework ones
(about 170,000 events for 2,000 at a million tasks: 60-100 ms a month, and the evaluation page
reads two months)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tasks_app", "0019_console_corrected_events"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="taskevent",
            index=models.Index(condition=models.Q(("kind", "rework")), fields=["created_at"],
                               name="event_rework_time"),
        ),
    ]
