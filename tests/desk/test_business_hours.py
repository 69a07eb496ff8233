from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.business_hours import (
    DeskHours,
    business_hours_between,
    business_seconds_between,
    open_seconds_before,
)

JST = ZoneInfo("Asia/Tokyo")
HOURS = DeskHours()


def jst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JST)


def test_same_morning_counts_wall_clock_hours() -> None:
    assert business_hours_between(jst(2026, 4, 28, 9, 30), jst(2026, 4, 28, 11, 0), HOURS) == 1.5


def test_lunch_break_is_not_counted() -> None:
    # 11:30-12:00 and 13:00-13:30
    assert business_hours_between(jst(2026, 4, 28, 11, 30), jst(2026, 4, 28, 13, 30), HOURS) == 1.0


def test_arrival_during_lunch_starts_counting_at_13() -> None:
    assert business_hours_between(jst(2026, 5, 7, 12, 15), jst(2026, 5, 7, 14, 0), HOURS) == 1.0


def test_friday_evening_to_monday_morning_skips_the_weekend() -> None:
    # Fri 2026-04-24 16:00-17:00, Mon 04-27 09:00-10:00
    assert business_hours_between(jst(2026, 4, 24, 16), jst(2026, 4, 27, 10), HOURS) == 2.0


def test_golden_week_2026_is_closed() -> None:
    # Fri 5/1 16:00-17:00, then 5/2 Sat, 5/3-5/6 holidays (5/6 substitute), Thu 5/7 09:00-10:00
    assert business_hours_between(jst(2026, 5, 1, 16), jst(2026, 5, 7, 10), HOURS) == 2.0


def test_showa_day_in_mid_week_is_closed() -> None:
    # Tue 4/28 16:00-17:00, Wed 4/29 holiday, Thu 4/30 09:00-10:00
    assert business_hours_between(jst(2026, 4, 28, 16), jst(2026, 4, 30, 10), HOURS) == 2.0


def test_new_year_closure_spans_the_year_boundary() -> None:
    # Wed 2026-12-30 16:00-17:00; Dec 31 - Jan 3 closed; Mon 2027-01-04 09:00-10:30
    assert business_hours_between(jst(2026, 12, 30, 16), jst(2027, 1, 4, 10, 30), HOURS) == 2.5


def test_weekend_arrival_answered_at_opening_waited_nothing() -> None:
    assert business_hours_between(jst(2026, 5, 2, 10), jst(2026, 5, 7, 9), HOURS) == 0.0


def test_full_business_week_is_five_desk_days() -> None:
    assert business_hours_between(jst(2026, 6, 1, 0), jst(2026, 6, 8, 0), HOURS) == 35.0


def test_utc_inputs_are_read_in_desk_time() -> None:
    start = jst(2026, 4, 28, 9).astimezone(dt.UTC)
    end = jst(2026, 4, 28, 12).astimezone(dt.UTC)
    assert business_hours_between(start, end, HOURS) == 3.0


def test_end_before_start_is_zero() -> None:
    assert business_hours_between(jst(2026, 4, 28, 12), jst(2026, 4, 28, 10), HOURS) == 0.0


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        business_hours_between(dt.datetime(2026, 4, 28, 9), jst(2026, 4, 28, 10), HOURS)


def test_custom_windows_from_settings_pairs() -> None:
    hours = DeskHours.from_pairs([(dt.time(10), dt.time(15))])
    assert hours.seconds_per_day == 5 * 3600
    assert business_hours_between(jst(2026, 4, 28, 9), jst(2026, 4, 28, 16), hours) == 5.0


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(ValueError):
        DeskHours.from_pairs([(dt.time(9), dt.time(12)), (dt.time(11), dt.time(13))])


def _brute_force_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Walk in 15-minute steps (all test instants are on the quarter hour)."""
    from desk.rules.calendar import is_business_day

    total, t = 0.0, start
    while t < end:
        local = t.astimezone(JST)
        minutes = local.hour * 60 + local.minute
        if is_business_day(local.date()) and (9 * 60 <= minutes < 12 * 60 or 13 * 60 <= minutes < 17 * 60):
            total += 0.25
        t += dt.timedelta(minutes=15)
    return total


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 24 * 4 * 40), st.integers(0, 24 * 4 * 20))
def test_matches_a_quarter_hour_walk_around_golden_week(start_q: int, length_q: int) -> None:
    start = jst(2026, 4, 15) + dt.timedelta(minutes=15 * start_q)
    end = start + dt.timedelta(minutes=15 * length_q)
    assert business_hours_between(start, end, HOURS) == pytest.approx(_brute_force_hours(start, end))


def test_open_seconds_table_across_new_year_closure() -> None:
    # Mon 12/28 … Wed 12/30 open; 12/31 – 1/3 closed (1/2, 1/3 also a weekend); Mon 1/4, Tue 1/5 open.
    table = open_seconds_before(HOURS, dt.date(2026, 12, 28), dt.date(2027, 1, 5))
    day = 7 * 3600
    assert table == [0, day, 2 * day, 3 * day, 3 * day, 3 * day, 3 * day, 3 * day, 4 * day, 5 * day]


def test_window_seconds_are_seconds_after_midnight() -> None:
    assert HOURS.window_seconds() == ((9 * 3600, 12 * 3600), (13 * 3600, 17 * 3600))


def test_open_seconds_table_refuses_a_reversed_span() -> None:
    with pytest.raises(ValueError):
        open_seconds_before(HOURS, dt.date(2026, 5, 2), dt.date(2026, 5, 1))


@settings(max_examples=40, deadline=None)
@given(st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)), st.integers(0, 800))
def test_open_seconds_table_agrees_with_the_clock(first: dt.date, days: int) -> None:
    last = first + dt.timedelta(days=days)
    table = open_seconds_before(HOURS, first, last)
    assert len(table) == days + 2
    midnight = dt.datetime.combine(first, dt.time(0), tzinfo=JST)
    for i in (0, days // 3, days // 2, days, days + 1):
        assert table[i] == business_seconds_between(midnight, midnight + dt.timedelta(days=i), HOURS)


def test_fingerprint_changes_with_the_windows_and_with_the_calendar() -> None:
    default = DeskHours()
    assert default.fingerprint() == DeskHours().fingerprint()
    longer = DeskHours(windows=((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18))))
    assert longer.fingerprint() != default.fingerprint()
    saturdays = DeskHours(open_day=lambda day: day.weekday() < 6)
    assert saturdays.fingerprint() != default.fingerprint()
