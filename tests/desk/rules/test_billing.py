from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.errors import InputError
from desk.rules.billing import (
    BillInput,
    BillMonth,
    compute_bill,
    explain_change,
    fuel_adjustment_unit_for,
    island_unit_for,
    renewable_unit_for,
)

BASE = BillInput(
    contract_power_kw=Decimal(100),
    basic_unit_price=Decimal(1650),
    power_factor=90,
    kwh=30000,
    energy_unit_price=Decimal("17.35"),
    fuel_adjustment_unit=Decimal("-0.83"),
    renewable_unit=Decimal("3.49"),
)


def test_bill_components_and_total() -> None:
    bill = compute_bill(BASE)
    assert bill.basic_charge == 156_750  # 100 kW × 1,650 × (185 − 90) / 100
    assert bill.energy_charge == 520_500  # 30,000 × 17.35
    assert bill.fuel_adjustment == -24_900  # 30,000 × −0.83
    assert bill.renewable_surcharge == 104_700  # 30,000 × 3.49
    assert bill.island_adjustment == 0
    assert bill.total == 757_050  # 156,750 + 520,500 − 24,900 + 104,700


def test_basic_charge_rounds_down_once_in_exact_decimals() -> None:
    inp = replace(
        BASE, contract_power_kw=Decimal("33.3"), basic_unit_price=Decimal("1650.55"), power_factor=100
    )
    # 33.3 × 1,650.55 = 54,963.315; × 0.85 = 46,718.81775 → 46,718
    assert compute_bill(inp).basic_charge == 46_718


def test_negative_fuel_adjustment_rounds_towards_zero() -> None:
    inp = replace(BASE, kwh=12_345)
    # 12,345 × −0.83 = −10,246.35 → −10,246 (the magnitude is rounded down)
    assert compute_bill(inp).fuel_adjustment == -10_246


def test_kyushu_island_adjustment_is_added() -> None:
    unit = island_unit_for(date(2025, 6, 1), "09")
    assert unit == Decimal("0.03")
    bill = compute_bill(replace(BASE, kwh=10_000, island_unit=unit))
    assert bill.island_adjustment == 300  # 10,000 × 0.03
    assert bill.total == (
        bill.basic_charge + bill.energy_charge + bill.fuel_adjustment + bill.renewable_surcharge + 300
    )


def test_island_unit_is_zero_outside_kyushu() -> None:
    assert island_unit_for(date(2025, 6, 1), "03") == 0


def test_power_factor_out_of_range_is_input_error() -> None:
    with pytest.raises(InputError):
        compute_bill(replace(BASE, power_factor=0))
    with pytest.raises(InputError):
        compute_bill(replace(BASE, kwh=-1))


@pytest.mark.parametrize(
    ("month", "unit"),
    [
        (date(2023, 4, 1), "3.45"),  # still FY2022
        (date(2023, 5, 1), "1.40"),  # FY2023 starts in May
        (date(2024, 4, 30), "1.40"),
        (date(2024, 5, 1), "3.49"),
        (date(2026, 4, 1), "3.98"),  # FY2025 until April 2026
    ],
)
def test_renewable_unit_changes_each_may(month: date, unit: str) -> None:
    assert renewable_unit_for(month) == Decimal(unit)


def test_renewable_unit_outside_table_is_input_error() -> None:
    with pytest.raises(InputError, match="再エネ賦課金"):
        renewable_unit_for(date(2019, 4, 1))  # FY2018 is not in the table


def test_fuel_adjustment_sample_unit_is_deterministic() -> None:
    # area 03 base −0.83 + March shift 0.31 + 2025 shift 0.08 = −0.44
    assert fuel_adjustment_unit_for(date(2025, 3, 1), "03") == Decimal("-0.44")
    # area 09 base −1.02 + November shift 0.09 + 2026 shift 0.00 = −0.93
    assert fuel_adjustment_unit_for(date(2026, 11, 1), "09") == Decimal("-0.93")
    # an unlisted year has no year shift: area 01 0.52 + January 0.20 = 0.72
    assert fuel_adjustment_unit_for(date(2031, 1, 1), "01") == Decimal("0.72")


