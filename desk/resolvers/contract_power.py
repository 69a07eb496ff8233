"""``contract_power`` and ``usage_change``: the current contract power, the 12-month max-demand series, the
500 kW line, an overage estimate for 協議制, and the one-year marks that make changes cost money."""

from __future__ import annotations

import datetime as dt
from typing import Any

from desk.casefile import CaseFile, ContractView
from desk.resolvers.base import IntentFacts, Need, contract_of, declared_needs, missing_needs
from desk.rules.cancellation import anniversary
from desk.rules.contract_power import KYOGI_THRESHOLD_KW, jitsuryo_contract_power, overage_charge
from intents.knowledge import Knowledge


def power_facts(contract: ContractView) -> dict[str, Any]:
    months = contract.usage[-12:]
    facts: dict[str, Any] = {
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "scheme": contract.scheme,
        "contract_power_kw": contract.contract_power_kw,
        "basic_unit_price": contract.basic_unit_price,
        "series": [{"month": u.month, "max_demand_kw": u.max_demand_kw} for u in months],
        "threshold_kw": KYOGI_THRESHOLD_KW,
        "jitsuryo_kw": None,
        "must_move_to_kyogi": False,
        "overage": None,
    }
    if not months:
        return facts
    if contract.scheme == "jitsuryo":
        result = jitsuryo_contract_power([u.max_demand_kw for u in months])
        facts["jitsuryo_kw"] = result.contract_power_kw
        facts["must_move_to_kyogi"] = result.must_move_to_kyogi
    latest = months[-1]
    if contract.scheme == "kyogi" and latest.max_demand_kw > contract.contract_power_kw:
        over = overage_charge(
            contract_power_kw=contract.contract_power_kw,
            max_demand_kw=latest.max_demand_kw,
            basic_unit_price=contract.basic_unit_price,
            power_factor=latest.power_factor,
        )
        facts["overage"] = {
            "month": latest.month,
            "max_demand_kw": latest.max_demand_kw,
            "power_factor": latest.power_factor,
            "excess_kw": over.excess_kw,
            # Exact decimals: the charge is rounded down once, at the end (domain.md § Contract power).
            "base_yen": over.base_yen,
            "pf_discount_yen": over.pf_discount_yen,
            "overage_yen": over.overage_yen,
        }
    return facts


def _which_contract(case: CaseFile) -> list[Need]:
    if case.verified and case.contract is None and len(case.contracts) > 1:
        return [Need("contract", "対象のご契約（契約番号または施設名）")]
    return []


def resolve_contract_power(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    notes: list[str] = []
    facts = power_facts(contract) if contract is not None else None
    if facts and facts["overage"]:
        notes.append("最新月の最大電力が契約電力を超過しています。契約電力の是正が必要です。")
    if facts and facts["must_move_to_kyogi"]:
        notes.append("実量制の契約電力が500kW以上になります。協議制への移行が必要です。")
    return IntentFacts(
        intent="contract_power",
        contract=facts,
        missing=missing_needs(case, [*_which_contract(case), *declared_needs(knowledge, "contract_power")]),
        notes=tuple(notes),
        needs_identity=True,
    )


def _one_year_marks(contract: ContractView, today: dt.date) -> dict[str, Any]:
    # The last day still "within one year" is the day before the anniversary.
    day = dt.timedelta(days=1)
    applied_year_end = anniversary(contract.applied_on, 1) - day
    increase = contract.last_power_increase_on
    increase_year_end = anniversary(increase, 1) - day if increase else None
    return {
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "contract_power_kw": contract.contract_power_kw,
        "scheme": contract.scheme,
        "applied_on": contract.applied_on,
        "applied_year_end": applied_year_end,
        "within_applied_year": today <= applied_year_end,
        "last_power_increase_on": increase,
        "increase_year_end": increase_year_end,
        "within_increase_year": bool(increase_year_end and today <= increase_year_end),
    }


def resolve_usage_change(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    return IntentFacts(
        intent="usage_change",
        contract=_one_year_marks(contract, case.today) if contract is not None else None,
        missing=missing_needs(case, [*_which_contract(case), *declared_needs(knowledge, "usage_change")]),
        needs_identity=True,
    )
