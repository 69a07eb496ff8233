"""The seed is deterministic, keeps the store's invariants, and always contains the documented demo
customers in their documented states."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.rules.billing import BillInput, compute_bill, fuel_adjustment_unit_for, renewable_unit_for
from desk.rules.payment import due_date
from store.models import ContactEmail, Contract, Customer, Invoice, MonthlyUsage
from store.names import name_key, phone_digits
from store.seed import DEMO_CUSTOMERS, StoreNotEmpty, metering_of, seed_store

TODAY = dt.date(2025, 6, 10)
LAST_MONTH = dt.date(2025, 5, 1)
FIRST_MONTH = dt.date(2023, 6, 1)
DEMO_IDS = len(DEMO_CUSTOMERS)


def _seed(engine: Engine, **options: Any) -> None:
    seed_store(engine, **{"customers": 25, "seed": 7, "today": TODAY, **options})


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("customer", "contact_email", "contract", "monthly_usage", "invoice")
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in tables}


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    _seed(engine)
    return engine


def test_same_options_give_identical_rows(seeded: Engine) -> None:
    before = _dump(seeded)
    _seed(seeded, reset=True)
    assert _dump(seeded) == before
    assert len(before["customer"]) == 25 + DEMO_IDS


def test_another_seed_gives_other_generated_rows_but_the_same_demo_rows(seeded: Engine) -> None:
    before = _dump(seeded)
    _seed(seeded, seed=8, reset=True)
    after = _dump(seeded)
    assert after["customer"][DEMO_IDS:] != before["customer"][DEMO_IDS:]
    assert after["customer"][:DEMO_IDS] == before["customer"][:DEMO_IDS]


def test_seeding_a_filled_store_is_refused_without_reset(seeded: Engine) -> None:
    with pytest.raises(StoreNotEmpty, match="--reset"):
        _seed(seeded)


def test_contracts_option_stops_at_exactly_that_many_contracts(engine: Engine) -> None:
    result = seed_store(engine, customers=0, contracts=40, seed=3, today=TODAY, demo=False)
    with Session(engine) as s:
        assert len(s.exec(select(Contract)).all()) == 40 == result.contracts
        assert len(s.exec(select(MonthlyUsage)).all()) == 40 * 24 == result.usage_rows


def test_identifiers_have_their_formats_and_are_unique(seeded: Engine) -> None:
    with Session(seeded) as s:
        customers = s.exec(select(Customer)).all()
        contracts = s.exec(select(Contract)).all()
        emails = s.exec(select(ContactEmail)).all()
    assert all(re.fullmatch(r"\d{8}", c.customer_no) for c in customers)
    assert all(re.fullmatch(r"EG\d{8}", c.contract_no) for c in contracts)
    assert all(re.fullmatch(r"(0[1-9]|10)\d{20}", c.supply_point_id) for c in contracts)
    assert all(c.supply_point_id[:2] == c.grid_area for c in contracts)
    addresses = [e.email for e in emails]
    assert all(a == a.lower() and re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9.\-]+\.jp", a) for a in addresses)
    assert len(set(addresses)) == len(addresses)
    assert len({c.supply_point_id for c in contracts}) == len(contracts)
    assert all(c.name_key == name_key(c.name) and c.phone_digits == phone_digits(c.phone) for c in customers)
    assert all(1 <= len([e for e in emails if e.customer_id == c.id]) <= 3 for c in customers)


def test_every_contract_has_24_months_ending_last_month(seeded: Engine) -> None:
    months: dict[int, list[dt.date]] = defaultdict(list)
    with Session(seeded) as s:
        for usage in s.exec(select(MonthlyUsage).order_by(col(MonthlyUsage.month))):
            months[usage.contract_id].append(usage.month)
        contract_ids = s.exec(select(Contract.id)).all()
    assert set(months) == set(contract_ids)
    assert all(len(m) == 24 and m[0] == FIRST_MONTH and m[-1] == LAST_MONTH for m in months.values())


def test_scheme_agrees_with_contract_power(seeded: Engine) -> None:
    with Session(seeded) as s:
        contracts = s.exec(select(Contract).where(col(Contract.customer_id) > DEMO_IDS)).all()
        usage = s.exec(select(MonthlyUsage).order_by(col(MonthlyUsage.month))).all()
    by_contract: dict[int | None, list[MonthlyUsage]] = defaultdict(list)
    for row in usage:
        by_contract[row.contract_id].append(row)
    for contract in contracts:
        rows = by_contract[contract.id]
        if contract.scheme == "jitsuryo":
            assert contract.contract_power_kw < 500
            # 実量制: each month's contract power is the largest max demand of the 12 months up to it.
            for i in range(11, len(rows)):
                assert rows[i].contract_power_kw == max(r.max_demand_kw for r in rows[i - 11 : i + 1])
            assert contract.contract_power_kw == rows[-1].contract_power_kw
        else:
            assert contract.scheme == "kyogi" and contract.contract_power_kw >= 500
            assert all(r.max_demand_kw <= r.contract_power_kw for r in rows)
        assert contract.voltage == "high" or contract.contract_power_kw >= 1500


def test_consolidated_billing_only_for_transfer_customers_with_several_contracts(seeded: Engine) -> None:
    with Session(seeded) as s:
        grouped = s.exec(select(Contract).where(col(Contract.consolidated_group).is_not(None))).all()
    groups: dict[str | None, list[Contract]] = defaultdict(list)
    for contract in grouped:
        groups[contract.consolidated_group].append(contract)
    assert groups  # the demo customer 30000005 at least
    for members in groups.values():
        assert len(members) >= 2
        assert {c.payment_method for c in members} == {"transfer"}
        assert len({c.customer_id for c in members}) == 1


def test_bills_are_the_billing_rules_own(seeded: Engine) -> None:
    with Session(seeded) as s:
        contract = s.exec(select(Contract).where(Contract.contract_no == "EG20240124")).one()
        rows = s.exec(select(MonthlyUsage).where(MonthlyUsage.contract_id == contract.id)).all()
    for row in rows:
        bill = compute_bill(
            BillInput(
                contract_power_kw=row.contract_power_kw,
                basic_unit_price=contract.basic_unit_price,
                power_factor=row.power_factor,
                kwh=row.kwh,
                energy_unit_price=contract.energy_unit_price,
                fuel_adjustment_unit=fuel_adjustment_unit_for(row.month, "03"),
                renewable_unit=renewable_unit_for(row.month),
            )
        )
        assert row.total == bill.total and row.basic_charge == bill.basic_charge
        assert row.total == (
            row.basic_charge + row.energy_charge + row.fuel_adjustment + row.renewable_surcharge
        )
    # May 2025 is billed with FY2025's renewable unit, April 2025 with FY2024's (METI: 3.98 / 3.49).
    units = {r.month: r.renewable_unit for r in rows}
    assert (units[dt.date(2025, 5, 1)], units[dt.date(2025, 4, 1)]) == (Decimal("3.98"), Decimal("3.49"))


def test_invoices_cover_the_last_12_months_with_rule_due_dates(seeded: Engine) -> None:
    with Session(seeded) as s:
        contract = s.exec(select(Contract).where(Contract.contract_no == "EG30000061")).one()
        invoices = s.exec(
            select(Invoice).where(Invoice.contract_id == contract.id).order_by(col(Invoice.billing_month))
        ).all()
        totals = {
            u.month: u.total
            for u in s.exec(select(MonthlyUsage).where(MonthlyUsage.contract_id == contract.id))
        }
    assert invoices[0].billing_month == dt.date(2024, 6, 1) and len(invoices) == 12
    assert all(i.amount == totals[i.billing_month] for i in invoices)
    # Metering day 2, bank transfer: May 2025 is read on 2025-05-02 and due on the 10th of the next month.
    last = invoices[-1]
    assert metering_of(billing_month=last.billing_month, metering_day=2) == dt.date(2025, 5, 2)
    assert (
        last.due_date
        == dt.date(2025, 6, 10)
        == due_date(metering=dt.date(2025, 5, 2), method="transfer").actual
    )
    assert not last.paid and invoices[-2].paid


def _demo(engine: Engine, contract_no: str) -> tuple[Contract, list[MonthlyUsage]]:
    with Session(engine) as s:
        contract = s.exec(select(Contract).where(Contract.contract_no == contract_no)).one()
        usage = s.exec(
            select(MonthlyUsage)
            .where(MonthlyUsage.contract_id == contract.id)
            .order_by(col(MonthlyUsage.month))
        ).all()
    return contract, list(usage)


def test_demo_customers_have_their_documented_numbers_and_addresses(seeded: Engine) -> None:
    with Session(seeded) as s:
        for demo in DEMO_CUSTOMERS:
            customer = s.exec(select(Customer).where(Customer.customer_no == demo.customer_no)).one()
            emails = s.exec(select(ContactEmail.email).where(ContactEmail.customer_id == customer.id)).all()
            numbers = s.exec(select(Contract.contract_no).where(Contract.customer_id == customer.id)).all()
            assert customer.name == demo.name
            assert sorted(emails) == sorted(e for e, _ in demo.emails)
            assert sorted(numbers) == sorted(c.contract_no for c in demo.contracts)
    assert DEMO_CUSTOMERS[0].customer_no == "30012345"
    assert DEMO_CUSTOMERS[0].contracts[0].contract_no == "EG20240123"


def test_demo_term_ends_within_four_months(seeded: Engine) -> None:
    contract, _ = _demo(seeded, "EG20240123")
    # today 2025-06-10 → applied 2022-10-01, the term ends 2025-09-30, notice due 2025-06-30.
    assert contract.applied_on == dt.date(2022, 10, 1)
    assert contract.contract_power_kw == Decimal(320) and contract.scheme == "jitsuryo"


def test_demo_power_increase_is_recent_and_visible_in_usage(seeded: Engine) -> None:
    contract, usage = _demo(seeded, "EG30000021")
    assert contract.last_power_increase_on == contract.applied_on == dt.date(2025, 4, 1)
    powers = {u.month: u.contract_power_kw for u in usage}
    assert powers[dt.date(2025, 3, 1)] == Decimal(700) and powers[dt.date(2025, 4, 1)] == Decimal(800)


def test_demo_jitsuryo_over_500_kw_must_move_to_kyogi(seeded: Engine) -> None:
    contract, usage = _demo(seeded, "EG30000031")
    assert contract.scheme == "jitsuryo" and contract.contract_power_kw == Decimal(520)
    peak = max(usage[-12:], key=lambda u: u.max_demand_kw)
    assert (peak.month, peak.max_demand_kw) == (dt.date(2025, 2, 1), Decimal(520))


def test_demo_kyogi_overage_last_month(seeded: Engine) -> None:
    contract, usage = _demo(seeded, "EG30000041")
    assert contract.scheme == "kyogi" and contract.contract_power_kw == Decimal(1000)
    assert usage[-1].month == LAST_MONTH and usage[-1].max_demand_kw == Decimal(1080)
    assert all(u.max_demand_kw <= 1000 for u in usage[:-1])
    assert usage[-1].island_adjustment > 0  # 九州


def test_demo_consolidated_customer_and_leap_day_contract(seeded: Engine) -> None:
    group = [_demo(seeded, f"EG3000005{i}")[0] for i in (1, 2, 3)]
    assert {c.consolidated_group for c in group} == {"G30000005"}
    assert {c.payment_method for c in group} == {"transfer"}
    leap, _ = _demo(seeded, "EG30000061")
    assert leap.applied_on == dt.date(2024, 2, 29)
