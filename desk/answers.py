"""Direct answers to the questions a customer asked (``Understanding.questions``), computed from the store.

A senior agent opens a reply with the answer in the customer's own terms — "the 10th is not your deadline:
with metering on the 15th and bank transfer it is the end of the next month (July 31)" — and pastes the
general rule only when the rule *is* the answer. Each :class:`Answer` is rendered by
``templates/answers/<kind>.j2`` at the top of the reply; ``covers`` names the intents whose general section
it replaces. Like resolvers, answers keep store data in ``contract`` (only for a verified sender) apart from
``facts`` (general, or derived only from what the sender wrote). ``task`` is work the desk must do (a staff
card line such as 「検針値の確認を依頼」), never customer text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from desk.casefile import CaseFile, ContractView
from desk.resolvers.base import contract_of, entity, entity_date
from desk.rules.calendar import next_business_day
from desk.rules.cancellation import CancelReason, anniversary, assess_cancellation, next_term_end
from desk.rules.contract_power import overage_charge
from desk.rules.payment import next_due_date
from intents.model import Question

__all__ = ["Answer", "answer_questions", "due_rule"]


@dataclass(frozen=True, slots=True)
class Answer:
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] | None = None  # store data; only when the case is verified
    covers: tuple[str, ...] = ()  # intents whose general text this answer replaces
    notes: tuple[str, ...] = ()
    task: str | None = None  # what the desk must do (staff only)


def due_rule(metering_day: int, method: str) -> tuple[str, int | None]:
    """The due-date rule for a metering day, as the customer reads it, and the day of the month it gives
    (None when it is not a fixed day: 30 days after metering, or the month's last day)."""
    if method == "debit":
        if metering_day == 1:
            return "計量日の当月27日", 27
        return ("計量日の翌月6日", 6) if metering_day == 2 else ("計量日の翌月27日", 27)
    if metering_day == 1:
        return "計量日の翌日から数えて30日目", None
    return ("計量日の翌月10日", 10) if metering_day == 2 else ("計量日の翌月末日", None)


_METHOD_LABEL = {"debit": "口座引落", "transfer": "銀行振込"}


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _due_date_check(case: CaseFile, q: Question) -> Answer | None:
    asked = _int(q.value)
    if asked is None or not 1 <= asked <= 31:
        return None
    contract = contract_of(case)
    said = case.understanding.said
    if contract is not None:
        metering, due = next_due_date(
            metering_day=contract.metering_day, method=contract.payment_method, today=case.today
        )
        rule, _ = due_rule(contract.metering_day, contract.payment_method)
        return Answer(
            "due_date_check",
            facts={"asked_day": asked},
            contract={
                "contract_no": contract.contract_no,
                "facility_name": contract.facility_name,
                "metering_day": contract.metering_day,
                "method": contract.payment_method,
                "method_label": _METHOD_LABEL[contract.payment_method],
                "rule": rule,
                "metering_date": metering,
                "nominal": due.nominal,
                "due_date": due.actual,
                "shifted": due.shifted,
                "is_due": asked in (due.nominal.day, due.actual.day),
            },
            covers=("payment_due_date",),
        )
    metering_day = _int(said.get("metering_day", ""))
    if metering_day is None or not 1 <= metering_day <= 31:
        return None
    methods = (
        [said["payment_method"]] if said.get("payment_method") in _METHOD_LABEL else ["debit", "transfer"]
    )
    rows = []
    for method in methods:
        rule, day = due_rule(metering_day, method)
        rows.append({"method": method, "label": _METHOD_LABEL[method], "rule": rule, "is_due": day == asked})
    return Answer(
        "due_date_check",
        facts={"asked_day": asked, "metering_day": metering_day, "rows": rows},
        covers=("payment_due_date",),
    )


def _decimal(value: str) -> Decimal | None:
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    return d if d.is_finite() and d > 0 else None


def _overage(case: CaseFile, q: Question) -> Answer | None:
    excess = _decimal(case.understanding.said.get("excess_kw", ""))
    contract = contract_of(case)
    if contract is not None and contract.scheme == "kyogi":
        latest = contract.usage[-1] if contract.usage else None
        measured = None  # the month on file when the customer gave no number
        if excess is None and latest is not None and latest.max_demand_kw > contract.contract_power_kw:
            excess = latest.max_demand_kw - contract.contract_power_kw
            measured = {"month": latest.month, "max_demand_kw": latest.max_demand_kw}
        if excess is None:
            return None
        pf = latest.power_factor if latest else contract.power_factor
        over = overage_charge(
            contract_power_kw=contract.contract_power_kw,
            max_demand_kw=contract.contract_power_kw + excess,
            basic_unit_price=contract.basic_unit_price,
            power_factor=pf,
        )
        return Answer(
            "overage_amount",
            facts={"excess_kw": excess},
            contract={
                "contract_no": contract.contract_no,
                "facility_name": contract.facility_name,
                "contract_power_kw": contract.contract_power_kw,
                "basic_unit_price": contract.basic_unit_price,
                "power_factor": pf,
                "base_yen": over.base_yen,
                "pf_discount_yen": over.pf_discount_yen,
                "overage_yen": over.overage_yen,
                "measured": measured,
            },
            covers=("contract_power",),
            notes=("契約超過金の試算を回答しています。契約電力の是正のご相談が必要です。",),
        )
    if excess is None:
        return None
    # Unverified, or a 実量制 contract: the formula with their own number, the amount once the unit is known.
    return Answer(
        "overage_amount",
        facts={"excess_kw": excess, "jitsuryo": contract is not None and contract.scheme == "jitsuryo"},
        covers=("contract_power",),
    )


_REASONS = {"switch": CancelReason.SWITCH, "removal": CancelReason.REMOVAL}


def _penalty_row(case: CaseFile, contract: ContractView, reason: str | None) -> dict[str, Any] | None:
    cancel_on = entity_date(case) or next_term_end(contract.applied_on, case.today)
    if cancel_on < contract.applied_on or cancel_on < case.today:
        return None
    common = {
        "contract_no": contract.contract_no,
        "facility_name": contract.facility_name,
        "contract_power_kw": contract.contract_power_kw,
        "basic_unit_price": contract.basic_unit_price,
        "cancel_on": cancel_on,
    }
    rows = []
    for r in [reason] if reason in _REASONS else ["removal", "switch"]:
        a = assess_cancellation(
            applied_on=contract.applied_on,
            notice_on=_notice_on(case),
            cancel_on=cancel_on,
            reason=_REASONS[r],
            contract_power_kw=contract.contract_power_kw,
            basic_unit_price=contract.basic_unit_price,
        )
        rows.append({"reason": r, "multiplier": a.multiplier, "penalty_yen": a.penalty_yen})
        if a.on_term_end:  # the reason does not matter on a term end
            rows = rows[-1:]
            break
    return {**common, "rows": rows, "by_reason": len(rows) > 1}


def _notice_on(case: CaseFile) -> dt.date:
    """The day the cancellation notice counts as given: the date the customer says they sent it, else today."""
    said = case.understanding.said
    if said.get("notice_sent") and said.get("notice_sent_on"):
        try:
            return min(dt.date.fromisoformat(said["notice_sent_on"]), case.today)
        except ValueError:
            return case.today
    return case.today


def _penalty_per_contract(case: CaseFile, q: Question) -> Answer | None:
    # One contract: the cancellation section answers it (for staff, this short line does). Several, none
    # named: one line per contract.
    if not case.verified or not case.contracts or (case.contract is not None and not case.staff):
        return None
    reason = entity(case, "cancel_reason") or case.understanding.said.get("cancel_reason")
    rows = [r for r in (_penalty_row(case, c, reason) for c in case.contracts) if r is not None]
    if not rows:
        return None
    return Answer(
        "penalty_amount",
        facts={"reason": reason if reason in _REASONS else None},
        contract={"contracts": rows, "cancel_on_given": entity_date(case) is not None},
        covers=("cancellation",),
    )


def _power_increase(case: CaseFile, q: Question) -> Answer | None:
    contract = contract_of(case)
    if contract is None:
        return Answer("power_increase_effect", covers=("usage_change", "contract_power"))
    day = dt.timedelta(days=1)
    increase = contract.last_power_increase_on
    return Answer(
        "power_increase_effect",
        contract={
            "contract_no": contract.contract_no,
            "facility_name": contract.facility_name,
            "applied_on": contract.applied_on,
            "applied_year_end": (end := anniversary(contract.applied_on, 1) - day),
            "within_applied_year": case.today <= end,
            "last_power_increase_on": increase,
            "increase_year_end": (inc_end := anniversary(increase, 1) - day if increase else None),
            "within_increase_year": bool(inc_end and case.today <= inc_end),
            "contract_power_kw": contract.contract_power_kw,
            "basic_unit_price": contract.basic_unit_price,
            "penalty_15_yen": int(contract.contract_power_kw * contract.basic_unit_price * Decimal("1.5")),
            "penalty_3_yen": int(contract.contract_power_kw * contract.basic_unit_price * 3),
        },
        # The effect of the change is the answer; the general 契約電力 rules would only repeat the question.
        covers=("usage_change", "contract_power"),
    )


def _compare_sites(case: CaseFile, q: Question) -> Answer:
    task = "2施設の請求の取り違えの有無の確認を依頼（料金担当）"
    if not case.verified or len(case.contracts) < 2:
        return Answer("compare_sites", covers=("bill_inquiry",), task=task)
    sites = []
    for c in case.contracts:
        if not c.usage:
            continue
        u = c.usage[-1]
        inv = c.invoices[-1] if c.invoices else None
        sites.append(
            {
                "contract_no": c.contract_no,
                "facility_name": c.facility_name,
                "month": u.month,
                "kwh": u.kwh,
                "max_demand_kw": u.max_demand_kw,
                "contract_power_kw": u.contract_power_kw,
                "total": u.total,
                "invoice_amount": inv.amount if inv else None,
                "billing_addressee": c.billing_addressee,
            }
        )
    return Answer(
        "compare_sites", contract={"sites": sites} if sites else None, covers=("bill_inquiry",), task=task
    )


def _recheck(case: CaseFile, q: Question) -> Answer:
    contract = contract_of(case)
    latest = contract.usage[-1] if contract is not None and contract.usage else None
    return Answer(
        "recheck_reading",
        contract=(
            {
                "contract_no": contract.contract_no,
                "facility_name": contract.facility_name,
                "month": latest.month,
                "kwh": latest.kwh,
                "max_demand_kw": latest.max_demand_kw,
                "previous_kwh": contract.usage[-2].kwh if len(contract.usage) > 1 else None,
            }
            if contract is not None and latest is not None
            else None
        ),
        covers=("bill_inquiry", "usage_data"),
        task="検針値の確認を依頼（地域の送配電事業者の計量値と照合）",
    )


def _fuel_cap(case: CaseFile, q: Question) -> Answer:
    return Answer("fuel_cap", covers=("fee_calculation",))


def _late_charge(case: CaseFile, q: Question) -> Answer:
    contract = contract_of(case)
    unpaid = (
        [
            {"billing_month": i.billing_month, "amount": i.amount, "due_date": i.due_date}
            for i in contract.invoices
            if not i.paid
        ]
        if contract is not None
        else []
    )
    return Answer(
        "late_charge",
        contract={"unpaid": unpaid} if contract is not None else None,
        task="支払遅延時の延滞金の扱いを確認し回答（ガイドに記載なし）",
    )


def callback_day(today: dt.date) -> dt.date:
    """The business day by which the desk calls back: the next business day after the message arrived."""
    return next_business_day(today + dt.timedelta(days=1))


_HOUR = re.compile(r"(午前|午後)?(\d{1,2})(?:時|:\d{2})")
# English: "after 2 pm", "around 10:30 a.m.", "after 16:00".
_HOUR_EN = re.compile(r"(\d{1,2})(?::\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)


def wished_hour(when: str) -> int | None:
    """The hour (0–23) a callback wish starts at: 「午後3時以降」 → 15, 「17:30から」 → 17, "after 3 pm" → 15;
    None for 「午前中」 or "in the morning"."""
    m = _HOUR.search(when)
    if m is not None and not re.search(r"[A-Za-z]", when):
        hour = int(m.group(2))
        return hour + 12 if m.group(1) == "午後" and hour < 12 else hour
    m = _HOUR_EN.search(when)
    if m is None:
        return None
    hour = int(m.group(1))
    return hour + 12 if (m.group(2) or "").lower().startswith("p") and hour < 12 else hour


def closing_hour(hours_text: str) -> int | None:
    """The hour the desk closes, read from its hours text (「平日 9:00～12:00／13:00～17:00」 → 17)."""
    hours = [int(h) for h in re.findall(r"(\d{1,2}):\d{2}", hours_text)]
    return max(hours) if hours else None


def _as_written(text: str, digits: str) -> str:
    """The phone number as the customer wrote it (「03-1234-5678」), found by its digits; else the digits."""
    for m in re.finditer(r"[0-9０-９][0-9０-９()（）\-－‐−ー ]{7,}[0-9０-９]", text):
        if re.sub(r"\D", "", m.group().translate(_FULL_DIGITS)) == digits:
            return m.group().strip()
    return digits


_FULL_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _callback(case: CaseFile, q: Question, closes_at: int | None) -> Answer:
    phone = entity(case, "phone") or (case.form or {}).get("お電話番号", "")
    if phone.isdigit():
        phone = _as_written(case.understanding.body, phone)
    when = case.understanding.said.get("callback_time", "")
    day = callback_day(case.today)
    hour = wished_hour(when)
    outside = hour is not None and closes_at is not None and hour >= closes_at
    return Answer(
        "callback",
        facts={"by": day, "time": when, "phone": phone, "outside_hours": outside},
        notes=(f"ご希望の時間（{when}）は受付時間外です。対応の可否を判断してください。",) if outside else (),
        task=f"折り返し電話：{day.isoformat()}の受付時間内{('（希望 ' + when + '）') if when else ''}",
    )


def _by_procedure(case: CaseFile, q: Question) -> Answer | None:
    """Asked without naming anything to check: the procedure's own section is the answer."""
    return None


_ANSWERS: dict[str, Callable[[CaseFile, Question], Answer | None]] = {
    "due_date_check": _due_date_check,
    "due_date_when": _by_procedure,
    "overage_amount": _overage,
    "penalty_amount": _penalty_per_contract,
    "power_increase_effect": _power_increase,
    "compare_sites": _compare_sites,
    "recheck_reading": _recheck,
    "fuel_cap": _fuel_cap,
    "late_charge": _late_charge,
}


def answer_questions(case: CaseFile, *, closes_at: int | None = None) -> list[Answer]:
    """One answer per question the case can answer, in the order asked; a callback always comes last.
    ``closes_at`` is the hour the desk closes (a callback wished for later is said to be outside hours)."""
    answers = [
        a
        for q in case.understanding.questions
        if (a := _callback(case, q, closes_at) if q.kind == "callback" else _ANSWERS[q.kind](case, q))
        is not None
    ]
    if not case.verified:
        answers = [Answer(a.kind, a.facts, None, a.covers, a.notes, a.task) for a in answers]
    return sorted(answers, key=lambda a: a.kind == "callback")
