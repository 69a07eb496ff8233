"""One pure resolver per intent: ``resolve(case, knowledge) -> IntentFacts`` (see :mod:`desk.resolvers.base`).

Modules by intent family: cancellation, name_change, payment (due dates, method, consolidated billing,
billing address), billing (bill inquiry, fee calculation), contract_power (contract power, usage change),
outage, general (portal help and the other procedures).
"""

from __future__ import annotations

from collections.abc import Callable

from desk.casefile import CaseFile
from desk.errors import InputError
from desk.resolvers import billing, cancellation, contract_power, general, name_change, outage, payment
from desk.resolvers.base import IntentFacts
from intents.knowledge import Knowledge
from intents.model import INTENT_IDS

__all__ = ["RESOLVERS", "IntentFacts", "resolve"]

Resolver = Callable[[CaseFile, Knowledge], IntentFacts]

RESOLVERS: dict[str, Resolver] = {
    "cancellation": cancellation.resolve,
    "name_change": name_change.resolve,
    "payment_due_date": payment.resolve_due_date,
    "payment_method": payment.resolve_payment_method,
    "consolidated_billing": payment.resolve_consolidated,
    "billing_address_change": payment.resolve_billing_address,
    "bill_inquiry": billing.resolve_bill_inquiry,
    "fee_calculation": billing.resolve_fee_calculation,
    "contract_power": contract_power.resolve_contract_power,
    "usage_change": contract_power.resolve_usage_change,
    "outage": outage.resolve,
    **{
        intent: general.resolver(intent)
        for intent in (
            "mypage_login",
            "password_reset",
            "account_info_change",
            "usage_data",
            "invoice_download",
            "voltage_frequency",
            "pas_open",
            "equipment_work",
            "terms",
            "other",
        )
    },
}
assert set(RESOLVERS) == set(INTENT_IDS), "every intent needs a resolver"


def resolve(intent: str, case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    """Run the resolver of ``intent``; InputError for an id outside the taxonomy."""
    try:
        resolver = RESOLVERS[intent]
    except KeyError:
        raise InputError(f"未知の問い合わせ区分です: {intent}") from None
    return resolver(case, knowledge)
