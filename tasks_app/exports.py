"""The evaluation as CSV and as an XLSX fit to print for the review meeting: headers in the
active language (Chinese by default), one sheet per level."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .evaluation import LEVEL_LABELS, Row, evaluate

NO_DATA = _("No data")  # 无数据: a unit with nothing registered or due, not ranked

COLUMNS: list[tuple[str, object, str]] = [  # field, header, number format
    ("rank", _("Rank"), "0"),
    ("name", _("Unit"), "@"),
    ("score", _("Composite score"), "0.00"),
    ("score_change", _("Change from last month"), "+0.00;-0.00;0.00"),
    ("previous_rank", _("Last month's rank"), "0"),
    ("registered", _("Registered"), "0"),
    ("due", _("Due"), "0"),
    ("closed", _("Closed"), "0"),
    ("on_time", _("Closed on time"), "0"),
    ("closed_rate", _("Closure rate"), "0.0%"),
    ("on_time_rate", _("On-time closure rate"), "0.0%"),
    ("rework", _("Rework"), "0"),
    ("rework_rate", _("Rework rate"), "0.0%"),
    ("extended", _("Extended"), "0"),
    ("extension_rate", _("Extension rate"), "0.0%"),
    ("patrol_rate", _("Patrol discovery rate"), "0.0%"),
    ("self_fixed", _("Self-found and fixed on time"), "0"),
    ("self_fixed_rate", _("Self-fixed rate"), "0.0%"),
    ("third_party_rate", _("Third-party discovery rate"), "0.0%"),
    ("rated", _("Citizens' ratings"), "0"),
    ("satisfaction_rate", _("Public satisfaction rate"), "0.0%"),
    ("overdue", _("Overdue"), "0"),
    ("repeats", _("Repeated problems"), "0"),
    ("high_deduction", _("High-deduction problems"), "0"),
    ("points", _("Deduction points"), "0.0"),
]


def cells(row: Row, data: dict | None = None) -> list:
    """The row's values in COLUMNS order; a unit without data says so where its rank and
    score would be. ``data`` is ``row.as_dict()`` when the caller has it already."""
    if data is None:
        data = row.as_dict()
    if not row.has_data:
        data = {**data, "rank": str(NO_DATA), "score": str(NO_DATA)}
    return [data[f] for f, _h, _n in COLUMNS]


def rows_for(month: str, levels: list[str], *, district: int | None = None
             ) -> dict[str, list[Row]]:
    return {level: evaluate(month, level, district=district) for level in levels}


def to_csv(month: str, levels: list[str], *, district: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(_("Month")), str(_("Level"))] + [str(h) for _f, h, _n in COLUMNS])
    for level, rows in rows_for(month, levels, district=district).items():
        for row in rows:
            writer.writerow([month, str(LEVEL_LABELS[level])]
                            + ["" if value is None else value for value in cells(row)])
    return out.getvalue()


def to_xlsx(month: str, levels: list[str], *, district: int | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for level, rows in rows_for(month, levels, district=district).items():
        ws = wb.create_sheet(str(LEVEL_LABELS[level])[:31])
        ws.append([f"{month} {_('Monthly evaluation')} · {LEVEL_LABELS[level]}"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([str(h) for _f, h, _n in COLUMNS])
        for cell in ws[2]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        for row in rows:
            ws.append(cells(row))
        for i, (_f, _h, fmt) in enumerate(COLUMNS, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = 18 if i == 2 else 11
            for cell in ws[letter][2:]:
                cell.number_format = fmt
        ws.freeze_panes = "C3"
        ws.print_title_rows = "2:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
