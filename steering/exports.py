"""CSV and Excel exports of a report: the same suppressed cells as the page."""

from __future__ import annotations

import csv
import io
import re

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from .presenters import row_label, tr


def _safe(value):
    # A spreadsheet runs a cell that starts with = + - @ as a formula; unit names are typed by people.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _cell_value(cell: dict):
    return cell["value"] if cell["value"] is not None else cell["display"]


def _lines(figure: dict) -> list[dict]:
    """The unit rows (with the district's row of what no unit answers for yet), the
    district total and, where there is one, the row of what belongs to no district yet."""
    lines = [row_label(row) for row in figure["rows"]]
    lines.append({**figure["total"], "label": tr(figure["total"]["label"])})
    if figure.get("unassigned"):
        lines.append({**figure["unassigned"], "label": tr(figure["unassigned"]["label"])})
    return lines


def rows(report: dict) -> list[list]:
    """One line per published cell: figure, row, column, value (and people for money)."""
    header = [
        _("Figure"),
        _("Unit"),
        _("Column"),
        _("Value"),
        _("People behind the sum"),
        _("Period"),
    ]
    out = [header]
    period = report["period"]["key"]
    for figure in report["figures"]:
        title = tr(figure["title"])
        columns = [tr(c["label"]) for c in figure["columns"]]
        lines = _lines(figure)
        for line in lines:
            for column, cell in zip(columns, line["cells"], strict=True):
                people = cell.get("people")
                people = "" if "people" not in cell else (people if people is not None else "–")
                out.append([title, line["label"], column, _cell_value(cell), people, period])
    return out


def to_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in rows(report):
        writer.writerow([_safe(v) for v in line])
    return buffer.getvalue()


def _sheet_title(text: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", text)[:28].strip() or "Figure"
    base, n = title, 2
    while title in used:
        title = f"{base[:25]} {n}"
        n += 1
    used.add(title)
    return title


def to_xlsx(report: dict) -> bytes:
    book = Workbook()
    about = book.active
    about.title = _("About")
    about.append([_("District"), report["district"]])
    about.append([_("Period"), report["period"]["key"]])
    about.append([_("Previous period"), report["previous"]["key"]])
    about.append([_("Same period a year earlier"), report["year_earlier"]["key"]])
    about.append([_("Generated"), report["generated_at"]])
    if "version" in report:
        about.append([_("Version"), report["version"]])
    about.append([_("Counts below this are hidden"), report["threshold"]])
    used = {about.title}
    bold = Font(bold=True)
    for figure in report["figures"]:
        sheet = book.create_sheet(_sheet_title(tr(figure["title"]), used))
        sheet.append([tr(figure["title"])])
        sheet["A1"].font = bold
        columns = [tr(c["label"]) for c in figure["columns"]]
        sheet.append([_("Unit"), *columns])
        for cell in sheet[2]:
            cell.font = bold
        lines = _lines(figure)
        for line in lines:
            sheet.append([_safe(line["label"]), *[_cell_value(c) for c in line["cells"]]])
        if figure["kind"] == "money":
            sheet.append([])
            sheet.append([_("People behind the sum")])
            for line in lines:
                sheet.append(
                    [
                        _safe(line["label"]),
                        *[
                            c["people"] if c.get("people") is not None else "–"
                            for c in line["cells"]
                        ],
                    ]
                )
        sheet.append([])
        sheet.append(
            [
                _("Comparison"),
                _("This period"),
                _("Previous period"),
                pgettext("difference", "Change"),
                _("Same period a year earlier"),
                pgettext("difference", "Change"),
            ]
        )
        for col, row in zip(columns, figure["comparison"], strict=True):
            sheet.append(
                [
                    col,
                    _cell_value(row["current"]),
                    _cell_value(row["previous"]),
                    row["previous_change"] if row["previous_change"] is not None else "–",
                    _cell_value(row["year_earlier"]),
                    row["year_change"] if row["year_change"] is not None else "–",
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
