"""``outage``: whom to call, in order — the chief electrical engineer, the local utility, then the desk.

The local utility is named when the area is known: from the verified contract, or from the first two digits
of a 供給地点特定番号 the sender wrote themselves (that reveals nothing from the store). Otherwise the reply
lists every area's utility. Always urgent.
"""

from __future__ import annotations

from typing import Any

from desk.casefile import CaseFile
from desk.errors import InputError
from desk.resolvers.base import IntentFacts, contract_of, declared_needs, entity, missing_needs
from desk.rules.areas import Area, all_areas, area, area_for_supply_point
from intents.knowledge import Knowledge


def area_of_case(case: CaseFile) -> Area | None:
    """The grid area of the contract in question, if the verified contract or the sender's own id tells."""
    contract = contract_of(case)
    try:
        if contract is not None:
            return area(contract.grid_area)
        spid = entity(case, "supply_point_id")
        return area_for_supply_point(spid) if spid else None
    except InputError:
        return None


def area_facts(found: Area | None) -> dict[str, Any]:
    return {
        "area_code": found.code if found else None,  # English replies look the English names up by it
        "area_name": found.name if found else None,
        "utility": found.utility if found else None,
        "grid_operator": found.grid_operator if found else None,
        "frequency_hz": found.frequency_hz if found else None,
        "frequency_note": found.frequency_note if found else "",
        "all_utilities": [a.utility for a in all_areas()],
    }


def resolve(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    found = area_of_case(case)
    contract = contract_of(case)
    facts = area_facts(found) if contract is None else area_facts(None)
    # The customer says power is back: no emergency contact order, nothing urgent (only the cause to check).
    over = case.understanding.said.get("outage_state") == "over"
    facts["over"] = over
    if over:
        return IntentFacts(
            intent="outage",
            facts=facts,
            contract=(
                {
                    **area_facts(found),
                    "contract_no": contract.contract_no,
                    "facility_name": contract.facility_name,
                }
                if contract is not None
                else None
            ),
            notes=("停電は復旧済みとのご連絡です。原因の確認が必要か担当者がご判断ください。",),
        )
    contract_facts = None
    if contract is not None:
        contract_facts = {
            **area_facts(found),
            "contract_no": contract.contract_no,
            "facility_name": contract.facility_name,
        }
    return IntentFacts(
        intent="outage",
        facts=facts,
        contract=contract_facts,
        # Nothing is asked before the safety instructions; contract numbers can wait.
        missing=missing_needs(case, [n for n in declared_needs(knowledge, "outage") if n.key == "phone"]),
        notes=("停電・緊急の連絡です。至急ご確認ください。",),
        urgent=True,
    )
