from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tasks_app import exports
from tasks_app.evaluation import LEVELS, month_bounds


class Command(BaseCommand):
    help = "Compute the monthly evaluation and print it or write it as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--level", choices=LEVELS, help="one level (default: all)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--out", help="file to write (default: standard output; CSV only)")
        parser.add_argument("--language", default=None, help="zh-hans (default) or en")

    def handle(self, *args, month, level, format, out, language, **options):
        try:
            month_bounds(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
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
