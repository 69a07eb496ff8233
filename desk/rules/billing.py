"""The monthly bill and its month-over-month explanation.

Implements domain.md § Fee calculation: bill = basic charge + energy charge + fuel cost adjustment +
renewable energy surcharge (+ remote-island adjustment in the 九州 area), each component computed in exact
decimals and rounded down to the yen (decision), and the basic charge = contract power × basic unit price ×
(185 − power factor) / 100 (domain.md § Contract power, decision).

Rounding of negative components (a negative fuel adjustment is common): "round down" is applied to the
amount's magnitude, i.e. towards zero (−123.7 円 → −123 円), the way 円未満切り捨て is read on Japanese
bills. Positive amounts are floored as usual.

Unit rates come from ``faq/reference/rates.toml``: the renewable units are METI's published values (later
years are marked placeholders), the fuel-adjustment and island units are marked SAMPLE DATA (decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from functools import cache
from typing import Any

from desk.errors import InputError
from desk.rules import _reference

__all__ = [
    "KYUSHU",
    "Bill",
    "BillChange",
    "BillInput",
    "BillMonth",
    "Cause",
    "compute_bill",
    "explain_change",
    "fuel_adjustment_unit_for",
    "island_unit_for",
    "renewable_unit_for",
    "to_yen",
]

KYUSHU = "09"
_HUNDRED = Decimal(100)
_PF_BASE = Decimal(185)


def to_yen(amount: Decimal) -> int:
    """Round an exact amount down to the yen (towards zero; domain.md § Fee calculation, decision)."""
    return int(amount.to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True, slots=True)
class BillInput:
    contract_power_kw: Decimal
    basic_unit_price: Decimal  # 円/kW・月
    power_factor: int  # percent, 1..100
    kwh: int
    energy_unit_price: Decimal  # 円/kWh
    fuel_adjustment_unit: Decimal  # 円/kWh, may be negative
    renewable_unit: Decimal  # 円/kWh
    island_unit: Decimal = Decimal(0)  # 円/kWh, 九州 only


@dataclass(frozen=True, slots=True)
class Bill:
    basic_charge: int
    energy_charge: int
    fuel_adjustment: int
    renewable_surcharge: int
    island_adjustment: int
    total: int


def compute_bill(inp: BillInput) -> Bill:
    """Each component rounded down to the yen, then summed (domain.md § Fee calculation)."""
    if inp.contract_power_kw < 0 or inp.kwh < 0:
        raise InputError("契約電力と使用量は0以上で指定してください。")
    if not 1 <= inp.power_factor <= 100:
        raise InputError("力率は1〜100(%)で指定してください。")
    kwh = Decimal(inp.kwh)
    basic = to_yen(inp.contract_power_kw * inp.basic_unit_price * (_PF_BASE - inp.power_factor) / _HUNDRED)
    energy = to_yen(kwh * inp.energy_unit_price)
    fuel = to_yen(kwh * inp.fuel_adjustment_unit)
    renewable = to_yen(kwh * inp.renewable_unit)
    island = to_yen(kwh * inp.island_unit)
    return Bill(
        basic_charge=basic,
        energy_charge=energy,
        fuel_adjustment=fuel,
        renewable_surcharge=renewable,
        island_adjustment=island,
        total=basic + energy + fuel + renewable + island,
    )


# --- unit rates -------------------------------------------------------------------------------------


def _fiscal_year(month: date) -> int:
    # The renewable unit year starts in May (domain.md § Fee calculation: "updated every May").
    return month.year if month.month >= 5 else month.year - 1


@cache
def _renewable_table() -> dict[int, Decimal]:
    rows: list[dict[str, Any]] = _reference.load("rates")["renewable"]
    return {
        int(row["fiscal_year"]): _reference.decimal(row["unit"], where=f"renewable {row['fiscal_year']}")
        for row in rows
    }


def renewable_unit_for(month: date) -> Decimal:
    """The 再エネ賦課金 unit (円/kWh) for a billing month; the unit changes each May.

    Implements domain.md § Fee calculation. FY2019–FY2025 are METI's values; later years are placeholders
    marked in rates.toml. InputError for a month outside the table.
    """
    table = _renewable_table()
    fiscal_year = _fiscal_year(month)
    if fiscal_year not in table:
        raise InputError(
            f"{month.year}年{month.month}月の再エネ賦課金単価は登録されていません"
            f"（{min(table)}年5月〜{max(table) + 1}年4月に対応）。"
        )
    return table[fiscal_year]


def fuel_adjustment_unit_for(month: date, area: str) -> Decimal:
    """The fuel-cost-adjustment unit (円/kWh) for a billing month and grid area "01".."10".

    SAMPLE DATA (decision, rates.toml § fuel_adjustment): area base + calendar-month shift + year shift,
    deterministic so seeds and tests are stable. Implements the fuel part of domain.md § Fee calculation.
    """
    table: dict[str, Any] = _reference.load("rates")["fuel_adjustment"]
    base = table["area_base"].get(area)
    if base is None:
        raise InputError(f"エリアコード「{area}」は01〜10のいずれかで指定してください。")
    shift = table["month_shift"][month.month - 1]
    year_shift = table["year_shift"].get(str(month.year), "0")
    return sum(
        (_reference.decimal(v, where="fuel_adjustment") for v in (base, shift, year_shift)), Decimal(0)
    )


def island_unit_for(month: date, area: str) -> Decimal:
    """The remote-island adjustment unit: only the 九州 area ("09") has one (domain.md § Fee calculation).

    SAMPLE DATA (decision, rates.toml § island); ``month`` is accepted so a dated table can replace it.
    """
    del month  # the sample unit does not vary by month
    island: dict[str, Any] = _reference.load("rates")["island"]
    if area != island["area"]:
        return Decimal(0)
    return _reference.decimal(island["unit"], where="island")


# --- month-over-month explanation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BillMonth:
    """One month's bill with the inputs that explain it (None: not known, e.g. from a CSV)."""

    month: date
    kwh: int
    contract_power_kw: Decimal
    fuel_adjustment_unit: Decimal
    renewable_unit: Decimal
    basic_charge: int
    energy_charge: int
    fuel_adjustment: int
    renewable_surcharge: int
    total: int
    island_adjustment: int = 0
    island_unit: Decimal = Decimal(0)
    power_factor: int | None = None
    basic_unit_price: Decimal | None = None
    energy_unit_price: Decimal | None = None

    @classmethod
    def from_bill(cls, month: date, inp: BillInput, bill: Bill) -> BillMonth:
        return cls(
            month=month,
            kwh=inp.kwh,
            contract_power_kw=inp.contract_power_kw,
            fuel_adjustment_unit=inp.fuel_adjustment_unit,
            renewable_unit=inp.renewable_unit,
            basic_charge=bill.basic_charge,
            energy_charge=bill.energy_charge,
            fuel_adjustment=bill.fuel_adjustment,
            renewable_surcharge=bill.renewable_surcharge,
            total=bill.total,
            island_adjustment=bill.island_adjustment,
            island_unit=inp.island_unit,
            power_factor=inp.power_factor,
            basic_unit_price=inp.basic_unit_price,
            energy_unit_price=inp.energy_unit_price,
        )


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a component moved: a code, the input before and after, and the yen it accounts for.

    Codes: ``kwh`` (usage), ``contract_power``, ``power_factor``, ``basic_unit_price``,
    ``energy_unit_price``, ``fuel_unit``, ``renewable_unit`` (``may_update`` True when the month crossed
    into May, METI's yearly update), ``island_unit``, ``unexplained`` (no known input changed).
    """

    code: str
    previous: Decimal
    current: Decimal
    effect_yen: int
    may_update: bool = False


@dataclass(frozen=True, slots=True)
class BillChange:
    """One bill component that changed. ``component`` is a Bill field name (basic_charge, …)."""

    component: str
    previous_yen: int
    current_yen: int
    delta_yen: int
    causes: tuple[Cause, ...]


def _usage_causes(
    prev_kwh: int,
    cur_kwh: int,
    unit_code: str,
    prev_unit: Decimal | None,
    cur_unit: Decimal | None,
    delta: int,
) -> list[Cause]:
    kwh_changed = prev_kwh != cur_kwh
    unit_changed = prev_unit is not None and cur_unit is not None and prev_unit != cur_unit
    kwh_cause = Cause("kwh", Decimal(prev_kwh), Decimal(cur_kwh), delta)
    if kwh_changed and unit_changed and prev_unit is not None and cur_unit is not None:
        # delta = Δkwh × previous unit + current kwh × Δunit; the kWh part is rounded down and the unit
        # part takes the remainder, so the effects add up to the component's yen delta exactly.
        kwh_effect = to_yen(Decimal(cur_kwh - prev_kwh) * prev_unit)
        return [
            Cause("kwh", Decimal(prev_kwh), Decimal(cur_kwh), kwh_effect),
            Cause(unit_code, prev_unit, cur_unit, delta - kwh_effect),
        ]
    if kwh_changed:
        return [kwh_cause]
    if unit_changed and prev_unit is not None and cur_unit is not None:
        return [Cause(unit_code, prev_unit, cur_unit, delta)]
    return [Cause("unexplained", Decimal(0), Decimal(0), delta)]


def _basic_causes(previous: BillMonth, current: BillMonth, delta: int) -> list[Cause]:
    candidates: list[tuple[str, Decimal | None, Decimal | None]] = [
        ("contract_power", previous.contract_power_kw, current.contract_power_kw),
        ("power_factor", _opt(previous.power_factor), _opt(current.power_factor)),
        ("basic_unit_price", previous.basic_unit_price, current.basic_unit_price),
    ]
    changed = [(c, p, n) for c, p, n in candidates if p is not None and n is not None and p != n]
    if not changed:
        return [Cause("unexplained", Decimal(0), Decimal(0), delta)]
    # With several inputs moving at once the yen split is not unique: the whole delta is put on the first
    # changed input and the others are listed with effect 0 (reason codes still name them).
    return [Cause(code, p, n, delta if i == 0 else 0) for i, (code, p, n) in enumerate(changed)]


def _opt(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def explain_change(previous: BillMonth, current: BillMonth) -> list[BillChange]:
    """Which components changed between two months, by how many yen, and why (codes + numbers).

    Implements the "why did this month's amount change" part of domain.md § Fee calculation and the
    ``bill_inquiry`` intent. Unchanged components are omitted; the list follows the bill's order. The
    total's delta is ``current.total - previous.total`` (the sum of the listed deltas).
    """
    may = _fiscal_year(previous.month) != _fiscal_year(current.month)
    changes: list[BillChange] = []

    def add(component: str, prev_yen: int, cur_yen: int, causes: list[Cause]) -> None:
        if prev_yen != cur_yen:
            changes.append(BillChange(component, prev_yen, cur_yen, cur_yen - prev_yen, tuple(causes)))

    basic_delta = current.basic_charge - previous.basic_charge
    add(
        "basic_charge",
        previous.basic_charge,
        current.basic_charge,
        _basic_causes(previous, current, basic_delta),
    )
    for component, unit_code, prev_unit, cur_unit in (
        ("energy_charge", "energy_unit_price", previous.energy_unit_price, current.energy_unit_price),
        ("fuel_adjustment", "fuel_unit", previous.fuel_adjustment_unit, current.fuel_adjustment_unit),
        ("renewable_surcharge", "renewable_unit", previous.renewable_unit, current.renewable_unit),
        ("island_adjustment", "island_unit", previous.island_unit, current.island_unit),
    ):
        prev_yen: int = getattr(previous, component)
        cur_yen: int = getattr(current, component)
        causes = _usage_causes(previous.kwh, current.kwh, unit_code, prev_unit, cur_unit, cur_yen - prev_yen)
        if unit_code == "renewable_unit":
            causes = [
                Cause(c.code, c.previous, c.current, c.effect_yen, may) if c.code == unit_code else c
                for c in causes
            ]
        add(component, prev_yen, cur_yen, causes)
    return changes
