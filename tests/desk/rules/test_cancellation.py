from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.errors import InputError
from desk.rules.cancellation import (
    CancelReason,
    Case,
    PenaltyAssessment,
    assess_cancellation,
    next_term_end,
    notice_deadline,
    term_end_containing,
)

APPLIED = date(2025, 8, 1)  # first term ends 2026-07-31


def _assess(
    notice_on: date, cancel_on: date, reason: str, kw: str = "33.3", unit: str = "1650"
) -> PenaltyAssessment:
    return assess_cancellation(
        applied_on=APPLIED,
        notice_on=notice_on,
        cancel_on=cancel_on,
        reason=reason,
        contract_power_kw=Decimal(kw),
        basic_unit_price=Decimal(unit),
    )


# --- the four rows of the table, plus the undecided one ---------------------------------------------


def test_term_end_with_notice_in_time_costs_nothing() -> None:
    # cancel 2026-07-31 (term end) → deadline 2026-04-30; notice exactly on the deadline is in time
    result = _assess(date(2026, 4, 30), date(2026, 7, 31), "switch")
    assert result.case is Case.TERM_END_NOTICE_IN_TIME
    assert (result.on_term_end, result.notice_in_time) == (True, True)
    assert result.multiplier == 0
    assert result.penalty_yen == 0
    assert result.notice_deadline == date(2026, 4, 30)


def test_term_end_with_late_notice_costs_one_and_a_half() -> None:
    result = _assess(date(2026, 5, 1), date(2026, 7, 31), "removal")
    assert result.case is Case.TERM_END_NOTICE_LATE
    assert result.multiplier == Decimal("1.5")
    # 33.3 × 1,650 × 1.5 = 82,417.5 → 82,417
    assert result.penalty_yen == 82_417


def test_inside_term_removal_costs_one_and_a_half() -> None:
    result = _assess(date(2026, 1, 10), date(2026, 3, 31), "removal")
    assert result.case is Case.INSIDE_TERM_REMOVAL
    assert result.multiplier == Decimal("1.5")
    assert result.penalty_yen == 82_417  # 33.3 × 1,650 × 1.5 = 82,417.5
    assert result.within_first_year


def test_inside_term_switch_costs_three_times_in_exact_decimals() -> None:
    result = _assess(date(2025, 9, 1), date(2026, 3, 31), "switch")
    assert result.case is Case.INSIDE_TERM_SWITCH
    assert result.multiplier == 3
    # 33.3 × 1,650 × 3 = 164,835 exactly; binary floats give 164,834.99999999997 → 164,834
    assert result.penalty_yen == 164_835
    assert int(33.3 * 1650 * 3) == 164_834


def test_inside_term_other_reason_is_left_to_staff() -> None:
    result = _assess(date(2025, 9, 1), date(2026, 3, 31), "other")
    assert result.case is Case.INSIDE_TERM_OTHER
    assert result.multiplier is None
    assert result.penalty_yen is None
    assert result.term_end == date(2026, 7, 31)


def test_term_end_with_other_reason_follows_the_notice_rows() -> None:
    assert _assess(date(2026, 4, 1), date(2026, 7, 31), "other").multiplier == 0


def test_renewed_year_counts_like_a_new_term() -> None:
    # second term: 2026-08-01 .. 2027-07-31; cancelling in it (not on its end) is inside a term
    inside = _assess(date(2026, 9, 1), date(2027, 3, 31), CancelReason.SWITCH)
    assert inside.case is Case.INSIDE_TERM_SWITCH
    assert not inside.within_first_year
    assert inside.term_end == date(2027, 7, 31)
    on_end = _assess(date(2027, 4, 30), date(2027, 7, 31), CancelReason.SWITCH)
    assert on_end.case is Case.TERM_END_NOTICE_IN_TIME


# --- impossible input -------------------------------------------------------------------------------


def test_cancel_before_applied_is_input_error() -> None:
    with pytest.raises(InputError, match="契約適用日（2025-08-01）より前"):
        _assess(date(2025, 1, 1), date(2025, 7, 31), "switch")


def test_notice_after_cancel_is_input_error() -> None:
    with pytest.raises(InputError, match="解約日"):
        _assess(date(2026, 8, 1), date(2026, 7, 31), "switch")


def test_negative_contract_power_is_input_error() -> None:
    with pytest.raises(InputError, match="契約電力"):
        _assess(date(2026, 4, 1), date(2026, 7, 31), "switch", kw="-1")


