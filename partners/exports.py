"""The annual report as rows, for the page, the CSV and the Excel workbook alike.

Written like the steering exports: semicolons, UTF-8 with a byte-order mark and a decimal
comma for Swedish Excel, and no cell that a spreadsheet could run as a formula (place
names are typed by people; OWASP "CSV injection"). The steering app sits above this one,
so its helpers are not imported; the rule is small enough to state again here.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from .reports import FIGURES, Report, YearFigures

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value):
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def labels() -> dict[str, str]:
    return {
        "visits": _("Visits"),
        "unique_visitors": _("Unique visitors"),
        "share_women": _("Share of women (of visits)"),
        "share_from_elsewhere": _("Share from other districts or municipalities"),
        "openings": _("Days open"),
        "weeks_open": _("Weeks open"),
        "activities": _("Activities held"),
        "activities_per_week": _("Activities per week"),
        "meals": _("Meals served"),
        "cost": _("Cost (SEK)"),
        "cost_per_visit": _("Cost per visit (SEK)"),
        "cost_per_visitor": _("Cost per unique visitor (SEK)"),
    }


def _value(figures: YearFigures, key: str):
    return getattr(figures, key)


def rows(report: Report) -> list[list]:
    """Header, then one line per place and figure, then the places together."""
    names = labels()
    out = [[_("Meeting place"), _("Figure"), str(report.year), str(report.year - 1)]]
    sections = [(p.partner.name, report.by_place[p.pk]) for p in report.places]
    if len(report.places) > 1:
        sections.append((_("All chosen places together"), report.total))
    for name, (current, previous) in sections:
        for key in FIGURES:
            out.append([name, names[key], _value(current, key), _value(previous, key)])
    return out


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    return neutralise(value)


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in rows(report):
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    # Imported here, not at the top: openpyxl costs about 0.4 s of CPU to import, and
    # every process that loads the URLconf (manage.py, each server and worker) imports
    # this module through the views; only a download of the workbook needs it.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Annual report")[:31]
    for r, row in enumerate(rows(report), 1):
        for c, value in enumerate(row, 1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # openpyxl reads a leading "=" as a formula otherwise
                if value.lstrip(" ").startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
            else:
                cell.value = float(value) if isinstance(value, Decimal) else value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
