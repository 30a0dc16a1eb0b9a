from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

# name → (job, schedule). Existing entries are left exactly as an admin set them.
EVERY = {"minutes": IntervalSchedule.MINUTES}
DEFAULTS: dict[str, tuple[str, dict[str, Any]]] = {
    "escalation sweep": ("tasks_app.sweep", {"every": 5, "period": "minutes"}),
    "send pending notifications": ("tasks_app.send_notifications",
                                   {"every": 1, "period": "minutes"}),
    "daily digest": ("tasks_app.daily_digest", {"minute": "30", "hour": "8"}),
    "monthly report": ("tasks_app.monthly_report",
                       {"minute": "0", "hour": "9", "day_of_month": "1"}),
    # Roads and grids unpatrolled past their frequency alert their chiefs (once a period).
    "overdue patrol alerts": ("patrols.overdue_alerts", {"every": 15, "period": "minutes"}),
    # Each console user's dashboard trend read into the cache after midnight, when yesterday
    # became a past day: the morning's first views read today alone.
    "dashboard trends": ("tasks_app.warm_dashboards", {"minute": "10", "hour": "0"}),
    # The citizens' closure e-mails a first send (kicked on commit) could not deliver.
    "citizens' closure e-mails": ("public.send_closure_mails", {"every": 5, "period": "minutes"}),
}


class Command(BaseCommand):
    help = "Create the default beat schedules; entries that exist are not touched."

    def handle(self, *args, **options):
        for name, (job, spec) in DEFAULTS.items():
            if PeriodicTask.objects.filter(name=name).exists():
                self.stdout.write(f"kept    {name}")
                continue
            if "every" in spec:
                schedule, _ = IntervalSchedule.objects.get_or_create(
                    every=spec["every"], period=EVERY[spec["period"]])
                kwargs = {"interval": schedule}
            else:
                schedule, _ = CrontabSchedule.objects.get_or_create(
                    minute=spec["minute"], hour=spec["hour"], day_of_week="*",
                    day_of_month=spec.get("day_of_month", "*"), month_of_year="*",
                    timezone=settings.TIME_ZONE)
                kwargs = {"crontab": schedule}
            PeriodicTask.objects.create(name=name, task=job, args=json.dumps([]), **kwargs)
            self.stdout.write(f"created {name}")
