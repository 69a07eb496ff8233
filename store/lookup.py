"""Keyword-only lookups in the contract store, and the one way to build customer rows.

Identifiers are accepted as people write them (see :mod:`store.names`); a value that cannot be such an
identifier raises :class:`desk.errors.InputError`, a well-formed one the store does not know returns
``None`` (or an empty list) so that callers decide what an unknown id means for them.

Every lookup is one or two indexed queries, so each stays well under a millisecond at 100,000 contracts
(``benchmarks/lookup_bench.py`` measures it).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import CompoundSelect, Select, String, Table, bindparam, case, event
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from desk.casefile import ContractView, CustomerView, InvoiceView, UsageView
from desk.errors import InputError, NotFound
from store.models import ContactEmail, Contract, Customer, Invoice, MonthlyUsage
from store.names import (
    name_key,
    normalise_email,
    parse_contract_no,
    parse_customer_no,
    parse_phone,
    parse_supply_point_id,
    phone_digits,
)

__all__ = [
    "contracts_of",
    "customer_keys",
    "customers_by_email",
    "find_contract",
    "find_contract_by_supply_point",
    "find_customer",
    "find_customer_by_email",
    "find_customers_by_phone",
    "invoices_of",
    "load_customer_view",
    "name_key",
    "new_contact_email",
    "new_customer",
    "normalise_email",
    "phone_digits",
    "search_customers_by_name",
    "usage_of",
]

# How many sort-order neighbours on each side of the searched key feed the fuzzy ranking: fewer when the
# key exists as written (its look-alikes only fill the list), more when it does not (a typo's intended
# name may sort further away). Every neighbour costs about a microsecond to read and to score.
_NEIGHBOURS = 40
_NEIGHBOURS_OF_EXACT = 12
_MAX_CODEPOINT = "\U0010ffff"


# --- writing rows -------------------------------------------------------------------------------------


def customer_keys(*, name: str, phone: str = "") -> dict[str, str]:
    """The derived lookup columns of a customer row (``name_key``, ``phone_digits``)."""
    return {"name_key": name_key(name), "phone_digits": phone_digits(phone)}


def new_customer(*, customer_no: str, name: str, phone: str = "", **fields: Any) -> Customer:
    """A Customer with its lookup keys filled; ``fields`` are any other Customer columns."""
    return Customer(
        customer_no=parse_customer_no(customer_no),
        name=name,
        phone=phone,
        name_key=name_key(name),
        phone_digits=phone_digits(phone),
        **fields,
    )


def new_contact_email(*, customer_id: int, email: str, person: str = "") -> ContactEmail:
    return ContactEmail(customer_id=customer_id, email=normalise_email(email), person=person)


# ORM writers that build rows by hand still get the keys: they are recomputed on every insert and update.
@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _fill_customer_keys(_mapper: Any, _connection: Any, target: Customer) -> None:
    target.name_key = name_key(target.name)
    target.phone_digits = phone_digits(target.phone)


@event.listens_for(ContactEmail, "before_insert")
@event.listens_for(ContactEmail, "before_update")
def _lower_email(_mapper: Any, _connection: Any, target: ContactEmail) -> None:
    target.email = normalise_email(target.email)


# --- single lookups -----------------------------------------------------------------------------------


# The pipeline runs these for every message: statements are built once, with bound parameters.
_CUSTOMER_BY_NO = select(Customer).where(col(Customer.customer_no) == bindparam("value"))
_CONTRACT_BY_NO = select(Contract).where(col(Contract.contract_no) == bindparam("value"))
_CONTRACT_BY_SPID = select(Contract).where(col(Contract.supply_point_id) == bindparam("value"))
_CUSTOMERS_BY_EMAIL = (
    select(Customer)
    .where(
        col(Customer.id).in_(
            select(col(ContactEmail.customer_id)).where(col(ContactEmail.email) == bindparam("value"))
        )
    )
    .order_by(col(Customer.id))
)


def find_customer(*, session: Session, customer_no: str) -> Customer | None:
    value = parse_customer_no(customer_no)
    return session.exec(_CUSTOMER_BY_NO, params={"value": value}).first()


def find_contract(*, session: Session, contract_no: str) -> Contract | None:
    """The contract with this 契約番号 (``EG20240123``, ``ｅｇ－２０２４０１２３`` …), or None."""
    value = parse_contract_no(contract_no)
    return session.exec(_CONTRACT_BY_NO, params={"value": value}).first()


def find_contract_by_supply_point(*, session: Session, supply_point_id: str) -> Contract | None:
    value = parse_supply_point_id(supply_point_id)
    return session.exec(_CONTRACT_BY_SPID, params={"value": value}).first()


def customers_by_email(*, session: Session, email: str) -> list[Customer]:
    """Every customer that registered this address (case-insensitive, exact), oldest first."""
    value = normalise_email(email)
    return list(session.exec(_CUSTOMERS_BY_EMAIL, params={"value": value}))


def find_customer_by_email(*, session: Session, email: str) -> Customer | None:
    """The customer that registered this address, or None when none — or more than one — did.

    An address shared by two customers proves neither identity, so it is treated like an unknown one;
    :func:`customers_by_email` lists them all.
    """
    found = customers_by_email(session=session, email=email)
    return found[0] if len(found) == 1 else None


def find_customers_by_phone(*, session: Session, phone: str) -> list[Customer]:
    """Customers with this phone number, written with or without hyphens, full- or half-width."""
    value = parse_phone(phone)
    statement = select(Customer).where(Customer.phone_digits == value).order_by(col(Customer.id))
    return list(session.exec(statement))


def search_customers_by_name(
    *, session: Session, name: str, limit: int = 5, score_cutoff: float = 70.0
) -> list[tuple[Customer, float]]:
    """Customers whose name resembles ``name``, best first, with a rapidfuzz score (0–100).

    Legal forms (㈱, 株式会社, (有) …), width and spaces do not matter: both sides are compared by
    :func:`store.names.name_key`. Candidates are the keys next to the searched one in index order (exact
    and prefix matches, then names sharing the longest prefix), so the work is bounded whatever the
    store's size; a name whose *first* character differs from what was written is not found, nor — in a
    large store — usually one whose second differs. Two statements: the neighbours' keys (Core, no ORM
    rows), then the winners' rows by id.
    """
    key = name_key(name)
    if not key:
        raise InputError(f"会社名として検索できる文字がありません: {name!r}")
    top = _rank(key, _name_candidates(session, key), limit, score_cutoff)
    if not top:
        return []
    ids = {f"id{n}": i for n, (i, _) in enumerate(top)}
    rows = {c.id: c for c in session.exec(_customers_by_ids(len(ids)), params=ids)}
    return [(rows[i], score) for i, score in top if i in rows]


def _rank(
    key: str, candidates: dict[str, list[int]], limit: int, score_cutoff: float
) -> list[tuple[int, float]]:
    """The best ``limit`` (customer id, score) pairs: each distinct key is scored once (many companies
    share a name); equal scores go to the key closer in length, then to the lower id, so an exact name
    is never outranked."""
    ranked = process.extract(
        key, list(candidates), scorer=fuzz.WRatio, processor=None, limit=limit * 3, score_cutoff=score_cutoff
    )
    ranked.sort(key=lambda hit: (-hit[1], -fuzz.ratio(key, hit[0]), min(candidates[hit[0]])))
    hits = [(i, float(score)) for found, score, _ in ranked for i in sorted(candidates[found])]
    return hits[:limit]


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _neighbours() -> CompoundSelect[Any]:
    customer = _table(Customer)
    key, first, last = (bindparam(name, type_=String) for name in ("key", "first", "last"))
    columns = (customer.c.name_key, customer.c.id)
    # Decided in SQL, so that the search stays one round trip; the EXISTS is a single index probe.
    exact = sa_select(customer.c.id).where(customer.c.name_key == key).exists()
    width = case((exact, _NEIGHBOURS_OF_EXACT), else_=_NEIGHBOURS)
    after = (
        sa_select(*columns)
        .where(customer.c.name_key >= key, customer.c.name_key < last)
        .order_by(customer.c.name_key)
        .limit(width)
        .subquery()
    )
    before = (
        sa_select(*columns)
        .where(customer.c.name_key >= first, customer.c.name_key < key)
        .order_by(customer.c.name_key.desc())
        .limit(width)
        .subquery()
    )
    return sa_select(after.c.name_key, after.c.id).union_all(sa_select(before.c.name_key, before.c.id))


# Built once, like the single lookups: compiling a statement costs more than running it.
_NEIGHBOUR_ROWS = _neighbours()


@functools.cache
def _customers_by_ids(count: int) -> SelectOfScalar[Customer]:
    """``count`` customers by id: one statement per count, as an expanding IN is compiled on every call."""
    return select(Customer).where(col(Customer.id).in_([bindparam(f"id{n}") for n in range(count)]))


def _name_candidates(session: Session, key: str) -> dict[str, list[int]]:
    """Up to 2 × _NEIGHBOURS (2 × _NEIGHBOURS_OF_EXACT when ``key`` is stored) keys around ``key`` in index order, among those sharing its first character,
    each with the ids of the customers that have it."""
    params = {"key": key, "first": key[0], "last": key[0] + _MAX_CODEPOINT}
    candidates: dict[str, list[int]] = {}
    for found, customer_id in session.connection().execute(_NEIGHBOUR_ROWS, params).all():
        candidates.setdefault(found, []).append(customer_id)
    return candidates


# --- a customer's contracts, usage and invoices -------------------------------------------------------


def contracts_of(*, session: Session, customer_id: int) -> list[Contract]:
    statement = (
        select(Contract).where(Contract.customer_id == customer_id).order_by(col(Contract.contract_no))
    )
    return list(session.exec(statement))


def usage_of(*, session: Session, contract_id: int, months: int = 24) -> list[MonthlyUsage]:
    """The last ``months`` months of usage, oldest first."""
    statement = (
        select(MonthlyUsage)
        .where(MonthlyUsage.contract_id == contract_id)
        .order_by(col(MonthlyUsage.month).desc())
        .limit(months)
    )
    return list(reversed(session.exec(statement).all()))


def invoices_of(*, session: Session, contract_id: int, months: int = 24) -> list[Invoice]:
    """The last ``months`` invoices, oldest first."""
    statement = (
        select(Invoice)
        .where(Invoice.contract_id == contract_id)
        .order_by(col(Invoice.billing_month).desc())
        .limit(months)
    )
    return list(reversed(session.exec(statement).all()))


_USAGE_FIELDS = tuple(f.name for f in dataclasses.fields(UsageView))
_INVOICE_FIELDS = tuple(f.name for f in dataclasses.fields(InvoiceView))
_CONTRACT_FIELDS = tuple(
    f.name for f in dataclasses.fields(ContractView) if f.name not in ("usage", "invoices")
)
_CUSTOMER_FIELDS = tuple(f.name for f in dataclasses.fields(CustomerView) if f.name != "contracts")


def _latest(model: type[SQLModel], fields: tuple[str, ...], month: str) -> Select[Any]:
    """The listed contracts' monthly rows, newest first per contract: the (contract_id, month) unique
    index serves the order, so no sort; the caller keeps the first ``months`` of each (a window function
    would do it in SQL but costs twice as much on SQLite)."""
    table = _table(model)
    return (
        sa_select(table.c.contract_id, *[table.c[f] for f in fields])
        .where(table.c.contract_id.in_(bindparam("ids", expanding=True)))
        .order_by(table.c.contract_id, table.c[month].desc())
    )


def _customer_with_contracts() -> Select[Any]:
    """The customer's row and its contracts, contract number order, in one round trip: the customer's
    columns come first and repeat on every contract row; a customer without contracts is one row whose
    contract columns are NULL (outer join)."""
    customer, contract = _table(Customer), _table(Contract)
    return (
        sa_select(
            *[customer.c[f] for f in _CUSTOMER_FIELDS],
            contract.c.id,
            *[contract.c[f] for f in _CONTRACT_FIELDS],
        )
        .select_from(customer.outerjoin(contract, contract.c.customer_id == customer.c.id))
        .where(customer.c.id == bindparam("customer_id"))
        .order_by(contract.c.contract_no)
    )


# Built once: the view is read for every inquiry, and building statements costs more than running them.
_CUSTOMER_ROWS = _customer_with_contracts()
_USAGE_ROWS = _latest(MonthlyUsage, _USAGE_FIELDS, "month")
_INVOICE_ROWS = _latest(Invoice, _INVOICE_FIELDS, "billing_month")


def load_customer_view(
    *, session: Session, customer_id: int, contract_ids: Sequence[int] | None = None, months: int = 24
) -> CustomerView:
    """The frozen view of a customer and its contracts (all, or those of ``contract_ids`` that are its
    own — another customer's contract is never included), each with up to ``months`` months of usage
    and invoices, oldest first. Raises NotFound for an unknown customer id.

    Three queries whatever the number of contracts; rows go straight into the frozen views, no ORM objects.
    """
    conn = session.connection()
    found = conn.execute(_CUSTOMER_ROWS, {"customer_id": customer_id}).all()
    if not found:
        raise NotFound(f"お客さま（ID {customer_id}）が見つかりません")
    split = len(_CUSTOMER_FIELDS)
    customer = found[0][:split]
    contracts = [row[split:] for row in found if row[split] is not None]
    if contract_ids is not None:
        wanted = set(contract_ids)
        contracts = [c for c in contracts if c[0] in wanted]
    ids = [c[0] for c in contracts]
    usage: dict[int, list[UsageView]] = {i: [] for i in ids}
    invoices: dict[int, list[InvoiceView]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute(_USAGE_ROWS, {"ids": ids}):
            if len(rows := usage[row[0]]) < months:
                rows.append(UsageView(*row[1:]))
        for row in conn.execute(_INVOICE_ROWS, {"ids": ids}):
            if len(bills := invoices[row[0]]) < months:
                bills.append(InvoiceView(*row[1:]))
    views = tuple(
        ContractView(
            **dict(zip(_CONTRACT_FIELDS, c[1:], strict=True)),
            usage=tuple(reversed(usage[c[0]])),
            invoices=tuple(reversed(invoices[c[0]])),
        )
        for c in contracts
    )
    return CustomerView(**dict(zip(_CUSTOMER_FIELDS, customer, strict=True)), contracts=views)
