"""The legal calendar (bokvar.legal_calendar): Saturdays, Sundays, the public holidays of
lag (1989:253) and the eves of lag (1930:173) 2 § are not working days."""

from __future__ import annotations

from datetime import date

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
