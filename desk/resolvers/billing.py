"""``bill_inquiry`` and ``fee_calculation``: the latest bill's breakdown and what moved since the month before."""

from __future__ import annotations

from typing import Any

from desk.casefile import CaseFile, ContractView, UsageView
from desk.resolvers.base import IntentFacts, Need, contract_of, declared_needs, missing_needs
from desk.rules.billing import BillMonth, explain_change
from intents.knowledge import Knowledge

COMPONENT_LABELS = {
    "basic_charge": "基本料金",
    "energy_charge": "電力量料金",
    "fuel_adjustment": "燃料費調整額",
    "renewable_surcharge": "再生可能エネルギー発電促進賦課金",
    "island_adjustment": "離島ユニバーサルサービス調整額",
}


def _month(usage: UsageView, contract: ContractView) -> BillMonth:
    return BillMonth(
        month=usage.month,
        kwh=usage.kwh,
        contract_power_kw=usage.contract_power_kw,
        fuel_adjustment_unit=usage.fuel_adjustment_unit,
        renewable_unit=usage.renewable_unit,
        basic_charge=usage.basic_charge,
        energy_charge=usage.energy_charge,
        fuel_adjustment=usage.fuel_adjustment,
        renewable_surcharge=usage.renewable_surcharge,
        total=usage.total,
        island_adjustment=usage.island_adjustment,
        power_factor=usage.power_factor,
    )


def bill_breakdown(contract: ContractView) -> dict[str, Any] | None:
    """The latest month's components and, when there is a month before, what changed and why."""
    if not contract.usage:
        return None
    latest = contract.usage[-1]
    facts: dict[str, Any] = {
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "month": latest.month,
        "kwh": latest.kwh,
        "max_demand_kw": latest.max_demand_kw,
        "contract_power_kw": latest.contract_power_kw,
        "power_factor": latest.power_factor,
        "fuel_adjustment_unit": latest.fuel_adjustment_unit,
        "renewable_unit": latest.renewable_unit,
        "basic_unit_price": contract.basic_unit_price,
        "energy_unit_price": contract.energy_unit_price,
        "components": [
            {"code": key, "label": label, "yen": getattr(latest, key)}
            for key, label in COMPONENT_LABELS.items()
            if key != "island_adjustment" or latest.island_adjustment
        ],
        "total": latest.total,
        "previous": None,
        "changes": [],
    }
    if len(contract.usage) >= 2:
        before = contract.usage[-2]
        facts["previous"] = {"month": before.month, "total": before.total, "kwh": before.kwh}
        facts["changes"] = [
            {
                "code": ch.component,  # English replies name the component by its code
                "label": COMPONENT_LABELS[ch.component],
                "previous_yen": ch.previous_yen,
                "current_yen": ch.current_yen,
                "delta_yen": ch.delta_yen,
                "causes": [
                    {"code": c.code, "previous": c.previous, "current": c.current, "effect_yen": c.effect_yen}
                    for c in ch.causes
                ],
            }
            for ch in explain_change(_month(before, contract), _month(latest, contract))
        ]
    invoices = contract.invoices
    facts["invoice"] = (
        {
            "billing_month": invoices[-1].billing_month,
            "amount": invoices[-1].amount,
            "due_date": invoices[-1].due_date,
            "paid": invoices[-1].paid,
        }
        if invoices
        else None
    )
    return facts


def _resolve(intent: str, case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    contract = contract_of(case)
    notes: list[str] = []
    contract_facts = None
    extra: list[Need] = []
    if contract is not None:
        contract_facts = bill_breakdown(contract)
        if contract_facts is None:
            notes.append("このご契約には使用量・料金の記録がまだありません。")
    elif case.verified and len(case.contracts) > 1:
        extra.append(Need("contract", "対象のご契約（契約番号または施設名）"))
    return IntentFacts(
        intent=intent,
        contract=contract_facts,
        # With the contract known, the reply answers for the latest month: no need to ask which one.
        missing=missing_needs(
            case,
            [*extra, *declared_needs(knowledge, intent)],
            skip=["billing_month"] if contract_facts else [],
        ),
        notes=tuple(notes),
        needs_identity=True,
    )


def resolve_bill_inquiry(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    return _resolve("bill_inquiry", case, knowledge)


def resolve_fee_calculation(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    return _resolve("fee_calculation", case, knowledge)
