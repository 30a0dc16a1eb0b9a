"""The built-in Open311 client the public web form files citizens' reports through (source
citizen). Its key is random and thrown away at once: nobody can post through the API as this
client; the web form finds it by name (services.web_client, which also recreates it)."""

import hashlib
import secrets

from django.db import migrations

WEB_CLIENT_NAME = "public-web"


def create(apps, schema_editor):
    Client = apps.get_model("tasks_app", "Open311Client")
    if Client.objects.filter(name=WEB_CLIENT_NAME).exists():
        return
    key = secrets.token_urlsafe(30)
    Client.objects.create(name=WEB_CLIENT_NAME, source="citizen", key_prefix="web",
                          key_hash=hashlib.sha256(key.encode()).hexdigest(), is_active=True)


class Migration(migrations.Migration):

    dependencies = [
        ("public", "0002_closure_mail_outbox"),
        ("tasks_app", "0017_notification_kind_patrol_overdue"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
