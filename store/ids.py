"""Identifier → row id resolution for the inquiry pipeline's hot path.

The pipeline only needs ids to decide identity and which contracts an inquiry is about; building ORM objects
for that costs more than the queries. These run prebuilt Core statements and return plain ints. Identifiers are
parsed exactly as in :mod:`store.lookup` (full-width, hyphens, lower case accepted; malformed → InputError).
"""

from __future__ import annotations

from typing import NamedTuple, cast

from sqlalchemy import Row, bindparam, select
from sqlmodel import Session, col

from store.models import ContactEmail, Contract, Customer
from store.names import normalise_email, parse_contract_no, parse_customer_no, parse_supply_point_id


class ContractKey(NamedTuple):
    contract_id: int
    customer_id: int


_CUSTOMER_ID = select(col(Customer.id)).where(col(Customer.customer_no) == bindparam("value"))
_CONTRACT_BY_NO = select(col(Contract.id), col(Contract.customer_id)).where(
    col(Contract.contract_no) == bindparam("value")
)
_CONTRACT_BY_SPID = select(col(Contract.id), col(Contract.customer_id)).where(
    col(Contract.supply_point_id) == bindparam("value")
)
_CUSTOMER_IDS_BY_EMAIL = (
    select(col(ContactEmail.customer_id))
    .where(col(ContactEmail.email) == bindparam("value"))
    .distinct()
    .order_by(col(ContactEmail.customer_id))
)


def _key(row: Row[int | None, int] | None) -> ContractKey | None:
    # Primary keys of stored rows are never NULL; the Optional comes from the model's `id: int | None`.
    return ContractKey(cast(int, row[0]), row[1]) if row is not None else None


def customer_id(*, session: Session, customer_no: str) -> int | None:
    found = session.connection().execute(_CUSTOMER_ID, {"value": parse_customer_no(customer_no)}).scalar()
    return int(found) if found is not None else None


def contract_key(*, session: Session, contract_no: str) -> ContractKey | None:
    row = session.connection().execute(_CONTRACT_BY_NO, {"value": parse_contract_no(contract_no)}).first()
    return _key(row)


def contract_key_by_supply_point(*, session: Session, supply_point_id: str) -> ContractKey | None:
    value = parse_supply_point_id(supply_point_id)
    row = session.connection().execute(_CONTRACT_BY_SPID, {"value": value}).first()
    return _key(row)


def customer_ids_by_email(*, session: Session, email: str) -> list[int]:
    """Every customer that registered this address (case-insensitive, exact), lowest id first."""
    rows = session.connection().execute(_CUSTOMER_IDS_BY_EMAIL, {"value": normalise_email(email)})
    return [int(r[0]) for r in rows]
