from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.errors import InputError
from desk.rules.calendar import is_bank_holiday
from desk.rules.payment import DueDate, due_date, metering_date, next_due_date
from store.models import PaymentMethod


def _due(metering: date, method: str) -> DueDate:
    return due_date(metering=metering, method=method)


# --- direct debit -----------------------------------------------------------------------------------


def test_debit_metering_day_1_is_the_27th_of_the_same_month() -> None:
    assert _due(date(2025, 6, 1), "debit") == DueDate(date(2025, 6, 27), date(2025, 6, 27), False)  # Fri


def test_debit_on_a_saturday_moves_to_monday() -> None:
    # 2025-09-27 is a Saturday → Monday 2025-09-29
    assert _due(date(2025, 9, 1), "debit") == DueDate(date(2025, 9, 27), date(2025, 9, 29), True)


def test_debit_metering_day_2_is_the_6th_of_next_month_and_skips_golden_week() -> None:
    # nominal 2025-05-06 (Tue) is 振替休日 → 2025-05-07
    assert _due(date(2025, 4, 2), "debit") == DueDate(date(2025, 5, 6), date(2025, 5, 7), True)
    # 2024-05-06 (Mon) is also a substitute holiday → 2024-05-07
    assert _due(date(2024, 4, 2), PaymentMethod.DEBIT).actual == date(2024, 5, 7)


def test_debit_metering_day_2_in_december_goes_into_january() -> None:
    # 2025-12-02 → 2026-01-06 (Tue), after the New Year closure
    assert _due(date(2025, 12, 2), "debit") == DueDate(date(2026, 1, 6), date(2026, 1, 6), False)


def test_debit_metering_day_3_or_later_is_the_27th_of_next_month() -> None:
    assert _due(date(2026, 1, 31), "debit").nominal == date(2026, 2, 27)  # Fri
    assert _due(date(2025, 11, 3), "debit").nominal == date(2025, 12, 27)
    # 2025-12-27 is a Saturday → Monday 2025-12-29 (the New Year closure starts on the 31st)
    assert _due(date(2025, 11, 3), "debit").actual == date(2025, 12, 29)


# --- bank transfer ----------------------------------------------------------------------------------


def test_transfer_metering_day_1_is_the_30th_day_after() -> None:
    # day after metering 06-02 is day 1; June has 30 days → day 30 is 07-01 (Tue)
    assert _due(date(2025, 6, 1), "transfer") == DueDate(date(2025, 7, 1), date(2025, 7, 1), False)


def test_transfer_metering_day_1_in_february_of_leap_and_common_years() -> None:
    # leap: 02-02 is day 1 … 02-29 is day 28, 03-01 day 29, 03-02 day 30 (Thu)
    assert _due(date(2028, 2, 1), "transfer").actual == date(2028, 3, 2)
    # common: 02-28 is day 27, 03-01 day 28, 03-03 day 30 (Wed)
    assert _due(date(2027, 2, 1), "transfer").actual == date(2027, 3, 3)


def test_transfer_metering_day_2_is_the_10th_of_next_month_past_a_holiday_weekend() -> None:
    # 2026-01-10 is a Saturday, 01-11 Sunday, 01-12 成人の日 → Tuesday 2026-01-13
    assert _due(date(2025, 12, 2), "transfer") == DueDate(date(2026, 1, 10), date(2026, 1, 13), True)


def test_transfer_metering_day_3_or_later_is_the_last_day_of_next_month() -> None:
    assert _due(date(2025, 1, 15), "transfer").actual == date(2025, 2, 28)  # Fri
    assert _due(date(2028, 1, 15), "transfer").actual == date(2028, 2, 29)  # leap year, Tue


def test_transfer_deadline_on_dec_31_moves_past_the_new_year_closure() -> None:
    # 2026-12-31 (Thu) … 2027-01-03 (Sun) are bank holidays → Monday 2027-01-04
    assert _due(date(2026, 11, 20), "transfer") == DueDate(date(2026, 12, 31), date(2027, 1, 4), True)


def test_unknown_method_is_input_error() -> None:
    with pytest.raises(InputError, match="支払方法"):
        _due(date(2026, 11, 20), "cash")


# --- next due date ----------------------------------------------------------------------------------


def test_next_due_date_picks_the_first_due_on_or_after_today() -> None:
    # metering 01-31 → due 2026-02-27 (Fri), still ahead on 02-10; 2025-12-31's due 2026-01-27 has passed
    assert next_due_date(metering_day=31, method="debit", today=date(2026, 2, 10)) == (
        date(2026, 1, 31),
        DueDate(date(2026, 2, 27), date(2026, 2, 27), False),
    )


def test_next_due_date_counts_today_as_not_passed() -> None:
    metering, due = next_due_date(metering_day=31, method="debit", today=date(2026, 2, 27))
    assert (metering, due.actual) == (date(2026, 1, 31), date(2026, 2, 27))


def test_metering_day_31_in_february_is_its_last_day() -> None:
    assert metering_date(2026, 2, 31) == date(2026, 2, 28)
    assert metering_date(2028, 2, 30) == date(2028, 2, 29)
    # on 2026-03-01 the next debit is for metering 02-28 → 03-27 (Fri)
    assert next_due_date(metering_day=31, method="debit", today=date(2026, 3, 1))[0] == date(2026, 2, 28)


def test_metering_day_out_of_range_is_input_error() -> None:
    with pytest.raises(InputError, match="計量日"):
        metering_date(2026, 2, 32)


# --- properties -------------------------------------------------------------------------------------


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
    st.sampled_from(list(PaymentMethod)),
)
def test_actual_due_date_is_a_business_day_not_before_nominal(metering: date, method: PaymentMethod) -> None:
    due = due_date(metering=metering, method=method)
    assert not is_bank_holiday(due.actual)
    assert due.actual >= due.nominal > metering
    assert due.shifted == (due.actual != due.nominal)


@given(
    st.integers(1, 31),
    st.sampled_from(list(PaymentMethod)),
    st.dates(min_value=date(2001, 1, 1), max_value=date(2080, 12, 31)),
)
def test_next_due_date_is_the_earliest_not_yet_passed(day: int, method: PaymentMethod, today: date) -> None:
    metering, due = next_due_date(metering_day=day, method=method, today=today)
    assert due.actual >= today
    assert due == due_date(metering=metering, method=method)
    # the previous month's bill is already due before today
    prev_month = metering.replace(day=1) - timedelta(days=1)
    previous = metering_date(prev_month.year, prev_month.month, day)
    assert due_date(metering=previous, method=method).actual < today
