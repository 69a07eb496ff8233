"""Contract power (契約電力): the 実量制 rule, the 500 kW line and the overage charge (契約超過金).

Implements domain.md § Contract power (seed 004 P.13):

* 実量制 (under 500 kW): the month's contract power is the largest max demand (最大電力) of the 12 months
  including that month; reaching 500 kW or more means moving to 協議制.
* 協議制: 契約超過金 = excess demand × basic unit price × 1.5 − power-factor discount, where (decision) the
  discount is (power factor − 85) % of that amount, so a power factor below 85 % turns it into a surcharge.
  Exact decimals, rounded down to the yen once, at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from desk.errors import InputError
from desk.rules.billing import to_yen

__all__ = [
    "KYOGI_THRESHOLD_KW",
    "ContractPowerResult",
    "OverageResult",
    "jitsuryo_contract_power",
    "overage_charge",
]

KYOGI_THRESHOLD_KW = Decimal(500)
_MONTHS = 12
_OVERAGE_FACTOR = Decimal("1.5")
_PF_NEUTRAL = 85
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class ContractPowerResult:
    contract_power_kw: Decimal
    must_move_to_kyogi: bool  # 500 kW or more: the contract has to become 協議制


@dataclass(frozen=True, slots=True)
class OverageResult:
    excess_kw: Decimal  # max demand − contract power, 0 when not exceeded
    base_yen: Decimal  # excess × unit × 1.5, exact (not rounded)
    pf_discount_yen: Decimal  # exact; negative means a surcharge (power factor below 85 %)
    overage_yen: int  # base − discount, rounded down once


def _non_negative(value: Decimal, label: str) -> None:
    if not value.is_finite() or value < 0:
        raise InputError(f"{label}は0以上の数値で指定してください。")


def jitsuryo_contract_power(max_demands: Sequence[Decimal]) -> ContractPowerResult:
    """The 実量制 contract power: the largest of the given monthly max demands (domain.md § Contract power).

    ``max_demands`` are the max demands of the current month and up to 11 months before it (1–12 values;
    fewer than 12 when the contract is younger than a year). Order does not matter.
    """
    if not 1 <= len(max_demands) <= _MONTHS:
        raise InputError(f"最大電力は当月を含む1〜12か月分を指定してください（{len(max_demands)}件でした）。")
    for value in max_demands:
        _non_negative(value, "最大電力（kW）")
    power = max(max_demands)
    return ContractPowerResult(contract_power_kw=power, must_move_to_kyogi=power >= KYOGI_THRESHOLD_KW)


def overage_charge(
    *, contract_power_kw: Decimal, max_demand_kw: Decimal, basic_unit_price: Decimal, power_factor: int
) -> OverageResult:
    """契約超過金 = excess × basic unit price × 1.5 − (power factor − 85) % of that amount.

    Implements domain.md § Contract power (協議制). No excess → everything 0.
    """
    _non_negative(contract_power_kw, "契約電力（kW）")
    _non_negative(max_demand_kw, "最大電力（kW）")
    _non_negative(basic_unit_price, "基本料金単価")
    if not 1 <= power_factor <= 100:
        raise InputError("力率は1〜100(%)で指定してください。")
    excess = max(max_demand_kw - contract_power_kw, Decimal(0))
    base = excess * basic_unit_price * _OVERAGE_FACTOR
    discount = base * (power_factor - _PF_NEUTRAL) / _HUNDRED
    return OverageResult(
        excess_kw=excess, base_yen=base, pf_discount_yen=discount, overage_yen=to_yen(base - discount)
    )
