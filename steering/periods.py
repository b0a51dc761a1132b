"""Reporting periods: a month, a quarter, a year or a range of whole months."""

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
RANGE = "range"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """Whole months from (start_year, start_month) for `months` months."""

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
        if self.kind == YEAR:
            return f"{self.start_year}"
        end = self.end
        return f"{self.start_year}-{self.start_month:02d}..{end.year}-{end.month:02d}"

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


def parse_range(start: str, end: str) -> Period:
    """Whole months from `start` to `end`, both YYYY-MM and inclusive."""
    first = parse_month(start, "from")
    last = parse_month(end, "to")
    months = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
    if months < 1:
        raise PeriodError("to", _("to: the last month must not be before the first (from)."))
    if months > 60:
        raise PeriodError("to", _("to: a range may cover at most 60 months."))
    return Period(RANGE, first[0], first[1], months)


def from_query(params, *, default: Period) -> Period:
    """The period a request asks for: ?period=… or ?from=…&to=…, else `default`."""
    has_from, has_to = bool(params.get("from")), bool(params.get("to"))
    if has_from or has_to:
        if params.get("period"):
            raise PeriodError("period", _("period: give either period or from and to, not both."))
        if not has_from:
            raise PeriodError("from", _("from: give the first month as YYYY-MM."))
        if not has_to:
            raise PeriodError("to", _("to: give the last month as YYYY-MM."))
        return parse_range(params["from"], params["to"])
    if params.get("period"):
        return parse_period(params["period"])
    return default


def last_full_month(today: date) -> Period:
    year, month_ = _add_months(today.year, today.month, -1)
    return month(year, month_)
