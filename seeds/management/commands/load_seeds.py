"""Load the demo district: reference data, then three months of tasks replayed through the services.

Idempotent: reference data is get-or-create by natural key, and tasks are generated only while the
demo district has none, so a second run changes nothing.
"""

from __future__ import annotations

import os
import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from gridmgmt.models import CalendarDay, Department, Duty, Grid, Officer, Region, Road
from seeds import history, meetings
from seeds.reference import DEFAULT_PASSWORD, load_reference
from tasks_app.models import Category, Task, TaskEvent
from tasks_app.workflow import CLOCK_RUNNING, Status


class Command(BaseCommand):
    help = "Load the fictional demo district (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-tasks", action="store_true",
                            help="Load reference data only (places, people, categories, calendar).")

    def handle(self, *args, no_tasks: bool = False, **options) -> None:
        started = time.monotonic()
        password = os.environ.get("SEED_PASSWORD") or DEFAULT_PASSWORD
        now = timezone.now()
        refused: list[str] = []
        # One transaction: a failed run leaves nothing half-loaded, and SQLite commits once.
        with transaction.atomic():
            ref = load_reference(password=password, now=now)
            meetings.seed_scheme()
            in_district = Task.objects.filter(grid__community__parent__parent=ref.district)
            if no_tasks:
                self.stdout.write("Tasks skipped (--no-tasks).")
            elif in_district.exists():
                self.stdout.write("The demo district already has tasks; none generated.")
            else:
                self.stdout.write("Replaying three months of tasks through the services...")
                refused, swept = history.generate(now=now)
                self.stdout.write("Escalation sweep as of now: " + ", ".join(
                    f"{k} {v}" for k, v in swept.items()))
            if not no_tasks:
                published = meetings.seed_meetings(now=now)
                if published:
                    self.stdout.write("Published with their review meetings: "
                                      + ", ".join(published))
        for line in refused:
            self.stderr.write(f"refused: {line}")
        self._summary(ref.district, now)
        self._logins(ref, password)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")

    def _summary(self, district: Region, now) -> None:
        tasks = Task.objects.filter(grid__community__parent__parent=district)
        counts = {
            "streets": Region.objects.filter(parent=district).count(),
            "communities": Region.objects.filter(parent__parent=district).count(),
            "grids": Grid.objects.filter(community__parent__parent=district).count(),
            "roads": Road.objects.count(),
            "departments": Department.objects.count(),
            "officers": Officer.objects.count(),
            "duties": Duty.objects.count(),
            "categories": Category.objects.count(),
            "calendar days": CalendarDay.objects.count(),
            "tasks": tasks.count(),
            "task events": TaskEvent.objects.filter(task__in=tasks).count(),
        }
        self.stdout.write(self.style.MIGRATE_HEADING("Demo district " + district.name))
        for label, n in counts.items():
            self.stdout.write(f"  {label:<16}{n:>6}")
        by_status = {s: tasks.filter(status=s).count() for s in Status.values}
        self.stdout.write("  tasks by status: " + ", ".join(f"{s} {n}" for s, n in
                                                          by_status.items()))
        overdue = tasks.filter(status__in=CLOCK_RUNNING, deadline__lt=now).count()
        self.stdout.write(
            f"  closed late {tasks.filter(closed_late=True).count()}, overdue now {overdue}, "
            f"repeats {tasks.filter(repeat_of__isnull=False).count()} "
            f"(third or later: {tasks.filter(repeat_seq__gte=3).count()}), "
            f"reworked {tasks.filter(rework_count__gt=0).count()}, "
            f"extended {tasks.filter(extension_count__gt=0).count()}, "
            f"extension waiting {tasks.filter(extension_requested_until__isnull=False).count()}, "
            f"fixed on the spot {tasks.filter(fixed_on_spot=True).count()}"
        )

    def _logins(self, ref, password: str) -> None:
        # Existing users keep their password: a demo user may have changed theirs.
        note = (f"password: {password}" if ref.created_users
                else f"existing users kept their passwords; the seeds set {password}")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins ({note})"))
        for login in ref.logins:
            self.stdout.write(f"  {login.username:<14}{login.role}")
        self.stdout.write("  Logins marked console use /admin/; the others work from the phone, "
                          "/m/. README.md says what each role can do.")
        if ref.api_keys:
            self.stdout.write(self.style.MIGRATE_HEADING(
                "Open311 API keys (shown once; a new one is issued in the admin)"))
            for name, source, key in ref.api_keys:
                self.stdout.write(f"  {name} (files as {source}): {key}")
