from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from desk.rules.calendar import is_bank_holiday, is_business_day, next_business_day


def test_weekend_days_are_bank_holidays() -> None:
    assert is_bank_holiday(date(2025, 6, 7))  # Saturday
    assert is_bank_holiday(date(2025, 6, 8))  # Sunday
    assert not is_bank_holiday(date(2025, 6, 9))  # Monday


def test_new_year_closure_covers_dec31_to_jan3_even_on_weekdays() -> None:
    # 2025-12-31 is a Wednesday, 2026-01-02 a Friday: closed for banks, not national holidays.
    assert is_bank_holiday(date(2025, 12, 31))
    assert is_bank_holiday(date(2026, 1, 2))
    assert is_bank_holiday(date(2026, 1, 3))
    assert is_business_day(date(2025, 12, 30))
    assert is_business_day(date(2026, 1, 5))


def test_golden_week_holidays_are_bank_holidays() -> None:
    # 2025: 4/29 (Tue) 昭和の日, 5/3-5/5, 5/6 (Tue) 振替休日 for 5/4 (Sun).
    assert is_bank_holiday(date(2025, 4, 29))
    assert is_bank_holiday(date(2025, 5, 5))
    assert is_bank_holiday(date(2025, 5, 6))
    assert is_business_day(date(2025, 5, 7))


def test_substitute_holiday_moves_to_next_business_day() -> None:
    # 2025-11-23 (Sun) 勤労感謝の日 → 2025-11-24 (Mon) 振替休日 → next business day Tue 11/25.
    assert next_business_day(date(2025, 11, 23)) == date(2025, 11, 25)


def test_next_business_day_keeps_a_business_day() -> None:
    assert next_business_day(date(2025, 6, 9)) == date(2025, 6, 9)


def test_next_business_day_skips_the_new_year_period() -> None:
    # 2026-12-31 (Thu) .. 2027-01-03 (Sun) closed → Mon 2027-01-04.
    assert next_business_day(date(2026, 12, 31)) == date(2027, 1, 4)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
def test_next_business_day_is_open_and_not_earlier(day: date) -> None:
    result = next_business_day(day)
    assert result >= day
    assert is_business_day(result)
    # No business day is skipped on the way.
    assert all(is_bank_holiday(day + timedelta(days=i)) for i in range((result - day).days))
