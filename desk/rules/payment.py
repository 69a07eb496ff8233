"""Payment due dates: the direct-debit date and the bank-transfer deadline.

Implements domain.md § Payment (seed 004 P.08):

===============  =================================  ==============================================
metering day     direct debit (口座引落)              bank transfer (銀行振込) deadline
===============  =================================  ==============================================
1                the 27th of the same month          the 30th day counting from the day after metering
2                the 6th of the next month           the 10th of the next month
3 or later       the 27th of the next month          the last day of the next month
===============  =================================  ==============================================

A bank holiday (desk.rules.calendar) moves either date to the next business day (for the debit the seed says
"the bank's designated day"; decision: the next business day).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from desk.errors import InputError
from desk.rules.calendar import next_business_day
from store.models import PaymentMethod

__all__ = ["DueDate", "due_date", "metering_date", "next_due_date"]

_DEBIT_DAY_SAME_MONTH = 27
_DEBIT_DAY_2 = 6
_DEBIT_DAY_LATER = 27
_TRANSFER_DAYS_AFTER_METERING = 30
_TRANSFER_DAY_2 = 10


@dataclass(frozen=True, slots=True)
class DueDate:
    nominal: date  # the date the rule gives
    actual: date  # after moving off bank holidays
    shifted: bool  # actual != nominal


def _next_month(day: date, day_of_month: int | None) -> date:
    """A day of the month after ``day``'s; None means its last day."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last = monthrange(year, month)[1]
    return date(year, month, last if day_of_month is None else min(day_of_month, last))


def _method(method: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise InputError("支払方法は debit（口座引落）か transfer（銀行振込）で指定してください。") from None


def _nominal(metering: date, method: PaymentMethod) -> date:
    if method is PaymentMethod.DEBIT:
        if metering.day == 1:
            return metering.replace(day=_DEBIT_DAY_SAME_MONTH)
        return _next_month(metering, _DEBIT_DAY_2 if metering.day == 2 else _DEBIT_DAY_LATER)
    if metering.day == 1:
        # "the 30th day counting from the day after metering": the day after is day 1.
        return metering + timedelta(days=_TRANSFER_DAYS_AFTER_METERING)
    return _next_month(metering, _TRANSFER_DAY_2 if metering.day == 2 else None)


def due_date(*, metering: date, method: PaymentMethod | str) -> DueDate:
    """The debit date or transfer deadline for a bill metered on ``metering`` (domain.md § Payment)."""
    nominal = _nominal(metering, _method(method))
    actual = next_business_day(nominal)
    return DueDate(nominal=nominal, actual=actual, shifted=actual != nominal)


def metering_date(year: int, month: int, metering_day: int) -> date:
    """The metering date in a month; a metering day of 29–31 in a shorter month is its last day (decision)."""
    if not 1 <= metering_day <= 31:
        raise InputError("計量日は1〜31の日付で指定してください。")
    return date(year, month, min(metering_day, monthrange(year, month)[1]))


def next_due_date(*, metering_day: int, method: PaymentMethod | str, today: date) -> tuple[date, DueDate]:
    """The metering date whose (holiday-adjusted) due date is the first on or after ``today``, and that date.

    Implements domain.md § Payment for "when is my next debit / transfer deadline". Metering days 29–31
    fall on the last day of shorter months (decision).
    """
    method = _method(method)
    # Every rule gives a date at most ~2 months after metering, so start two months back.
    months = today.year * 12 + today.month - 1 - 2
    while True:
        year, month0 = divmod(months, 12)
        metering = metering_date(year, month0 + 1, metering_day)
        due = due_date(metering=metering, method=method)
        if due.actual >= today:
            return metering, due
        months += 1
