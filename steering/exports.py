"""CSV and Excel exports of a report: the same suppressed cells as the page.

The CSV is written for Swedish Excel: semicolons between fields, UTF-8 with a byte-order
mark (without it Excel reads the file as Windows-1252), and a decimal comma. Numbers are
written without thousand separators so that Excel reads them as numbers.

Nothing exported can run as a formula. A spreadsheet treats a cell starting with = + - @
(and, after a tab or a carriage return, anything) as a formula (OWASP: CSV injection), and
unit, district and label texts are typed by people: every text cell that could start one
gets a leading apostrophe in the CSV and is stored as a plain, quote-prefixed string in
the workbook (openpyxl would otherwise store a text starting with "=" as a formula).
"""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .presenters import row_label, tr

if TYPE_CHECKING:
    from openpyxl.cell import Cell

# The first characters a spreadsheet reads as the start of a formula or a command:
# = + - @ and tab, carriage return and line feed (OWASP), and their full-width forms,
# which some spreadsheets normalise.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

COUNT_FORMAT = "#,##0"
MONEY_FORMAT = '#,##0 "kr"'
DECIMAL_FORMAT = "#,##0.0"


def neutralise(value):
    """A text that a spreadsheet could run is prefixed with an apostrophe; numbers and
    other texts pass unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
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
    """One line per published cell: figure, row, column, value (and people behind sums)."""
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
    for item in report.get("key_figures", []):
        out.append(
            [
                _("Key figures"),
                _("District total"),
                tr(item["label"]),
                _cell_value(item["current"]),
                "",
                period,
            ]
        )
    for figure in report["figures"]:
        title = tr(figure["title"])
        columns = [tr(c["label"]) for c in figure["columns"]]
        for line in _lines(figure):
            for column, cell in zip(columns, line["cells"], strict=True):
                people = cell.get("people")
                people = "" if "people" not in cell else (people if people is not None else "–")
                out.append([title, line["label"], column, _cell_value(cell), people, period])
    return out


def _csv_field(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def to_csv(report: dict) -> str:
    """Semicolon-separated, decimal comma, with a byte-order mark: opens in Swedish Excel."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for line in rows(report):
        writer.writerow([_csv_field(v) for v in line])
    return buffer.getvalue()


def _sheet_title(text: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", " ", text)[:28].strip() or "Figure"
    title = title.lstrip("=+-@'") or "Figure"
    base, n = title, 2
    while title in used:
        title = f"{base[:25]} {n}"
        n += 1
    used.add(title)
    return title


def _put(sheet, row: int, column: int, value, *, number_format: str | None = None) -> Cell:
    """Write one cell: a text always as a plain string (never a formula), a number with
    its format."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl reads a leading "=" as a formula otherwise
        if value.lstrip(" ").startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
        if value is not None and number_format:
            cell.number_format = number_format
    return cell


def _append(sheet, values: list, formats: list[str | None] | None = None) -> int:
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for k, value in enumerate(values):
        fmt = formats[k] if formats and k < len(formats) else None
        _put(sheet, row, k + 1, value, number_format=fmt)
    return row


def _format(kind: str) -> str:
    if kind == "money":
        return MONEY_FORMAT
    if kind == "median":
        return DECIMAL_FORMAT
    return COUNT_FORMAT


def to_xlsx(report: dict) -> bytes:
    # Imported here, not at the top: openpyxl costs about 0.4 s of CPU to import, and
    # every process that loads the URLconf imports this module through the views; only
    # a download of the workbook needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    about = book.active
    about.title = _("About")
    _append(about, [_("District"), report["district"]])
    _append(about, [_("Period"), report["period"]["key"]])
    if report.get("previous"):
        _append(about, [_("Previous period"), report["previous"]["key"]])
    _append(about, [_("Same period a year earlier"), report["year_earlier"]["key"]])
    _append(about, [_("Generated"), report["generated_at"]])
    if "version" in report:
        _append(about, [_("Version"), report["version"]])
    _append(about, [_("Counts below this are hidden"), report["threshold"]], [None, COUNT_FORMAT])
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 40
    used = {about.title}
    _protection_sheet(book, report, used)
    bold = Font(bold=True)
    if report.get("key_figures"):
        sheet = book.create_sheet(_sheet_title(_("Key figures"), used))
        head = _append(
            sheet,
            [
                _("Key figure"),
                _("This period"),
                _("Same period a year earlier"),
                pgettext("difference", "Change"),
            ],
        )
        for cell in sheet[head]:
            cell.font = bold
        for item in report["key_figures"]:
            fmt = _format(item["kind"])
            _append(
                sheet,
                [
                    tr(item["label"]),
                    _cell_value(item["current"]),
                    _cell_value(item["year_earlier"]),
                    item["year_change"] / 100 if item["year_change"] is not None else "–",
                ],
                [None, fmt, fmt, "0.0 %"],
            )
        sheet.column_dimensions["A"].width = 42
    for figure in report["figures"]:
        sheet = book.create_sheet(_sheet_title(tr(figure["title"]), used))
        fmt = _format(figure["kind"])
        title = _append(sheet, [tr(figure["title"])])
        sheet.cell(title, 1).font = bold
        columns = [tr(c["label"]) for c in figure["columns"]]
        head = _append(sheet, [_("Unit"), *columns])
        for cell in sheet[head]:
            cell.font = bold
        formats = [None] + [("0.0" if c["key"] == "median" else fmt) for c in figure["columns"]]
        lines = _lines(figure)
        for line in lines:
            _append(sheet, [line["label"], *[_cell_value(c) for c in line["cells"]]], formats)
        if figure["kind"] in ("money", "nights"):
            _append(sheet, [])
            _append(sheet, [_("People behind the sum")])
            for line in lines:
                people = [
                    c["people"] if c.get("people") is not None else "–" for c in line["cells"]
                ]
                _append(sheet, [line["label"], *people], [None] + [COUNT_FORMAT] * len(people))
        _append(sheet, [])
        _append(
            sheet,
            [
                _("Comparison"),
                _("This period"),
                _("Previous period"),
                pgettext("difference", "Change"),
                _("Same period a year earlier"),
                pgettext("difference", "Change"),
            ],
        )
        for col, row in zip(columns, figure["comparison"], strict=True):
            _append(
                sheet,
                [
                    col,
                    _cell_value(row["current"]),
                    _cell_value(row["previous"]),
                    row["previous_change"] / 100 if row["previous_change"] is not None else "–",
                    _cell_value(row["year_earlier"]),
                    row["year_change"] / 100 if row["year_change"] is not None else "–",
                ],
                [None, fmt, fmt, "0.0 %", fmt, "0.0 %"],
            )
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _protection_sheet(book, report: dict, used: set[str]) -> None:
    """A sheet that says, in words, how the figures are protected and what the marks mean."""
    from openpyxl.styles import Alignment  # as in to_xlsx: only a download needs it

    from .presenters import protection_sentences

    sheet = book.create_sheet(_sheet_title(_("How figures are protected"), used))
    wrap = Alignment(wrap_text=True, vertical="top")
    for sentence in protection_sentences(report["threshold"]):
        row = _append(sheet, [sentence])
        sheet.cell(row, 1).alignment = wrap
    sheet.column_dimensions["A"].width = 110
