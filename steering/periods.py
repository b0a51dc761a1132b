"""Reporting periods: fixed calendar periods only, a month, a quarter, a year, or a year
to date (January to a given month).

Free ranges of months are not offered: every pair of overlapping ranges would be a new
way to difference a hidden count out of the published ones (see docs/statistics.md).
Only completed months are published, so a figure never changes while it is shown.
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
YTD = "ytd"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_YTD_RE = re.compile(r"^(\d{4})-[Yy][Tt][Dd](\d{2})$")


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
        return f"{self.start_year}-YTD{self.months:02d}"

    def shifted(self, months: int) -> Period:
        year, month = _add_months(self.start_year, self.start_month, months)
        return Period(self.kind, year, month, self.months)

    def previous(self) -> Period | None:
        """The period just before; a year to date has none (its comparison is the same
        months a year earlier)."""
        if self.kind == YTD:
            return None
        return self.shifted(-self.months)

    def month_periods(self) -> list[Period]:
        """The calendar months this period is made of, in order."""
        return [
            month(*_add_months(self.start_year, self.start_month, k)) for k in range(self.months)
        ]

    @property
    def last_month(self) -> Period:
        return self.month_periods()[-1]

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


def ytd(year: int, last_month: int) -> Period:
    """January to `last_month`; the same months under their own name where they are one
    (January is a month, January to March the first quarter, to December the year)."""
    if last_month == 1:
        return month(year, 1)
    if last_month == 3:
        return Period(QUARTER, year, 1, 3)
    if last_month == 12:
        return Period(YEAR, year, 1, 12)
    return Period(YTD, year, 1, last_month)


def parse_period(text: str, param: str = "period") -> Period:
    """Read '2026-10' (month), '2026-Q3' (quarter), '2026' (year) or '2026-YTD09'
    (January to September 2026)."""
    text = (text or "").strip()
    if match := _YTD_RE.match(text):
        last = int(match.group(2))
        if not 1 <= last <= 12:
            raise PeriodError(param, _("%(param)s: the month must be 01 to 12.") % {"param": param})
        return ytd(_year(match.group(1), param), last)
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
        _(
            "%(param)s: write a month (2026-10), a quarter (2026-Q3), a year (2026) or a "
            "year to date (2026-YTD09)."
        )
        % {"param": param},
    )


def from_query(params, *, default: Period, today: date) -> Period:
    """The period a request asks for (?period=…), else `default`; only completed periods."""
    for param in ("from", "to"):
        if params.get(param):
            raise PeriodError(
                param,
                _(
                    "%(param)s: ranges of months are not offered; ask for a month, a quarter, "
                    "a year or a year to date with period (e.g. period=2026-YTD09)."
                )
                % {"param": param},
            )
    period = parse_period(params["period"]) if params.get("period") else default
    latest = last_full_month(today)
    if period.end > latest.end:
        raise PeriodError(
            "period",
            _("period: figures are published for completed months only; the latest is %(month)s.")
            % {"month": latest.key},
        )
    return period


def last_full_month(today: date) -> Period:
    year, month_ = _add_months(today.year, today.month, -1)
    return month(year, month_)
