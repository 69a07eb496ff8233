"""The procedure intents: portal help, voltage/frequency, PAS, equipment work, terms, other.

Each answer is the procedure; a verified contract adds the facts that matter for it (the supply start for
logging in, the area's utility and frequency, the latest invoice month, …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from desk.casefile import CaseFile, ContractView
from desk.resolvers.base import (
    IntentFacts,
    contract_of,
    declared_needs,
    entity_date,
    missing_needs,
)
from desk.resolvers.outage import area_facts, area_of_case
from intents.knowledge import Knowledge

PORTAL_HISTORY_MONTHS = 24  # the portal shows up to 24 months (seed 004 § 1)
EQUIPMENT_LEAD_MONTHS = 2  # equipment work: contact the desk at least two months ahead (seed 004 § 8)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier; a day that month lacks becomes its last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for d in range(day.day, 27, -1):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    return dt.date(year, month, min(day.day, 28))


def _ref(contract: ContractView) -> dict[str, Any]:
    return {"contract_no": contract.contract_no, "facility_name": contract.facility_name}


def _mypage_login(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    if contract is None:
        return None, []
    started = contract.supply_start <= case.today
    facts = {
        **_ref(contract),
        "supply_start": contract.supply_start,
        "started": started,
        "login_id": case.customer.customer_no if case.customer else None,
    }
    return facts, [] if started else ["供給開始前のためマイページにはまだログインできません。"]


def _password_reset(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    if not case.verified or case.customer is None:
        return None, []
    return {"login_id": case.customer.customer_no}, []


def _usage_data(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    if contract is None or not contract.usage:
        return None, []
    latest = contract.usage[-1]
    return {
        **_ref(contract),
        "latest_month": latest.month,
        "latest_kwh": latest.kwh,
        "latest_max_demand_kw": latest.max_demand_kw,
        "oldest_month": contract.usage[0].month,
        "facility_count": len(case.customer.contracts) if case.customer else 1,
    }, []


def _invoice_download(
    case: CaseFile, contract: ContractView | None
) -> tuple[dict[str, Any] | None, list[str]]:
    if contract is None or not contract.invoices:
        return None, []
    last = contract.invoices[-1]
    return {**_ref(contract), "billing_month": last.billing_month, "amount": last.amount}, []


def _area(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    if contract is None:
        return None, []
    return {**_ref(contract), **area_facts(area_of_case(case)), "voltage": contract.voltage}, []


def _equipment(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    if contract is None:
        return None, []
    return {
        **_ref(contract),
        **area_facts(area_of_case(case)),
        "contract_power_kw": contract.contract_power_kw,
    }, []


def _terms(case: CaseFile, contract: ContractView | None) -> tuple[dict[str, Any] | None, list[str]]:
    return None, []


ContractFacts = Callable[[CaseFile, ContractView | None], tuple[dict[str, Any] | None, list[str]]]

# intent -> (contract facts, does the full answer need a verified sender?)
_INTENTS: dict[str, tuple[ContractFacts, bool]] = {
    "mypage_login": (_mypage_login, False),
    "password_reset": (_password_reset, False),
    "account_info_change": (_terms, False),
    "usage_data": (_usage_data, True),
    "invoice_download": (_invoice_download, True),
    "voltage_frequency": (_area, False),
    "pas_open": (_area, False),
    "equipment_work": (_equipment, True),
    "terms": (_terms, False),
    "other": (_terms, False),
}


def _general_facts(intent: str, case: CaseFile) -> tuple[dict[str, Any], list[str]]:
    """Facts derived only from what the sender wrote (their date, their own supply point id)."""
    day = entity_date(case)
    facts: dict[str, Any] = {"date": day}
    notes: list[str] = []
    if intent in ("voltage_frequency", "pas_open", "equipment_work"):
        # A verified sender gets the area with the contract facts; here only what the sender's own id says.
        facts.update(area_facts(None if case.verified else area_of_case(case)))
    if intent == "equipment_work" and day is not None:
        contact_by = months_before(day, EQUIPMENT_LEAD_MONTHS)
        facts.update(contact_by=contact_by, contact_late=contact_by < case.today)
        if contact_by < case.today:
            notes.append(f"工事予定日 {day.isoformat()} まで2か月を切っています。")
    if intent == "usage_data" and day is not None:
        oldest = months_before(case.today.replace(day=1), PORTAL_HISTORY_MONTHS)
        facts.update(beyond_portal=day < oldest)
    if intent == "pas_open" and day is not None and day <= case.today + dt.timedelta(days=7):
        notes.append(f"PAS操作の予定日 {day.isoformat()} が近いです。")
    if intent == "other":
        notes.append("定型の回答がない問い合わせです。担当者が内容を確認してください。")
    return facts, notes


def resolver(intent: str) -> Callable[[CaseFile, Knowledge], IntentFacts]:
    contract_facts, needs_identity = _INTENTS[intent]

    def resolve(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
        facts, notes = _general_facts(intent, case)
        contract = contract_of(case)
        private, more = contract_facts(case, contract)
        return IntentFacts(
            intent=intent,
            facts=facts,
            contract=private if case.verified else None,
            missing=missing_needs(
                case, declared_needs(knowledge, intent), skip=["billing_month"] if private else []
            ),
            notes=tuple(notes + more),
            needs_identity=needs_identity,
        )

    resolve.__name__ = f"resolve_{intent}"
    return resolve
