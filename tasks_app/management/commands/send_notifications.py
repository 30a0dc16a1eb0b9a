from __future__ import annotations

from django.core.management.base import BaseCommand

from tasks_app import notify


class Command(BaseCommand):
    help = "Send the pending notifications of the outbox now and print the counts."

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true",
                            help="create today's digests first")

    def handle(self, *args, digest=False, **options):
        if digest:
            self.stdout.write(f"digests={notify.create_digests()}")
        total = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
        while True:
            counts = notify.send_pending()
            for key, value in counts.items():
                total[key] += value
            if not sum(counts.values()):
                break
        self.stdout.write(" ".join(f"{k}={v}" for k, v in total.items()))
