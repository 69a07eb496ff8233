"""Identifier → id resolution used by the pipeline: same parsing as the look-ups, plain ints back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.errors import InputError
from store import ids
from store.lookup import new_contact_email
from store.models import Contract, Customer
from store.seed import seed_store


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    # Closed at teardown: an open PostgreSQL transaction would block dropping the test schema.
    with Session(engine) as session:
        yield session


def _customer(session: Session, customer_no: str) -> int:
    found = session.exec(select(Customer).where(Customer.customer_no == customer_no)).one()
    return found.id or 0


def test_contract_key_gives_contract_and_owner_ids_for_messy_forms(session: Session) -> None:
    contract = session.exec(select(Contract).where(Contract.contract_no == "EG30000021")).one()
    expected = ids.ContractKey(contract.id or 0, contract.customer_id)
    assert ids.contract_key(session=session, contract_no="ｅｇ－３００００-０２１") == expected
    assert (
        ids.contract_key_by_supply_point(session=session, supply_point_id=contract.supply_point_id)
        == expected
    )
    assert ids.contract_key(session=session, contract_no="EG99999999") is None


def test_customer_id_accepts_full_width_and_hyphens(session: Session) -> None:
    assert ids.customer_id(session=session, customer_no="３００１-２３４５") == _customer(session, "30012345")
    assert ids.customer_id(session=session, customer_no="39999999") is None


def test_malformed_identifiers_are_input_errors(session: Session) -> None:
    with pytest.raises(InputError):
        ids.contract_key(session=session, contract_no="EG12")


def test_email_is_case_insensitive_and_a_shared_address_gives_every_customer(session: Session) -> None:
    sakura = _customer(session, "30012345")
    assert ids.customer_ids_by_email(session=session, email="K.Tanaka@Sakura-Seiki.example.jp") == [sakura]
    minato = _customer(session, "30000002")
    session.add(new_contact_email(customer_id=minato, email="k.tanaka@sakura-seiki.example.jp"))
    session.commit()
    assert ids.customer_ids_by_email(session=session, email="k.tanaka@sakura-seiki.example.jp") == sorted(
        [sakura, minato]
    )
    assert ids.customer_ids_by_email(session=session, email="nobody@example.jp") == []
