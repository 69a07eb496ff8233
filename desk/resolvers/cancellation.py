"""``cancellation``: term end, notice deadline, whether the date is still reachable, the penalty and its formula.

The penalty uses the contract power in force today as 契約最終月の契約電力: the real value is only known in
the last month (実量制 follows max demand), so the draft calls it an estimate (試算).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from desk.casefile import CaseFile, ContractView
from desk.resolvers.base import (
    IntentFacts,
    Need,
    contract_of,
    declared_needs,
    entity,
    entity_date,
    missing_needs,
)
from desk.rules.cancellation import CancelReason, assess_cancellation, next_term_end, notice_deadline
from intents.knowledge import Knowledge

REASON_LABELS = {
    "switch": "他の電力会社へのお切替",
    "removal": "設備の撤去（閉店・移転・建物の撤去など）",
    "other": "その他のご事情（低圧への変更など）",
}


def _unpaid(contract: ContractView, today: dt.date) -> list[dict[str, Any]]:
    """Bills past their due date without payment: they must be settled with the final bill."""
    return [
        {"billing_month": inv.billing_month, "amount": inv.amount, "due_date": inv.due_date}
        for inv in contract.invoices
        if not inv.paid and inv.due_date < today
    ]


def notice_given_on(case: CaseFile) -> dt.date | None:
    """The day the customer says the cancellation notice was sent (a notice already given counts), or None.
    Without a date, a notice said to be sent counts as given today (the latest it can have been)."""
    said = case.understanding.said
    if not said.get("notice_sent"):
        return None
    try:
        sent = dt.date.fromisoformat(said.get("notice_sent_on", ""))
    except ValueError:
        return case.today
    return min(sent, case.today)


def _reachable_term_end(contract: ContractView, case: CaseFile, notice_on: dt.date) -> dt.date:
    """The first term end whose notice deadline is not before the notice (the earliest penalty-free date)."""
    end = next_term_end(contract.applied_on, case.today)
    while notice_deadline(end) < notice_on:
        end = next_term_end(contract.applied_on, end + dt.timedelta(days=1))
    return end


def _contract_facts(
    case: CaseFile, contract: ContractView, reason: str | None
) -> tuple[dict[str, Any], list[str]]:
    requested = entity_date(case)
    cancel_on = requested or next_term_end(contract.applied_on, case.today)
    notes: list[str] = []
    common = {
        "applied_on": contract.applied_on,
        "contract_power_kw": contract.contract_power_kw,
        "basic_unit_price": contract.basic_unit_price,
        "cancel_on_given": requested is not None,
    }
    if cancel_on < contract.applied_on or cancel_on < case.today:
        notes.append(f"解約希望日 {cancel_on.isoformat()} が契約適用日より前か、すでに過ぎています。")
        return {**common, "cancel_on": cancel_on, "assessed": False}, notes
    notice_on = notice_given_on(case) or case.today
    assess = assess_cancellation(
        applied_on=contract.applied_on,
        notice_on=notice_on,
        cancel_on=cancel_on,
        reason=reason or CancelReason.OTHER,
        contract_power_kw=contract.contract_power_kw,
        basic_unit_price=contract.basic_unit_price,
    )
    facts: dict[str, Any] = {
        **common,
        "assessed": True,
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "cancel_on": cancel_on,
        "term_end": assess.term_end,
        "notice_deadline": assess.notice_deadline,
        "reachable": assess.notice_in_time,
        "on_term_end": assess.on_term_end,
        "multiplier": assess.multiplier,
        "penalty_yen": assess.penalty_yen,
        "case": str(assess.case),
        "earliest_free_date": (free := _reachable_term_end(contract, case, notice_on)),
        "earliest_free_deadline": notice_deadline(free),
        "unpaid": _unpaid(contract, case.today),
        "alternatives": [],
    }
    if not assess.on_term_end and reason is None:
        # Inside a term the reason decides the multiplier: show both table rows until the customer says.
        facts["multiplier"] = None
        facts["penalty_yen"] = None
        facts["alternatives"] = [
            {
                "code": str(r),  # English replies word the reason from its code
                "reason": REASON_LABELS[r],
                "multiplier": m,
                "penalty_yen": assess_cancellation(
                    applied_on=contract.applied_on,
                    notice_on=notice_on,
                    cancel_on=cancel_on,
                    reason=r,
                    contract_power_kw=contract.contract_power_kw,
                    basic_unit_price=contract.basic_unit_price,
                ).penalty_yen,
            }
            for r, m in ((CancelReason.REMOVAL, Decimal("1.5")), (CancelReason.SWITCH, Decimal(3)))
        ]
        notes.append("解約理由が未記載のため、違約金の倍率（1.5倍/3倍）が確定していません。")
    elif facts["multiplier"] is None:
        notes.append(
            "解約理由が違約金の表にない（低圧への変更など）ため倍率が決まりません。担当者が倍率を判断してください。"
        )
    if not assess.notice_in_time:
        notes.append(
            f"解約通知の期限 {assess.notice_deadline.isoformat()} を過ぎています"
            f"（希望日 {cancel_on.isoformat()}）。"
        )
    return facts, notes


def resolve(case: CaseFile, knowledge: Knowledge) -> IntentFacts:
    # The entity's reason (faq/entities.toml) knows negations, comparisons and the reasons that are neither a
    # switch nor a removal (低圧への変更 with キュービクルを撤去); the question reader's is the fallback, as in
    # desk.answers.
    reason = entity(case, "cancel_reason") or case.understanding.said.get("cancel_reason")
    if reason not in REASON_LABELS:
        reason = None
    requested = entity_date(case)
    sent_on = notice_given_on(case)
    facts: dict[str, Any] = {
        "notice_given": sent_on is not None,
        "notice_given_on": sent_on if case.understanding.said.get("notice_sent_on") else None,
        "reason_multiplier": {"switch": 3, "removal": Decimal("1.5")}.get(reason or ""),
        "reason": reason,
        "reason_label": REASON_LABELS[reason] if reason else None,
        "requested_on": requested,
        "requested_notice_deadline": notice_deadline(requested) if requested else None,
        "requested_reachable": notice_deadline(requested) >= (sent_on or case.today) if requested else None,
    }
    contract = contract_of(case)
    notes: list[str] = []
    contract_facts = None
    extra: list[Need] = []
    if contract is not None:
        contract_facts, notes = _contract_facts(case, contract, reason)
    elif case.verified:
        extra.append(Need("contract_no", "ご解約を希望されるご契約の契約番号（または施設名）"))
    needs = [*extra, *declared_needs(knowledge, "cancellation")]
    if sent_on is not None:
        notes.append(
            "お客さまは解約通知書を送付済みとのことです"
            f"（{sent_on.isoformat() if facts['notice_given_on'] else '日付の記載なし'}）。到着を確認してください。"
        )
    return IntentFacts(
        intent="cancellation",
        facts=facts,
        contract=contract_facts,
        missing=missing_needs(case, needs),
        notes=tuple(notes),
        needs_identity=True,
    )
