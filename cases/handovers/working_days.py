"""Working days in Sweden: Monday to Friday, except public holidays (from the
`holidays` library) and the eves that are days off in practice."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

# Not public holidays by law, but days off in Swedish working life.


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    days = set(holidays.Sweden(years=year))
    # Midsummer Eve is the Friday before Midsummer Day (a Saturday 20-26 June).
    for day in list(days):
        if day.month == 6 and day.weekday() == 5 and 20 <= day.day <= 26:
            days.add(day - timedelta(days=1))
    days.add(date(year, 12, 24))
    days.add(date(year, 12, 31))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`th working day after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
