"""The Swedish legal calendar: which days are working days (vardagar).

Not a working day: Saturday, Sunday, the public holidays of lag (1989:253) om allmänna
helgdagar 1 § (New Year's Day, Epiphany, Good Friday, Easter Monday, 1 May, Ascension
Day, the National Day, Midsummer Day, All Saints' Day, Christmas Day and Boxing Day; the
dates come from the `holidays` library), and the three eves that lag (1930:173) om
beräkning av lagstadgad tid 2 § puts beside them: Midsummer Eve, Christmas Eve and New
Year's Eve. Every working-day count in Bo Kvar goes through this module (DESIGN §4,
"Legal calendar"); handover escalation counts its steps here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


@lru_cache(maxsize=32)
def holidays_of(year: int) -> frozenset[date]:
    """Public holidays of `year` and the eves of lag (1930:173) 2 § (weekdays or not)."""
    # Imported here: the package imports every country's and calendar's module (about
    # 0.2 s of CPU), paid otherwise by every process loading the URLconf; the answer is
    # cached per year, so a process imports it at its first working-day question.
    import holidays

    days = set(holidays.Sweden(years=year))
    # Midsummer Eve is the Friday before Midsummer Day (the Saturday 20-26 June).
    for day in list(days):
        if day.month == 6 and day.weekday() == 5 and 20 <= day.day <= 26:
            days.add(day - timedelta(days=1))
    days.add(date(year, 12, 24))
    days.add(date(year, 12, 31))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays_of(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`th working day after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def statutory_last_day(day: date) -> date:
    """The day an act due by law on `day` may still be done: lag (1930:173) om beräkning
    av lagstadgad tid 2 §: "Infaller den tid, då enligt lag eller särskild författning en
    åtgärd senast ska vidtas, på en söndag, annan allmän helgdag, lördag, midsommarafton,
    julafton eller nyårsafton, får åtgärden vidtas nästa vardag." Every statutory last
    day Bo Kvar computes goes through here."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_on_or_before(day: date) -> date:
    """`day` if it is a working day, else the working day before it (reminders are sent
    on working days, never later than their day)."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is
    before `start` (the working days from `end` up to, not including, `start`).

    Counted by whole weeks (five weekdays each) and the days left over, less the
    holidays and eves on a weekday in between: a handover that has waited two years is
    counted in a few steps, not one per day (the inbox counts every pending row)."""
    if end < start:
        return -working_days_between(end, start)
    weeks, rest = divmod((end - start).days, 7)
    weekdays = weeks * 5
    for i in range(1, rest + 1):
        if (start + timedelta(days=i)).weekday() < 5:
            weekdays += 1
    off = sum(
        1
        for year in range(start.year, end.year + 1)
        for day in holidays_of(year)
        if start < day <= end and day.weekday() < 5
    )
    return weekdays - off
