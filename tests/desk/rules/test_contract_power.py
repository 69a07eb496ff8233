from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.errors import InputError
from desk.rules.contract_power import jitsuryo_contract_power, overage_charge


def _kw(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_contract_power_is_the_largest_of_twelve_months() -> None:
    demands = _kw("310", "322", "298", "355", "401", "480", "472", "390", "350", "330", "320", "300")
    result = jitsuryo_contract_power(demands)
    assert result.contract_power_kw == Decimal(480)
    assert not result.must_move_to_kyogi


def test_499_9_kw_stays_jitsuryo() -> None:
    assert not jitsuryo_contract_power(_kw("499.9", "300")).must_move_to_kyogi


def test_500_kw_must_move_to_kyogi() -> None:
    result = jitsuryo_contract_power(_kw("300", "500"))
    assert result.contract_power_kw == Decimal(500)
    assert result.must_move_to_kyogi


def test_fewer_than_twelve_months_are_accepted() -> None:
    assert jitsuryo_contract_power(_kw("123.4")).contract_power_kw == Decimal("123.4")


@pytest.mark.parametrize("count", [0, 13])
def test_wrong_number_of_months_is_input_error(count: int) -> None:
    with pytest.raises(InputError, match="12か月"):
        jitsuryo_contract_power([Decimal(100)] * count)


def test_negative_max_demand_is_input_error() -> None:
    with pytest.raises(InputError, match="最大電力"):
        jitsuryo_contract_power(_kw("100", "-1"))


def _overage(pf: int, max_kw: str = "540", unit: str = "1650") -> int:
    return overage_charge(
        contract_power_kw=Decimal(500),
        max_demand_kw=Decimal(max_kw),
        basic_unit_price=Decimal(unit),
        power_factor=pf,
    ).overage_yen


def test_overage_at_power_factor_85_has_no_discount() -> None:
    result = overage_charge(
        contract_power_kw=Decimal(500),
        max_demand_kw=Decimal(540),
        basic_unit_price=Decimal(1650),
        power_factor=85,
    )
    assert result.excess_kw == Decimal(40)
    assert result.base_yen == Decimal(99_000)  # 40 × 1,650 × 1.5
    assert result.pf_discount_yen == 0
    assert result.overage_yen == 99_000


def test_overage_above_85_is_discounted() -> None:
    assert _overage(90) == 94_050  # 99,000 − 5 % (4,950)


def test_overage_below_85_is_a_surcharge() -> None:
    assert _overage(80) == 103_950  # 99,000 + 5 % (4,950)


def test_overage_rounds_down_once_at_the_end() -> None:
    # excess 1 × 667.4 × 1.5 = 1,001.1; discount 15 % = 150.165; 1,001.1 − 150.165 = 850.935 → 850
    # (rounding each part first would give 1,001 − 150 = 851)
    assert _overage(100, max_kw="501", unit="667.4") == 850


def test_no_excess_no_overage() -> None:
    result = overage_charge(
        contract_power_kw=Decimal(500),
        max_demand_kw=Decimal(480),
        basic_unit_price=Decimal(1650),
        power_factor=70,
    )
    assert (result.excess_kw, result.overage_yen) == (Decimal(0), 0)


def test_power_factor_out_of_range_is_input_error() -> None:
    with pytest.raises(InputError, match="力率"):
        _overage(101)


@given(
    st.decimals("0", "5000", places=1),
    st.decimals("0", "5000", places=1),
    st.decimals("0", "3000", places=2),
    st.integers(1, 100),
)
def test_overage_is_never_negative(contract: Decimal, demand: Decimal, unit: Decimal, pf: int) -> None:
    result = overage_charge(
        contract_power_kw=contract, max_demand_kw=demand, basic_unit_price=unit, power_factor=pf
    )
    assert result.overage_yen >= 0
    assert (result.overage_yen == 0) or demand > contract
