"""Reply deadlines in desk business hours (9:00–12:00 and 13:00–17:00 on bank business days, Tokyo)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from desk.business_hours import DeskHours
from desk.sla import deadline, remaining_seconds

TOKYO = ZoneInfo("Asia/Tokyo")
HOURS = DeskHours()
DAY = 7 * 3600.0


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def test_a_morning_inquiry_is_due_the_next_business_morning() -> None:
    # Tuesday 2026-11-24 10:00: 2 h today before lunch, 4 h after, 1 h on Wednesday.
    assert deadline(tokyo(2026, 11, 24, 10, 0), DAY, HOURS) == tokyo(2026, 11, 25, 10, 0)


def test_friday_evening_waits_for_monday_and_skips_the_lunch_break() -> None:
    # Friday 2026-11-27 18:30 (closed) → the clock starts Monday 11-30 at 9:00; 7 h is 17:00 with lunch.
    assert deadline(tokyo(2026, 11, 27, 18, 30), DAY, HOURS) == tokyo(2026, 11, 30, 17, 0)
    assert deadline(tokyo(2026, 11, 30, 11, 30), 3600.0, HOURS) == tokyo(2026, 11, 30, 13, 30)


def test_national_holidays_and_new_year_are_not_business_days() -> None:
    # Monday 2026-11-23 is Labour Thanksgiving Day: a message that morning counts from Tuesday 9:00.
    assert deadline(tokyo(2026, 11, 23, 9, 30), 3600.0, HOURS) == tokyo(2026, 11, 24, 10, 0)
    # Dec 31 – Jan 3 are closed; 2027-01-04 is a Monday.
    assert deadline(tokyo(2026, 12, 30, 16, 0), DAY, HOURS) == tokyo(2027, 1, 4, 16, 0)


def test_time_left_counts_business_time_and_is_negative_when_overdue() -> None:
    due = tokyo(2026, 11, 25, 10, 0)
    assert remaining_seconds(tokyo(2026, 11, 24, 16, 0), due, HOURS) == 2 * 3600
    assert remaining_seconds(tokyo(2026, 11, 24, 20, 0), due, HOURS) == 3600  # the evening is not counted
    assert remaining_seconds(tokyo(2026, 11, 25, 14, 0), due, HOURS) == -3 * 3600
