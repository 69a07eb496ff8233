"""Billing-side procedures: ``payment_due_date``, ``payment_method``, ``consolidated_billing``,
``billing_address_change``. Current settings are shown only to a verified sender."""

from __future__ import annotations

from typing import Any

from desk.casefile import CaseFile, ContractView, CustomerView
from desk.resolvers.base import IntentFacts, Need, contract_of, declared_needs, missing_needs
from desk.rules.payment import next_due_date
from intents.knowledge import Knowledge


def _missing(case: CaseFile, knowledge: Knowledge, intent: str) -> tuple[Need, ...]:
    """The intent's declared needs, plus which contract when a verified customer has several, none named."""
    which = (
        [Need("contract", "対象のご契約（契約番号または施設名）")]
        if case.verified and case.contract is None and len(case.contracts) > 1
        else []
    )
    return missing_needs(case, [*which, *declared_needs(knowledge, intent)])


def _billing_to(contract: ContractView, customer: CustomerView | None) -> dict[str, str]:
    return {
        "billing_address": contract.billing_address or (customer.billing_address if customer else ""),
        "billing_addressee": contract.billing_addressee or (customer.billing_addressee if customer else ""),
    }


def resolve_due_date(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    contract_facts: dict[str, Any] | None = None
    if contract is not None:
        metering, due = next_due_date(
            metering_day=contract.metering_day, method=contract.payment_method, today=case.today
        )
        contract_facts = {
            "contract_no": contract.contract_no,
            "facility_name": contract.facility_name,
            "payment_method": contract.payment_method,
            "metering_day": contract.metering_day,
            "metering_date": metering,
            "nominal": due.nominal,
            "due_date": due.actual,
            "shifted": due.shifted,
        }
    return IntentFacts(
        intent="payment_due_date",
        contract=contract_facts,
        missing=_missing(case, knowledge, "payment_due_date"),
        needs_identity=True,
    )


def resolve_payment_method(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    contract_facts = None
    if contract is not None:
        contract_facts = {
            "contract_no": contract.contract_no,
            "facility_name": contract.facility_name,
            "payment_method": contract.payment_method,
            "consolidated": contract.consolidated_group is not None,
        }
    return IntentFacts(
        intent="payment_method",
        contract=contract_facts,
        missing=_missing(case, knowledge, "payment_method"),
        needs_identity=True,
    )


def resolve_consolidated(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    customer = case.customer if case.verified else None
    contract_facts = None
    if customer is not None:
        contracts = customer.contracts or case.contracts
        contract_facts = {
            "contract_count": len(contracts),
            "debit_contracts": [c.contract_no for c in contracts if c.payment_method == "debit"],
            "groups": sorted({c.consolidated_group for c in contracts if c.consolidated_group}),
            "billing_address": customer.billing_address,
            "billing_addressee": customer.billing_addressee,
        }
    return IntentFacts(
        intent="consolidated_billing",
        contract=contract_facts,
        # The service is per customer, not per contract: never ask which contract.
        missing=missing_needs(case, declared_needs(knowledge, "consolidated_billing"), skip=["contract"]),
        needs_identity=True,
    )


def resolve_billing_address(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    contract_facts = None
    if contract is not None:
        contract_facts = {
            "contract_no": contract.contract_no,
            "facility_name": contract.facility_name,
            **_billing_to(contract, case.customer),
        }
    return IntentFacts(
        intent="billing_address_change",
        contract=contract_facts,
        missing=_missing(case, knowledge, "billing_address_change"),
        needs_identity=True,
    )
