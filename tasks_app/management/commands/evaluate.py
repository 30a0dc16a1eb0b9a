from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tasks_app import exports
from tasks_app.errors import DomainError
from tasks_app.evaluation import LEVELS, check_month, month_bounds
from tasks_app.evaluation_services import evaluation_publish


class Command(BaseCommand):
    help = "Compute the monthly evaluation and print it or write it as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--level", choices=LEVELS, help="one level (default: all)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--out", help="file to write (default: standard output; CSV only)")
        parser.add_argument("--language", default=None, help="zh-hans (default) or en")
        parser.add_argument("--publish", action="store_true",
                            help="freeze the month as published (needs --as)")
        parser.add_argument("--reason", default="", help="why a published month is published "
                            "again (required then)")
        parser.add_argument("--as", dest="username", help="the publishing user's login")

    def handle(self, *args, month, level, format, out, language, publish=False, reason="",
               username=None, **options):
        try:
            month_bounds(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if publish:
            self._publish(month, reason, username)
            return
        try:
            status = check_month(month)  # a future month is refused
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if status == "provisional":
            self.stderr.write(f"{month} is the current month: its figures are provisional.")
        levels = [level] if level else list(LEVELS)
        with translation.override(language or translation.get_language()):
            if format == "xlsx":
                if not out:
                    raise CommandError("--format xlsx needs --out FILE")
                data = exports.to_xlsx(month, levels)
                with open(out, "wb") as fh:
                    fh.write(data)
            else:
                text = exports.to_csv(month, levels)
                if out:
                    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
                        fh.write(text)
                else:
                    sys.stdout.write(text)
        if out:
            self.stderr.write(f"wrote {out}")

    def _publish(self, month: str, reason: str, username: str | None) -> None:
        # Publishing is a person's act, recorded with their name: never anonymous.
        if not username:
            raise CommandError("--publish needs --as USERNAME (a bureau administrator)")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}")
        try:
            publication = evaluation_publish(month=month, actor=user, reason=reason)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"published {publication.month} version {publication.version} "
                          f"({publication.rows.count()} rows) as {username}")
