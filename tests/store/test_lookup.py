"""Lookups find what customers write, however they write it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.errors import InputError, NotFound
from store.lookup import (
    contracts_of,
    customers_by_email,
    find_contract,
    find_contract_by_supply_point,
    find_customer,
    find_customer_by_email,
    find_customers_by_phone,
    invoices_of,
    load_customer_view,
    new_contact_email,
    new_customer,
    search_customers_by_name,
    usage_of,
)
from store.models import ContactEmail, Contract, Customer, Invoice, MonthlyUsage
from store.names import name_key, normalise_email, parse_contract_no, phone_digits


def _contract(customer_id: int, contract_no: str, supply_point_id: str, **extra: Any) -> Contract:
    fields: dict[str, Any] = {
        "facility_name": "本社工場",
        "grid_area": supply_point_id[:2],
        "contract_power_kw": Decimal("320"),
        "basic_unit_price": Decimal("1650.00"),
        "energy_unit_price": Decimal("16.80"),
        "supply_start": dt.date(2020, 4, 1),
        "applied_on": dt.date(2020, 4, 1),
        "metering_day": 1,
        **extra,
    }
    return Contract(
        customer_id=customer_id, contract_no=contract_no, supply_point_id=supply_point_id, **fields
    )


def _usage(contract_id: int, month: dt.date, kwh: int) -> MonthlyUsage:
    zero = Decimal(0)
    return MonthlyUsage(
        contract_id=contract_id,
        month=month,
        kwh=kwh,
        max_demand_kw=Decimal(300),
        contract_power_kw=Decimal(320),
        fuel_adjustment_unit=zero,
        renewable_unit=zero,
        basic_charge=1,
        energy_charge=2,
        fuel_adjustment=0,
        renewable_surcharge=0,
        total=3,
    )


@pytest.fixture
def store(engine: Engine) -> Engine:
    """Three customers written the way any writer would: through new_customer / new_contact_email."""
    with Session(engine) as s:
        yamada = new_customer(customer_no="30012345", name="株式会社山田製作所", phone="03-1234-5678")
        kawasaki = new_customer(customer_no="30000002", name="川崎精機有限会社", phone="045-987-6543")
        shared = new_customer(customer_no="30000003", name="合同会社みどり電子", phone="")
        s.add_all([yamada, kawasaki, shared])
        s.flush()
        assert yamada.id and kawasaki.id and shared.id
        s.add_all(
            [
                new_contact_email(
                    customer_id=yamada.id, email="Taro.Yamada@Yamada-SS.example.jp", person="山田 太郎"
                ),
                new_contact_email(customer_id=kawasaki.id, email="info@kawasaki.example.jp"),
                # One address registered by two customers (a shared accountant): proves neither.
                new_contact_email(customer_id=kawasaki.id, email="keiri@shared.example.jp"),
                new_contact_email(customer_id=shared.id, email="keiri@shared.example.jp"),
            ]
        )
        first = _contract(yamada.id, "EG20240123", "0300000000000020240123")
        second = _contract(yamada.id, "EG20240124", "0300000000000020240124", facility_name="第二工場")
        other = _contract(kawasaki.id, "EG30000021", "0600000000000030000021")
        s.add_all([first, second, other])
        s.flush()
        assert first.id is not None
        months = [dt.date(2023 + (m // 12), m % 12 + 1, 1) for m in range(30)]  # 2023-01 .. 2025-06
        s.add_all(_usage(first.id, month, 1000 + i) for i, month in enumerate(months))
        s.add_all(
            Invoice(contract_id=first.id, billing_month=m, amount=100 + i, due_date=m.replace(day=27))
            for i, m in enumerate(months[-3:])
        )
        s.commit()
    return engine


def test_name_key_ignores_legal_form_width_and_spaces() -> None:
    variants = [
        "㈱山田製作所",
        "株式会社 山田製作所",
        "(株)山田製作所",
        "（株）山田製作所",
        "山田製作所株式会社",
        "山田製作所 御中",
    ]
    assert {name_key(v) for v in variants} == {"山田製作所"}
    assert name_key("有限会社ＡＢＣ商事") == name_key("ABC商事(有)") == "abc商事"
    assert name_key("髙橋電機") == name_key("高橋電機")


def test_identifiers_are_normalised_or_rejected() -> None:
    assert parse_contract_no("ｅｇ－２０２４０１２３") == "EG20240123"
    assert phone_digits("０３－１２３４－５６７８") == "0312345678"
    assert phone_digits("+81 3-1234-5678") == "0312345678"
    assert normalise_email(" <Taro@Example.JP> ") == "taro@example.jp"
    with pytest.raises(InputError, match="メールアドレス"):
        normalise_email("taro.example.jp")


def test_writers_store_derived_keys(store: Engine) -> None:
    with Session(store) as s:
        customer = s.exec(select(Customer).where(Customer.customer_no == "30012345")).one()
        emails = s.exec(select(ContactEmail.email).where(ContactEmail.customer_id == customer.id)).all()
    assert (customer.name_key, customer.phone_digits) == ("山田製作所", "0312345678")
    assert emails == ["taro.yamada@yamada-ss.example.jp"]


def test_plain_orm_insert_also_fills_keys(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(Customer(customer_no="30000009", name="㈱ 東洋 化学", phone="０６－１１１１－２２２２"))
        s.commit()
        customer = s.exec(select(Customer)).one()
    assert (customer.name_key, customer.phone_digits) == ("東洋化学", "0611112222")


def test_find_contract_accepts_full_width_lower_case_and_hyphen(store: Engine) -> None:
    with Session(store) as s:
        contract = find_contract(session=s, contract_no="ｅｇ－２０２４０１２３")
    assert contract is not None and contract.facility_name == "本社工場"


def test_find_contract_unknown_is_none_and_malformed_is_input_error(store: Engine) -> None:
    with Session(store) as s:
        assert find_contract(session=s, contract_no="EG99999999") is None
        with pytest.raises(InputError, match="契約番号の形式"):
            find_contract(session=s, contract_no="EG123")


def test_find_customer_by_customer_no_with_hyphen_and_full_width(store: Engine) -> None:
    with Session(store) as s:
        customer = find_customer(session=s, customer_no="３００１-２３４５")
        assert customer is not None and customer.name == "株式会社山田製作所"
        assert find_customer(session=s, customer_no="39999999") is None
        with pytest.raises(InputError, match="お客さま番号"):
            find_customer(session=s, customer_no="3001234")


def test_find_contract_by_grouped_supply_point(store: Engine) -> None:
    with Session(store) as s:
        contract = find_contract_by_supply_point(session=s, supply_point_id="03-0000-0000-0000-2024-0124")
        assert contract is not None and contract.contract_no == "EG20240124"
        assert find_contract_by_supply_point(session=s, supply_point_id="0300000000000099999999") is None
        with pytest.raises(InputError, match="供給地点特定番号"):
            find_contract_by_supply_point(session=s, supply_point_id="1100000000000020240124")


def test_email_lookup_is_case_insensitive(store: Engine) -> None:
    with Session(store) as s:
        customer = find_customer_by_email(session=s, email="TARO.YAMADA@yamada-ss.EXAMPLE.jp")
        assert customer is not None and customer.customer_no == "30012345"
        assert find_customer_by_email(session=s, email="someone@else.example.jp") is None


def test_shared_email_lists_both_customers_but_identifies_neither(store: Engine) -> None:
    with Session(store) as s:
        both = customers_by_email(session=s, email="Keiri@Shared.example.jp")
        assert [c.customer_no for c in both] == ["30000002", "30000003"]
        assert find_customer_by_email(session=s, email="keiri@shared.example.jp") is None


def test_phone_lookup_accepts_full_width_and_hyphens(store: Engine) -> None:
    with Session(store) as s:
        found = find_customers_by_phone(session=s, phone="０４５－９８７－６５４３")
        assert [c.customer_no for c in found] == ["30000002"]
        assert find_customers_by_phone(session=s, phone="0312345678")[0].customer_no == "30012345"
        assert find_customers_by_phone(session=s, phone="03-0000-0000") == []
        with pytest.raises(InputError, match="電話番号"):
            find_customers_by_phone(session=s, phone="12-34")


@pytest.mark.parametrize(
    "written", ["㈱山田製作所", "株式会社山田製作所", "(株)山田製作所", "山田製作所（株）", "山田 製作所"]
)
def test_name_search_finds_every_legal_form_variant_first(store: Engine, written: str) -> None:
    with Session(store) as s:
        hits = search_customers_by_name(session=s, name=written)
    assert hits[0][0].customer_no == "30012345"
    assert hits[0][1] == 100.0


def test_name_search_tolerates_a_typo_and_a_shortened_name(store: Engine) -> None:
    with Session(store) as s:
        typo = search_customers_by_name(session=s, name="山田精作所")  # 製 → 精
        short = search_customers_by_name(session=s, name="川崎精")
    assert typo[0][0].customer_no == "30012345" and 70 <= typo[0][1] < 100
    assert short[0][0].customer_no == "30000002"


def test_name_search_lists_every_customer_sharing_a_name_oldest_first_within_limit(store: Engine) -> None:
    with Session(store) as s:
        s.add_all(
            [
                new_customer(customer_no="30000004", name="山田製作所(株)"),
                new_customer(customer_no="30000005", name="㈲山田製作"),
                new_customer(customer_no="30000006", name="山田 製作所 御中"),
            ]
        )
        s.commit()
        hits = search_customers_by_name(session=s, name="山田製作所", limit=4)
        two = search_customers_by_name(session=s, name="山田製作所", limit=2)
    # Three stored names share the key 山田製作所 (score 100, by id); 山田製作 is the closest look-alike.
    assert [(c.customer_no, score) for c, score in hits[:3]] == [
        ("30012345", 100.0),
        ("30000004", 100.0),
        ("30000006", 100.0),
    ]
    assert hits[3][0].customer_no == "30000005" and 70 <= hits[3][1] < 100
    assert [c.customer_no for c, _ in two] == ["30012345", "30000004"]


def test_name_search_unrelated_name_finds_nothing(store: Engine) -> None:
    with Session(store) as s:
        assert search_customers_by_name(session=s, name="北海道ホテル") == []
        with pytest.raises(InputError):
            search_customers_by_name(session=s, name="株式会社")


def test_contracts_usage_and_invoices_of_a_customer(store: Engine) -> None:
    with Session(store) as s:
        customer = find_customer(session=s, customer_no="30012345")
        assert customer is not None and customer.id is not None
        contracts = contracts_of(session=s, customer_id=customer.id)
        assert [c.contract_no for c in contracts] == ["EG20240123", "EG20240124"]
        assert contracts[0].id is not None
        usage = usage_of(session=s, contract_id=contracts[0].id)
        invoices = invoices_of(session=s, contract_id=contracts[0].id, months=2)
    # 30 months stored (2023-01 .. 2025-06): the last 24, oldest first.
    assert len(usage) == 24
    assert (usage[0].month, usage[-1].month) == (dt.date(2023, 7, 1), dt.date(2025, 6, 1))
    assert (usage[0].kwh, usage[-1].kwh) == (1006, 1029)
    assert [i.amount for i in invoices] == [101, 102]


def test_customer_view_holds_frozen_contracts_with_usage_oldest_first(store: Engine) -> None:
    with Session(store) as s:
        customer = find_customer(session=s, customer_no="30012345")
        assert customer is not None and customer.id is not None
        view = load_customer_view(session=s, customer_id=customer.id)
    assert view.customer_no == "30012345" and view.name == "株式会社山田製作所"
    first, second = view.contracts
    assert first.contract_no == "EG20240123" and first.contract_power_kw == Decimal("320")
    assert first.basic_unit_price == Decimal("1650.00") and first.grid_area == "03"
    assert [u.month for u in first.usage][:2] == [dt.date(2023, 7, 1), dt.date(2023, 8, 1)]
    assert len(first.usage) == 24 and first.usage[-1].kwh == 1029
    assert [i.amount for i in first.invoices] == [100, 101, 102]
    assert second.usage == () and second.invoices == ()


def test_customer_view_never_includes_another_customers_contract(store: Engine) -> None:
    with Session(store) as s:
        yamada = find_customer(session=s, customer_no="30012345")
        foreign = find_contract(session=s, contract_no="EG30000021")
        own = find_contract(session=s, contract_no="EG20240124")
        assert yamada and yamada.id and foreign and foreign.id and own and own.id
        view = load_customer_view(session=s, customer_id=yamada.id, contract_ids=[foreign.id, own.id])
    assert [c.contract_no for c in view.contracts] == ["EG20240124"]


def test_customer_view_of_unknown_id_is_not_found(store: Engine) -> None:
    with Session(store) as s, pytest.raises(NotFound):
        load_customer_view(session=s, customer_id=999_999)
