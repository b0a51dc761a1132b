"""The legal calendar (bokvar.legal_calendar): Saturdays, Sundays, the public holidays of
lag (1989:253) and the eves of lag (1930:173) 2 § are not working days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bokvar.legal_calendar import add_working_days, is_working_day


def test_working_days_skip_weekends_and_swedish_holidays():
    assert not is_working_day(date(2026, 4, 3))  # Good Friday
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(date(2026, 6, 19))  # Midsummer Eve
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert add_working_days(date(2026, 4, 2), 2) == date(2026, 4, 8)
    assert add_working_days(date(2026, 11, 20), 2) == date(2026, 11, 24)


def test_the_eves_of_the_rule_of_lag_are_not_working_days():
    # 2026: Midsummer Eve Friday 19 June, Christmas Eve Thursday, New Year's Eve Thursday.
    assert not is_working_day(date(2026, 12, 24))
    assert not is_working_day(date(2026, 12, 31))
    assert not is_working_day(date(2027, 6, 25))  # Midsummer Eve 2027 (Midsummer Day 26 June)
    assert is_working_day(date(2026, 12, 23)) and is_working_day(date(2026, 6, 18))
    # Wednesday 23 Dec 2026 + 1 working day: past Christmas Eve, Christmas and Boxing Day
    # (a Saturday) and the Sunday, to Monday 28 December.
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_statutory_last_day_moves_to_the_next_weekday():
    """Lag (1930:173) 2 §: a last day on a weekend, holiday or one of the three eves
    moves to the next weekday (vardag); a working day stays."""
    from bokvar.legal_calendar import statutory_last_day

    assert statutory_last_day(date(2025, 12, 24)) == date(2025, 12, 29)  # Christmas Eve
    assert statutory_last_day(date(2025, 6, 20)) == date(2025, 6, 23)  # Midsummer Eve
    assert statutory_last_day(date(2026, 4, 3)) == date(2026, 4, 7)  # Good Friday
    assert statutory_last_day(date(2025, 12, 31)) == date(2026, 1, 2)  # New Year's Eve
    assert statutory_last_day(date(2026, 1, 31)) == date(2026, 2, 2)  # Saturday
    assert statutory_last_day(date(2025, 6, 9)) == date(2025, 6, 9)  # Whit Monday works
    assert statutory_last_day(date(2028, 2, 29)) == date(2028, 2, 29)  # leap day, Tuesday


def test_working_day_on_or_before_and_counting_between():
    from bokvar.legal_calendar import working_day_on_or_before, working_days_between

    assert working_day_on_or_before(date(2026, 12, 27)) == date(2026, 12, 23)
    assert working_day_on_or_before(date(2026, 6, 21)) == date(2026, 6, 18)
    assert working_day_on_or_before(date(2026, 6, 18)) == date(2026, 6, 18)
    # Wed 23 Dec 2026 to Mon 28 Dec: one working day after; back again it is minus one.
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 28)) == 1
    assert working_days_between(date(2026, 12, 28), date(2026, 12, 23)) == -1
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
    span=st.integers(min_value=-1200, max_value=1200),
)
def test_counting_between_is_the_day_by_day_count(start, span):
    """`working_days_between` counts by whole weeks and the holidays in between; it
    agrees with counting day by day across weekends, holidays, eves and year ends."""
    from bokvar.legal_calendar import working_days_between

    end = start + timedelta(days=span)
    low, high = min(start, end), max(start, end)
    by_day = sum(
        1 for i in range(1, (high - low).days + 1) if is_working_day(low + timedelta(days=i))
    )
    assert working_days_between(start, end) == (by_day if end >= start else -by_day)
