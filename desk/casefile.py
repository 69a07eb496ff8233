"""Everything the resolvers may know about one inquiry, as plain frozen data.

The pipeline's look-up step builds a :class:`CaseFile` from the store; resolvers and templates read only
this, so they stay pure and are tested without a database. Contract data is present only when
``verified`` is true or the reader is staff (see ``desk.pipeline``); resolvers must still check ``verified``
before putting any contract-specific fact into customer-facing text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from intents.model import Understanding

# The look-up's remark when the sender is not proven to be the customer; a draft replaces it with its own,
# which also says what the reply leaves out, so staff read it once.
UNVERIFIED_SENDER_NOTE = "差出人はお客さまの登録連絡先として確認できません（本人確認未了）。"


@dataclass(frozen=True, slots=True)
class UsageView:
    month: dt.date  # first day of the usage month
    kwh: int
    max_demand_kw: Decimal
    power_factor: int
    contract_power_kw: Decimal
    fuel_adjustment_unit: Decimal
    renewable_unit: Decimal
    basic_charge: int
    energy_charge: int
    fuel_adjustment: int
    renewable_surcharge: int
    island_adjustment: int
    total: int


@dataclass(frozen=True, slots=True)
class InvoiceView:
    billing_month: dt.date
    amount: int
    due_date: dt.date
    paid: bool


@dataclass(frozen=True, slots=True)
class ContractView:
    contract_no: str
    supply_point_id: str
    facility_name: str
    facility_address: str
    grid_area: str  # store.models.GridArea value ("01" … "10")
    voltage: str
    scheme: str
    contract_power_kw: Decimal
    basic_unit_price: Decimal
    energy_unit_price: Decimal
    power_factor: int
    supply_method: str
    supply_start: dt.date
    applied_on: dt.date
    last_power_increase_on: dt.date | None
    metering_day: int
    payment_method: str
    billing_address: str
    billing_addressee: str
    consolidated_group: str | None
    status: str
    usage: tuple[UsageView, ...] = ()  # oldest first, up to 24 months
    invoices: tuple[InvoiceView, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer_no: str
    name: str
    contact_person: str
    billing_address: str
    billing_addressee: str
    contracts: tuple[ContractView, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseFile:
    """One inquiry, understood and looked up.

    ``contracts`` are the contracts the message is about: those named by contract number or supply point id,
    else every contract of the customer. ``verified`` means the sender is proven to be the customer.
    """

    understanding: Understanding
    today: dt.date  # the day the message arrived (Asia/Tokyo); relative dates and deadlines count from it
    channel: str
    sender_name: str = ""
    customer: CustomerView | None = None
    contracts: tuple[ContractView, ...] = ()
    verified: bool = False
    unknown_ids: tuple[str, ...] = ()  # identifiers in the text the store does not know
    form: dict[str, str] | None = None
    notes: tuple[str, ...] = field(default=())  # look-up remarks for staff (Japanese)
    follow_up: bool = False  # the message joined an earlier inquiry of the same thread
    staff: bool = False  # a staff member asks (on a customer's behalf): an internal answer, not a letter

    @property
    def contract(self) -> ContractView | None:
        """The one contract in question, when there is exactly one."""
        return self.contracts[0] if len(self.contracts) == 1 else None
