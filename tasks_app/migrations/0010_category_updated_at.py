# Open311's discovery changeset follows the latest change to a category (a service definition).

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks_app', '0009_event_kinds_plan_correction'),
    ]

    operations = [
        migrations.AddField(
            model_name='category',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now,
                                       verbose_name='updated at'),
            preserve_default=False,
        ),
    ]
