"""Bank business days in Japan (domain.md § Payment: "Bank holidays: Saturdays, Sundays, national
holidays, Dec 31 – Jan 3").

National and substitute holidays (振替休日) and citizens' holidays (国民の休日) come from the maintained
``holidays`` library, so new holidays arrive with a library upgrade instead of a code change.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

# The package loads every country's calendar (~0.2 s) on first use: importing it with this module keeps
# that off the first message that needs a bank day.
from holidays.countries.japan import Japan

__all__ = ["is_bank_holiday", "is_business_day", "next_business_day"]

# Banks close for the New Year period (年末年始) although only Jan 1 is a national holiday.
_NEW_YEAR_CLOSURE = frozenset({(12, 31), (1, 1), (1, 2), (1, 3)})


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> frozenset[date]:
    # One frozen set per year: cheap membership tests and no shared mutable state between threads.
    return frozenset(Japan(years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """True on Saturdays, Sundays, Japanese national/substitute holidays and Dec 31 – Jan 3.

    Implements domain.md § Payment (bank holidays).
    """
    if day.weekday() >= 5:
        return True
    if (day.month, day.day) in _NEW_YEAR_CLOSURE:
        return True
    return day in _national_holidays(day.year)


def is_business_day(day: date) -> bool:
    """The opposite of :func:`is_bank_holiday` (domain.md § Payment)."""
    return not is_bank_holiday(day)


def next_business_day(day: date) -> date:
    """``day`` itself when banks are open, else the first business day after it.

    Implements domain.md § Payment: "a bank holiday moves it to the next business day" (decision).
    """
    while is_bank_holiday(day):
        day += timedelta(days=1)
    return day