def test_unknown_reason_is_input_error() -> None:
    with pytest.raises(InputError, match="解約理由"):
        _assess(date(2026, 4, 1), date(2026, 7, 31), "moving")


# --- term ends ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("applied", "day", "term_end"),
    [
        (date(2025, 8, 1), date(2025, 8, 1), date(2026, 7, 31)),  # the domain's example
        (date(2025, 8, 1), date(2026, 7, 31), date(2026, 7, 31)),
        (date(2025, 8, 1), date(2026, 8, 1), date(2027, 7, 31)),  # renewed term
        (date(2024, 2, 29), date(2024, 3, 1), date(2025, 2, 28)),  # anniversary 2025-03-01
        (date(2024, 2, 29), date(2025, 3, 1), date(2026, 2, 28)),
        (date(2024, 2, 29), date(2027, 3, 1), date(2028, 2, 28)),  # 2028 anniversary is Feb 29 again
        (date(2024, 2, 29), date(2028, 2, 29), date(2029, 2, 28)),
        (date(2023, 3, 1), date(2024, 2, 29), date(2024, 2, 29)),  # leap day is the last day of the term
    ],
)
def test_term_end_containing(applied: date, day: date, term_end: date) -> None:
    assert term_end_containing(applied, day) == term_end


def test_term_end_before_applied_is_input_error() -> None:
    with pytest.raises(InputError):
        term_end_containing(date(2025, 8, 1), date(2025, 7, 31))


def test_next_term_end_before_start_is_the_first_term_end() -> None:
    assert next_term_end(date(2025, 8, 1), date(2025, 6, 1)) == date(2026, 7, 31)
    assert next_term_end(date(2025, 8, 1), date(2026, 11, 23)) == date(2027, 7, 31)


# --- notice deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cancel", "deadline"),
    [
        (date(2026, 7, 31), date(2026, 4, 30)),  # seed: 7月末 → 4月末
        (date(2026, 6, 30), date(2026, 3, 31)),  # month end → month end
        (date(2026, 5, 30), date(2026, 2, 28)),  # Feb 30 does not exist → last day
        (date(2026, 5, 31), date(2026, 2, 28)),
        (date(2028, 5, 29), date(2028, 2, 29)),  # leap year: Feb 29 exists
        (date(2028, 5, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2027, 11, 30)),  # leap Feb 29 is a month end
        (date(2027, 2, 28), date(2026, 11, 30)),  # common Feb 28 is a month end
        (date(2028, 2, 28), date(2027, 11, 28)),  # leap Feb 28 is not
        (date(2027, 1, 15), date(2026, 10, 15)),  # across the year
    ],
)
def test_notice_deadline(cancel: date, deadline: date) -> None:
    assert notice_deadline(cancel) == deadline


# --- properties -------------------------------------------------------------------------------------

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))


@given(DATES)
def test_notice_deadline_is_at_least_89_days_before(cancel: date) -> None:
    # shortest three months: Feb 1 → May 1 in a common year = 28 + 31 + 30 = 89 days
    assert notice_deadline(cancel) <= cancel - timedelta(days=89)
    assert notice_deadline(cancel) >= cancel - timedelta(days=92)


@given(DATES, st.integers(0, 5000))
def test_term_end_containing_is_within_a_year_ahead(applied: date, offset: int) -> None:
    day = applied + timedelta(days=offset)
    end = term_end_containing(applied, day)
    assert day <= end < day + timedelta(days=366)
    # the day after a term end starts a new term whose end is about a year later
    assert term_end_containing(applied, end + timedelta(days=1)) > end + timedelta(days=364)


@given(
    DATES,
    st.integers(0, 2000),
    st.integers(0, 400),
    st.sampled_from(list(CancelReason)),
    st.decimals("0", "5000", places=1),
    st.decimals("0", "3000", places=2),
)
def test_penalty_is_never_negative(
    applied: date, offset: int, notice_gap: int, reason: CancelReason, kw: Decimal, unit: Decimal
) -> None:
    cancel = applied + timedelta(days=offset)
    result = assess_cancellation(
        applied_on=applied,
        notice_on=cancel - timedelta(days=notice_gap),
        cancel_on=cancel,
        reason=reason,
        contract_power_kw=kw,
        basic_unit_price=unit,
    )
    assert result.penalty_yen is None or result.penalty_yen >= 0
    assert (result.multiplier is None) == (result.penalty_yen is None)