def test_fuel_adjustment_unknown_area_is_input_error() -> None:
    with pytest.raises(InputError):
        fuel_adjustment_unit_for(date(2025, 3, 1), "11")


def _month(month: date, inp: BillInput) -> BillMonth:
    return BillMonth.from_bill(month, inp, compute_bill(inp))


def test_explain_change_splits_usage_and_unit_effects_across_may() -> None:
    april = replace(BASE, fuel_adjustment_unit=Decimal("-0.50"), renewable_unit=Decimal("1.40"))
    may = replace(april, kwh=32_000, fuel_adjustment_unit=Decimal("-0.40"), renewable_unit=Decimal("3.49"))
    changes = {
        c.component: c for c in explain_change(_month(date(2024, 4, 1), april), _month(date(2024, 5, 1), may))
    }
    assert set(changes) == {"energy_charge", "fuel_adjustment", "renewable_surcharge"}  # basic unchanged
    energy = changes["energy_charge"]
    assert energy.delta_yen == 34_700  # 555,200 − 520,500 = 2,000 kWh × 17.35
    assert [(c.code, c.effect_yen) for c in energy.causes] == [("kwh", 34_700)]
    fuel = changes["fuel_adjustment"]
    assert fuel.delta_yen == 2_200  # −12,800 − (−15,000)
    # usage: 2,000 × −0.50 = −1,000; unit: 32,000 × 0.10 = 3,200
    assert [(c.code, c.effect_yen) for c in fuel.causes] == [("kwh", -1_000), ("fuel_unit", 3_200)]
    renewable = changes["renewable_surcharge"]
    assert renewable.delta_yen == 69_680  # 111,680 − 42,000
    # usage: 2,000 × 1.40 = 2,800; unit: 32,000 × (3.49 − 1.40) = 66,880
    assert [(c.code, c.effect_yen) for c in renewable.causes] == [("kwh", 2_800), ("renewable_unit", 66_880)]
    assert renewable.causes[1].may_update


def test_explain_change_names_contract_power_for_the_basic_charge() -> None:
    before = _month(date(2025, 6, 1), BASE)
    after = _month(date(2025, 7, 1), replace(BASE, contract_power_kw=Decimal(120)))
    (change,) = explain_change(before, after)
    assert change.component == "basic_charge"
    assert change.delta_yen == 31_350  # 120 × 1,650 × 0.95 = 188,100 − 156,750
    assert change.causes[0].code == "contract_power"
    assert (change.causes[0].previous, change.causes[0].current) == (Decimal(100), Decimal(120))


def test_explain_change_without_known_inputs_says_unexplained() -> None:
    before = _month(date(2025, 6, 1), BASE)
    after = replace(
        before, month=date(2025, 7, 1), energy_charge=before.energy_charge + 5, total=before.total + 5
    )
    (change,) = explain_change(before, after)
    assert change.causes[0].code == "unexplained"
    assert change.causes[0].effect_yen == 5


@given(
    kwh1=st.integers(0, 200_000),
    kwh2=st.integers(0, 200_000),
    fuel1=st.decimals("-3", "3", places=2),
    fuel2=st.decimals("-3", "3", places=2),
)
def test_explained_deltas_add_up_to_the_total_change(
    kwh1: int, kwh2: int, fuel1: Decimal, fuel2: Decimal
) -> None:
    before = _month(date(2025, 4, 1), replace(BASE, kwh=kwh1, fuel_adjustment_unit=fuel1))
    after = _month(
        date(2025, 5, 1), replace(BASE, kwh=kwh2, fuel_adjustment_unit=fuel2, renewable_unit=Decimal("3.98"))
    )
    changes = explain_change(before, after)
    assert sum(c.delta_yen for c in changes) == after.total - before.total
    for change in changes:
        assert sum(c.effect_yen for c in change.causes) == change.delta_yen
