"""Cancellation (解約): one-year terms, the notice deadline and the penalty (解約違約金).

Implements domain.md § Cancellation (解約) and penalty (解約違約金) and seed 004 P.14:

* Terms run one year from the 契約適用日 and renew each year; a term ends the day before the anniversary
  (applied 2025-08-01 → 2026-07-31). A contract applied on February 29 has its anniversary on March 1 in
  common years. Anniversaries are always counted from the 契約適用日 itself, never chained, so a Feb 29
  contract goes back to Feb 29 in leap years.
* The notice deadline is the same day three months before the cancellation date; a month end maps to a
  month end (June 30 → March 31) and a day missing three months earlier becomes that month's last day
  (May 30 → February 28).
* Penalty = last month's contract power × basic unit price × multiplier, exact decimals, rounded down once.

"Inside a term" (decision, from seed P.14 (2): "契約適用日から1年経過ごとの更新後の契約適用日から1年未満
のご解約"): each renewal counts like a new 契約適用日, so cancelling on any day that is not a term end is
inside a term — in the first year and in every renewed year alike. ``within_first_year`` reports whether it
is the first term.

The table (which row decides):

======================  ===========================  ==========  ==========================
on a term end?          notice ≥ 3 months / reason   multiplier  case
======================  ===========================  ==========  ==========================
yes                     notice in time (any reason)  0           ``term_end_notice_in_time``
yes                     notice late (any reason)     1.5         ``term_end_notice_late``
no                      removal (閉店・移転・撤去)       1.5         ``inside_term_removal``
no                      switch (他社への切替)           3           ``inside_term_switch``
no                      other (e.g. 低圧への変更)       None        ``inside_term_other``
======================  ===========================  ==========  ==========================

Rows 1–2 do not depend on the reason (the seed's table conditions them on the notice only). Inside a term
the reason's row applies whether or not notice was in time (the seed's table does not stack multipliers;
``notice_in_time`` is still reported for the draft). ``None`` means staff decide (domain.md: "the draft states
the facts and asks staff to decide").
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from desk.errors import InputError
from desk.rules.billing import to_yen

__all__ = [
    "CancelReason",
    "Case",
    "PenaltyAssessment",
    "anniversary",
    "assess_cancellation",
    "next_term_end",
    "notice_deadline",
    "term_end_containing",
]

NOTICE_MONTHS = 3


class CancelReason(StrEnum):
    SWITCH = "switch"  # 他の小売電気事業者へ切替
    REMOVAL = "removal"  # 設備撤去 (閉店, 移転, 建物の撤去)
    OTHER = "other"  # anything else, e.g. 低圧への変更: not in the table


class Case(StrEnum):
    TERM_END_NOTICE_IN_TIME = "term_end_notice_in_time"
    TERM_END_NOTICE_LATE = "term_end_notice_late"
    INSIDE_TERM_REMOVAL = "inside_term_removal"
    INSIDE_TERM_SWITCH = "inside_term_switch"
    INSIDE_TERM_OTHER = "inside_term_other"


_MULTIPLIER: dict[Case, Decimal | None] = {
    Case.TERM_END_NOTICE_IN_TIME: Decimal(0),
    Case.TERM_END_NOTICE_LATE: Decimal("1.5"),
    Case.INSIDE_TERM_REMOVAL: Decimal("1.5"),
    Case.INSIDE_TERM_SWITCH: Decimal(3),
    Case.INSIDE_TERM_OTHER: None,
}


@dataclass(frozen=True, slots=True)
class PenaltyAssessment:
    term_end: date  # end of the term that contains the cancellation date
    notice_deadline: date  # last day the written notice may arrive
    on_term_end: bool
    notice_in_time: bool
    within_first_year: bool  # the cancellation falls in the first term after the 契約適用日
    multiplier: Decimal | None  # 0, 1.5, 3, or None where the table does not decide
    penalty_yen: int | None
    case: Case


def _last_day(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def anniversary(applied_on: date, years: int) -> date:
    """``applied_on`` plus whole years; Feb 29 becomes Mar 1 in common years (domain.md § Cancellation)."""
    year = applied_on.year + years
    if applied_on.month == 2 and applied_on.day == 29 and _last_day(year, 2) == 28:
        return date(year, 3, 1)
    return applied_on.replace(year=year)


def term_end_containing(applied_on: date, day: date) -> date:
    """The last day of the one-year term that contains ``day`` (domain.md § Cancellation, decision).

    Terms: [anniversary k, anniversary k+1 − 1 day] for k = 0, 1, 2, …
    """
    if day < applied_on:
        raise InputError(f"日付（{day.isoformat()}）が契約適用日（{applied_on.isoformat()}）より前です。")
    years = day.year - applied_on.year
    # The anniversary in day's year may still be ahead of day: then day is in the previous term.
    if anniversary(applied_on, years) > day:
        years -= 1
    return anniversary(applied_on, years + 1) - timedelta(days=1)


def next_term_end(applied_on: date, today: date) -> date:
    """The next term end on or after ``today`` (the first one when the contract has not started yet)."""
    return term_end_containing(applied_on, max(applied_on, today))


def notice_deadline(cancel_on: date) -> date:
    """The same day three months earlier; month end → month end; a missing day → that month's last day.

    Implements domain.md § Cancellation (decision): June 30 → March 31, May 30 → February 28, July 31 →
    April 30 (seed P.14: 7月末 → 4月末).
    """
    months = cancel_on.year * 12 + (cancel_on.month - 1) - NOTICE_MONTHS
    year, month = divmod(months, 12)
    month += 1
    last = _last_day(year, month)
    if cancel_on.day == _last_day(cancel_on.year, cancel_on.month):
        return date(year, month, last)
    return date(year, month, min(cancel_on.day, last))


def _case(on_term_end: bool, notice_in_time: bool, reason: CancelReason) -> Case:
    if on_term_end:
        return Case.TERM_END_NOTICE_IN_TIME if notice_in_time else Case.TERM_END_NOTICE_LATE
    return {
        CancelReason.REMOVAL: Case.INSIDE_TERM_REMOVAL,
        CancelReason.SWITCH: Case.INSIDE_TERM_SWITCH,
        CancelReason.OTHER: Case.INSIDE_TERM_OTHER,
    }[reason]


def _check(
    applied_on: date, notice_on: date, cancel_on: date, contract_power_kw: Decimal, basic_unit_price: Decimal
) -> None:
    if cancel_on < applied_on:
        raise InputError(
            f"解約日（{cancel_on.isoformat()}）が契約適用日（{applied_on.isoformat()}）より前になっています。"
        )
    if notice_on > cancel_on:
        raise InputError(
            f"解約のお申し出日（{notice_on.isoformat()}）が解約日（{cancel_on.isoformat()}）より後になっています。"
        )
    if not contract_power_kw.is_finite() or contract_power_kw < 0:
        raise InputError("契約電力（kW）は0以上の数値で指定してください。")
    if not basic_unit_price.is_finite() or basic_unit_price < 0:
        raise InputError("基本料金単価は0以上の数値で指定してください。")


def assess_cancellation(
    *,
    applied_on: date,
    notice_on: date,
    cancel_on: date,
    reason: CancelReason | str,
    contract_power_kw: Decimal,
    basic_unit_price: Decimal,
) -> PenaltyAssessment:
    """Which row of the penalty table applies and the penalty in yen (domain.md § Cancellation and penalty).

    ``cancel_on`` is the desired cancellation date (the last day of supply); ``contract_power_kw`` is the
    contract power of the last month. InputError for impossible input.
    """
    try:
        reason = CancelReason(reason)
    except ValueError:
        raise InputError("解約理由は switch・removal・other のいずれかで指定してください。") from None
    _check(applied_on, notice_on, cancel_on, contract_power_kw, basic_unit_price)
    term_end = term_end_containing(applied_on, cancel_on)
    deadline = notice_deadline(cancel_on)
    on_term_end = cancel_on == term_end
    in_time = notice_on <= deadline
    case = _case(on_term_end, in_time, reason)
    multiplier = _MULTIPLIER[case]
    penalty = None if multiplier is None else to_yen(contract_power_kw * basic_unit_price * multiplier)
    return PenaltyAssessment(
        term_end=term_end,
        notice_deadline=deadline,
        on_term_end=on_term_end,
        notice_in_time=in_time,
        within_first_year=cancel_on <= term_end_containing(applied_on, applied_on),
        multiplier=multiplier,
        penalty_yen=penalty,
        case=case,
    )
