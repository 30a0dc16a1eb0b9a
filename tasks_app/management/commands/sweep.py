from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridmgmt import clock
from tasks_app import escalation


class Command(BaseCommand):
    help = "Run one escalation sweep now (or as of --at) and print what crossed."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO-8601 time to sweep as of (default: now)")

    def handle(self, *args, at=None, **options):
        when = clock.now()
        if at:
            try:
                when = datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(f"--at is not an ISO-8601 time: {at}") from exc
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        result = escalation.sweep(when).as_dict()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
