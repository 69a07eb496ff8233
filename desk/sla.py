"""The reply deadline of an inquiry in desk business hours, and how much of it is left.

The target is ``DeskSettings.sla_target_business_hours`` (one business day by default): an inquiry received
on Friday at 16:00 with a 7-hour target is due on Monday at 15:00 (one hour on Friday, six on Monday).
"""

from __future__ import annotations

import datetime as dt

from desk.business_hours import DeskHours, clock_for

__all__ = ["deadline", "is_open", "next_opening", "remaining_seconds"]

_MAX_DAYS = 400  # a target longer than a year of business days is a configuration error


def deadline(start: dt.datetime, business_seconds: float, hours: DeskHours) -> dt.datetime:
    """The instant when ``business_seconds`` of open desk time have passed since ``start`` (aware)."""
    if start.tzinfo is None:
        raise ValueError("business-hours arithmetic needs timezone-aware datetimes")
    zone = hours.zone
    local = start.astimezone(zone)
    left = max(0.0, business_seconds)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if hours.open_day(day):
            for opens, closes in hours.windows:
                window_start = dt.datetime.combine(day, opens, zone)
                window_end = dt.datetime.combine(day, closes, zone)
                begin = max(window_start, local)
                if begin >= window_end:
                    continue
                available = (window_end - begin).total_seconds()
                if left <= available:
                    return (begin + dt.timedelta(seconds=left)).astimezone(start.tzinfo)
                left -= available
        day += dt.timedelta(days=1)
    raise ValueError("the desk is never open within a year of the start")


def remaining_seconds(now: dt.datetime, due: dt.datetime, hours: DeskHours) -> float:
    """Open desk seconds from ``now`` until ``due``; negative (the overdue business time) after it."""
    clock = clock_for(hours)
    if now <= due:
        return clock.seconds_between(now, due)
    return -clock.seconds_between(due, now)


def is_open(at: dt.datetime, hours: DeskHours) -> bool:
    """Whether the desk is open at ``at`` (reminders are only worth sending while someone can act)."""
    local = at.astimezone(hours.zone)
    if not hours.open_day(local.date()):
        return False
    now = local.time()
    return any(opens <= now < closes for opens, closes in hours.windows)


def next_opening(after: dt.datetime, hours: DeskHours, *, days: int = 1) -> dt.datetime:
    """When the desk opens on the ``days``-th business day after ``after``'s date (e.g. "tomorrow morning")."""
    zone = hours.zone
    day = after.astimezone(zone).date()
    found = 0
    for _ in range(_MAX_DAYS):
        day += dt.timedelta(days=1)
        if hours.open_day(day):
            found += 1
            if found >= days:
                return dt.datetime.combine(day, hours.windows[0][0], zone).astimezone(after.tzinfo)
    raise ValueError("the desk is never open within a year")
