"""What every resolver returns, and the helpers they share (entities, the verified contract, what is missing).

A resolver is a pure function ``resolve(case, knowledge) -> IntentFacts``. It splits what it computed in two:

* ``facts``: safe for anyone — general rules and values derived only from what the sender wrote
  (e.g. the notice deadline for the date they asked about);
* ``contract``: anything read from the store about a contract or customer (amounts, dates, settings,
  facility names). It must be ``None`` unless ``case.verified``; :func:`desk.drafting.draft_reply` refuses
  to render otherwise, so a resolver bug cannot leak contract data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from desk.casefile import CaseFile, ContractView
from intents.knowledge import IntentKnowledge, Knowledge
from intents.model import ENTITY_KEYS

__all__ = [
    "ID_NEEDS",
    "IntentFacts",
    "Need",
    "contract_of",
    "entity",
    "entity_date",
    "given_keys",
    "intent_knowledge",
    "missing_needs",
]


@dataclass(frozen=True, slots=True)
class Need:
    key: str
    label: str  # Japanese, as the reply asks for it


# The identifiers a reply asks for when the sender is not verified (domain.md § Identifiers).
ID_NEEDS: tuple[Need, ...] = (Need("customer_no", "お客さま番号"), Need("contract_no", "契約番号"))


@dataclass(frozen=True, slots=True)
class IntentFacts:
    intent: str
    facts: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] | None = None  # store data; only when the case is verified
    missing: tuple[Need, ...] = ()
    notes: tuple[str, ...] = ()
    urgent: bool = False
    # The full answer depends on contract data: an unverified sender is asked for the identifiers.
    needs_identity: bool = False


def intent_knowledge(knowledge: Knowledge, intent: str) -> IntentKnowledge | None:
    return knowledge.get(intent)


def entity(case: CaseFile, key: str) -> str | None:
    value = case.understanding.entities.get(key)
    return value or None


def entity_date(case: CaseFile, key: str = "date") -> dt.date | None:
    value = entity(case, key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def contract_of(case: CaseFile) -> ContractView | None:
    """The one contract in question, but only for a verified sender; None otherwise."""
    return case.contract if case.verified else None


_CONTRACT_KEYS = frozenset({"contract", "contract_no", "supply_point_id", "facility", "site", "contracts"})
_DATE_KEYS = frozenset({"date", "desired_date", "change_date", "work_date", "open_date"})

_DATE_WORDS = r"(\d{1,2}月|\d{1,2}日|来月|今月|月末|明日|明後日|来週)"

# Need keys answered by the wording of the message itself (the body the classifier read). Every need key a
# knowledge file declares is recognised here or in given_keys (tests/desk/resolvers checks it), so a reply
# never asks for something the customer wrote.
_TEXT_DETECTORS: dict[str, re.Pattern[str]] = {
    "new_address": re.compile(r"〒|\d{3}-\d{4}|[都道府県].{1,8}[市区町村郡]"),
    "representative_address": re.compile(r"〒|\d{3}-\d{4}|[都道府県].{1,8}[市区町村郡]|本社|本店"),
    "new_addressee": re.compile(
        r"宛名は|宛名を|宛先は|あてに|宛てに|御中|様あて|部長|課長|担当者名|経理部|総務部|経理課"
    ),
    "effective_from": re.compile(r"\d{1,2}月|来月|今月|次回|翌月|から"),
    "period": re.compile(r"\d{1,2}月|\d{1,2}日|昨日|先月|今月|前日|期間|年分|か月分|ヶ月分"),
    "billing_month": re.compile(r"\d{1,2}月|先月|今月|前月|最新|直近"),
    "error_message": re.compile(r"「[^」]+」|エラー|表示され|と出"),
    "new_value": re.compile(r"@|〒|変更後|新しい|新住所|\d{2,4}-\d{2,4}-\d{3,4}"),
    "registered_email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "metering_day": re.compile(r"(計量日|検針日)[はがの：:]?\s*\d{1,2}日"),
    "payment_method": re.compile(r"振込|振り込み|引落|引き落とし"),
    "new_method": re.compile(r"振込|振り込み|引落|引き落とし|口座"),
    "max_demand": re.compile(r"\d+(\.\d+)?\s*(kW|ｋＷ|キロワット)", re.IGNORECASE),
    "work_details": re.compile(r"トランス|変圧器|kVA|キュービクル|受電設備|更新|増設|交換|改修|移設|容量"),
    "old_name": re.compile(r"現在の(社名|名義)|旧社名|(株式会社|有限会社|合同会社)"),
    "new_name": re.compile(
        r"新社名|新商号|新しい社名|新会社|「[^」]+」|(株式会社|有限会社|合同会社)\S{0,20}(に|へ)"
    ),
    "debit_account_change": re.compile(r"口座"),
    "billing_address_change": re.compile(r"送付先|宛名|宛先|送り先"),
    "change_details": re.compile(
        r"増設|減ら|減少|増加|停止|閉鎖|稼働|新設|ライン|フロア|拡張|縮小|休止|撤去|週\d日"
    ),
    "change_date": re.compile(_DATE_WORDS),
    "close_date": re.compile(
        rf"(投入|再開|復電|戻す|再送電).{{0,20}}{_DATE_WORDS}|{_DATE_WORDS}.{{0,20}}(投入|再開|復電|戻す)"
    ),
    "topic": re.compile(r"約款|規約|改定|変更|違約金|条項|どこ"),
}


def canonical_key(key: str) -> str:
    """One key per thing asked for: every way of naming the contract is ``contract_no``."""
    return "contract_no" if key in _CONTRACT_KEYS else key


def given_keys(case: CaseFile) -> set[str]:
    """Need keys that the message or the store already answers (never asked again)."""
    # An identifier the store does not know was probably mistyped: it counts as not given, so it is asked again.
    # For an unverified sender it counts as given: asking again for exactly the unknown number would tell
    # them which numbers exist.
    unknown = set(case.unknown_ids) if case.verified else set()
    keys = {k for k, v in case.understanding.entities.items() if v and v not in unknown}
    form = case.form or {}
    verified_customer = case.verified and case.customer is not None
    if keys & {"contract_no", "supply_point_id"} or (case.verified and case.contract is not None):
        keys |= _CONTRACT_KEYS
    if verified_customer or "customer_no" in keys:
        keys |= {"customer_no", "contracts"}
    if "date" in keys:
        keys |= _DATE_KEYS
    if "cancel_reason" in keys:
        keys.add("reason")
    if case.verified and case.contract is not None:
        keys |= {"metering_day", "max_demand", "payment_method"}  # the store knows them
    if verified_customer:
        keys |= {"old_name", "representative_address"}
    if case.sender_name or form.get("お名前") or verified_customer:
        keys |= {"name", "company"}
    if form.get("お電話番号"):
        keys.add("phone")
    if "phone" in keys:
        keys.add("callback_phone")
    if case.channel == "email" or form.get("メールアドレス"):
        keys.add("email")
    if "name" in keys and keys & {"phone", "email"}:
        keys.add("contact")
    # What the question reader found the customer already said (intents.questions).
    said = case.understanding.said
    keys |= {key for s, key in _SAID_GIVES.items() if said.get(s)}
    keys |= _detected(case.understanding.body)
    return keys


_SAID_GIVES = {
    "metering_day": "metering_day",
    "cancel_reason": "reason",
    "name_only": "entity_changes",
    "payment_method": "payment_method",
    "excess_kw": "max_demand",
}


# Every match of these detectors contains one of the literals: without any of them the search is skipped.
# They are the slow ones: "[\w.+-]+@" tries every run of Japanese text (all \w) as the local part.
_DETECTOR_LITERALS: dict[str, tuple[str, ...]] = {
    "registered_email": ("@",),
    "close_date": ("投入", "再開", "復電", "戻す", "再送電"),
}


@lru_cache(maxsize=64)
def _detected(body: str) -> frozenset[str]:
    """The :data:`_TEXT_DETECTORS` keys the body answers. Cached: every resolver of a message, and the
    identity check, ask about the same body, and the ~20 searches cost more than the rest of a resolver."""
    return frozenset(
        key
        for key, pattern in _TEXT_DETECTORS.items()
        if (key not in _DETECTOR_LITERALS or any(w in body for w in _DETECTOR_LITERALS[key]))
        and pattern.search(body)
    )


def detectable_keys() -> frozenset[str]:
    """Need keys :func:`given_keys` can recognise as answered."""
    return frozenset(
        {
            *ENTITY_KEYS,
            *_CONTRACT_KEYS,
            *_DATE_KEYS,
            *_TEXT_DETECTORS,
            "reason",
            "name",
            "company",
            "callback_phone",
            "contact",
            "entity_changes",  # name_change resolver: the case read from the text
        }
    )


def missing_needs(
    case: CaseFile,
    needs: Iterable[Need],
    *,
    also_given: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> tuple[Need, ...]:
    """The needs the customer has not answered, in declaration order, without duplicates.

    ``also_given`` are keys a resolver found answered in its own way (e.g. the name-change case read from the
    text); ``skip`` are keys that do not apply to this case.
    """
    known = given_keys(case) | set(also_given) | set(skip)
    out: list[Need] = []
    seen: set[str] = set()
    for need in needs:
        if need.key in known or need.key in seen:
            continue
        seen.add(need.key)
        out.append(need)
    return tuple(out)


def declared_needs(knowledge: Knowledge, intent: str) -> tuple[Need, ...]:
    """The ``needs`` an intent declares in ``faq/intents/<id>.toml``."""
    info = intent_knowledge(knowledge, intent)
    if info is None:
        return ()
    return tuple(Need(n.key, n.label) for n in info.needs)
