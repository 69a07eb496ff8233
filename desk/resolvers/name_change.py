"""``name_change``: which of the two cases, the document deadline, and what to check.

Document deadline (decision): the guide says "one month before the change date" and gives the example
"change on April 1 → documents by February 14". A plain one-month rule gives March 1, so the example implies
extra processing time. The rule that reproduces it for any date is: **the 14th of the second month before
the month of the change** (April 1 → February 14, April 20 → February 14, January 1 → November 14 of the
year before). It is never later than one month before the change date. The day is not moved for bank
holidays: the guide's own example (2027-02-14) is a Sunday. Both numbers are parameters of
:func:`document_deadline`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from desk.casefile import CaseFile, ContractView
from desk.resolvers.base import IntentFacts, Need, contract_of, declared_needs, entity_date, missing_needs
from intents.knowledge import Knowledge

RENAME = "rename"  # the same legal entity changes its name (社名変更・商号変更)
TAKEOVER = "takeover"  # another legal entity takes the contract over (譲渡・事業承継・別会社)

_RENAME_RE = re.compile(r"社名変更|社名を?変更|社名が変わ|商号変更|商号を?変更|名称変更|名称が変わ|社名のみ")
_TAKEOVER_RE = re.compile(
    r"譲渡|承継|別会社|別法人|新会社|新法人|引き継|引継|売却|買収|吸収|グループ会社に移|運営会社が変わ|法人が変わ"
)


def name_change_kind(text: str) -> str | None:
    """``rename``, ``takeover`` or None when the text does not say (or says both)."""
    rename, takeover = bool(_RENAME_RE.search(text)), bool(_TAKEOVER_RE.search(text))
    if rename == takeover:
        return None
    return RENAME if rename else TAKEOVER


def document_deadline(change_on: dt.date, *, months_before: int = 2, day: int = 14) -> dt.date:
    """Documents due for a name change on ``change_on``: the ``day`` of the month ``months_before`` earlier."""
    index = change_on.year * 12 + change_on.month - 1 - months_before
    return dt.date(index // 12, index % 12 + 1, day)


def _contract_facts(contract: ContractView, case: CaseFile) -> dict[str, Any]:
    customer = case.customer
    return {
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "payment_method": contract.payment_method,
        "billing_address": contract.billing_address or (customer.billing_address if customer else ""),
        "billing_addressee": contract.billing_addressee or (customer.billing_addressee if customer else ""),
        "basic_unit_price": contract.basic_unit_price,
        "energy_unit_price": contract.energy_unit_price,
        "supply_method": contract.supply_method,
        "applied_on": contract.applied_on,
    }


def resolve(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    kind = name_change_kind(case.understanding.body)
    if kind is None and case.understanding.said.get("name_only"):
        kind = RENAME  # 「社名のみ」「法人は同じ」: never ask again which case it is
    change_on = entity_date(case)
    deadline = document_deadline(change_on) if change_on else None
    facts: dict[str, Any] = {
        "kind": kind,
        "change_on": change_on,
        "document_deadline": deadline,
        "deadline_passed": deadline < case.today if deadline else None,
    }
    notes: list[str] = []
    if deadline and deadline < case.today:
        notes.append(f"名義変更の書類期限 {deadline.isoformat()} を過ぎています（変更希望日 {change_on}）。")
    if kind is None:
        notes.append("社名変更か別法人への引き継ぎかが本文から判断できません。")
    contract = contract_of(case)
    extra = (
        []
        if contract is not None or not case.verified
        else [Need("contract_no", "名義変更の対象となるご契約の契約番号")]
    )
    if kind is None:
        extra.append(Need("entity_changes", "社名のみのご変更か、別の法人へのお引き継ぎか"))
    return IntentFacts(
        intent="name_change",
        facts=facts,
        contract=_contract_facts(contract, case) if contract is not None else None,
        missing=missing_needs(
            case,
            [*extra, *declared_needs(knowledge, "name_change")],
            also_given=["entity_changes"] if kind else [],
            # Only a customer paying by direct debit has a debit account to change.
            skip=["debit_account_change"]
            if contract is not None and contract.payment_method != "debit"
            else [],
        ),
        notes=tuple(notes),
        needs_identity=True,
    )
