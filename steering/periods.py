"""Reporting periods: a calendar month, a calendar quarter or a calendar year.

Nothing else is offered. Free ranges of months would let anyone subtract one published
range from another (January–March minus January–February) and recover a cell that
suppression hides for March alone, so `?from=…&to=…` is refused with an error naming
the parameter.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    """A period parameter that cannot be read; `param` names it for the message."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


MONTH = "month"
QUARTER = "quarter"
YEAR = "year"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year: `months` whole months from (start_year, start_month)."""

    kind: str
    start_year: int
    start_month: int
    months: int

    @property
    def start(self) -> date:
        return date(self.start_year, self.start_month, 1)

    @property
    def end(self) -> date:
        year, month = _add_months(self.start_year, self.start_month, self.months - 1)
        return date(year, month, monthrange(year, month)[1])

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.start_year}-{self.start_month:02d}"
        if self.kind == QUARTER:
            return f"{self.start_year}-Q{(self.start_month - 1) // 3 + 1}"
        return f"{self.start_year}"

    def shifted(self, months: int) -> Period:
        year, month = _add_months(self.start_year, self.start_month, months)
        return Period(self.kind, year, month, self.months)

    def previous(self) -> Period:
        return self.shifted(-self.months)

    def year_earlier(self) -> Period:
        return self.shifted(-12)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def month(year: int, month_: int) -> Period:
    return Period(MONTH, year, month_, 1)


def _year(text: str, param: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2100:
        raise PeriodError(
            param, _("%(param)s: the year must be between 2000 and 2100.") % {"param": param}
        )
    return year


def parse_month(text: str, param: str) -> tuple[int, int]:
    match = _MONTH_RE.match(text.strip())
    if not match:
        raise PeriodError(
            param, _("%(param)s: write a month as YYYY-MM, e.g. 2026-10.") % {"param": param}
        )
    month_ = int(match.group(2))
    if not 1 <= month_ <= 12:
        raise PeriodError(param, _("%(param)s: the month must be 01 to 12.") % {"param": param})
    return _year(match.group(1), param), month_


def parse_period(text: str, param: str = "period") -> Period:
    """Read '2026-10' (month), '2026-Q3' (quarter) or '2026' (year)."""
    text = (text or "").strip()
    if match := _QUARTER_RE.match(text):
        quarter = int(match.group(2))
        return Period(QUARTER, _year(match.group(1), param), 3 * quarter - 2, 3)
    if match := _YEAR_RE.match(text):
        return Period(YEAR, _year(match.group(1), param), 1, 12)
    if _MONTH_RE.match(text):
        year, month_ = parse_month(text, param)
        return month(year, month_)
    raise PeriodError(
        param,
        _("%(param)s: write a month (2026-10), a quarter (2026-Q3) or a year (2026).")
        % {"param": param},
    )


def from_query(params, *, default: Period) -> Period:
    """The period a request asks for: ?period=… (month, quarter or year), else `default`.

    A range (?from=…&to=…) is refused: differences of overlapping ranges could reveal
    a suppressed cell.
    """
    for param in ("from", "to"):
        if params.get(param):
            raise PeriodError(
                param,
                _(
                    "%(param)s: ranges of months are not offered, because the difference "
                    "between two ranges could reveal a hidden figure. Choose a month "
                    "(period=2026-10), a quarter (period=2026-Q3) or a year (period=2026)."
                )
                % {"param": param},
            )
    if params.get("period"):
        return parse_period(params["period"])
    return default


def last_full_month(today: date) -> Period:
    year, month_ = _add_months(today.year, today.month, -1)
    return month(year, month_)
