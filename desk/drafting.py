"""Draft a reply: resolve the facts of every intent, render one template per intent, compose them into one
business-Japanese email (and the same text as a Slack-safe preview). An English inquiry gets the same reply
in English (``templates/en/``); what staff read (missing list, notes) stays Japanese.

Wording lives in ``templates/`` (``layout.j2`` + ``intents/<id>.j2``, and the same under ``en/``); this module
only decides what goes in: the language, the order of the sections, the addressee, the single list of items
to ask for, and the staff notes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from desk import english, noninquiry
from desk.answers import Answer, answer_questions, closing_hour
from desk.casefile import UNVERIFIED_SENDER_NOTE, CaseFile
from desk.errors import IdentityError, InputError
from desk.render import render, slack_escape, tidy
from desk.resolvers import resolve
from desk.resolvers.base import ID_NEEDS, IntentFacts, Need, canonical_key, given_keys
from intents.knowledge import Knowledge
from intents.model import INTENT_IDS

__all__ = ["INTENT_LABELS", "DeskInfo", "DraftContent", "draft_reply", "leftover_problems", "order_intents"]


@dataclass(frozen=True, slots=True)
class DeskInfo:
    """Who the desk is, as written in replies (built from ``bot.settings.DeskSettings`` by the caller)."""

    company: str
    desk_name: str
    phone: str
    fax: str
    hours_text: str
    email: str
    portal_url: str
    # The same, as English replies write them; empty falls back to the Japanese value.
    company_en: str = ""
    desk_name_en: str = ""
    hours_text_en: str = ""

    def in_english(self) -> DeskInfo:
        """The desk as English templates see it: ``company``/``desk_name``/``hours_text`` in English."""
        return replace(
            self,
            company=self.company_en or self.company,
            desk_name=self.desk_name_en or self.desk_name,
            hours_text=self.hours_text_en or self.hours_text,
        )


@dataclass(frozen=True, slots=True)
class DraftContent:
    intents: list[str]
    subject: str
    text: str  # the email text
    preview: str  # the same draft as Slack-safe mrkdwn
    facts: dict[str, Any]  # JSON-serialisable key facts per intent, for the staff card
    missing: list[str]  # Japanese labels of what the reply asks the customer for
    notes: list[str]  # staff-only remarks (Japanese)
    urgent: bool
    discloses_contract: bool = False  # some section carries store data (only ever true when verified)
    language: str = "ja"  # the language of subject and text ("ja" | "en")


# Fallback labels (domain.md § Intent taxonomy) for when a knowledge file has none for an intent.
INTENT_LABELS: dict[str, str] = {
    "mypage_login": "マイページのログイン",
    "password_reset": "パスワードの再設定",
    "account_info_change": "会員情報・メールアドレスの変更",
    "usage_data": "ご使用量・30分値データ",
    "bill_inquiry": "ご請求金額・料金明細",
    "invoice_download": "請求書のダウンロード",
    "billing_address_change": "請求書の送付先・宛名の変更",
    "payment_method": "お支払方法・引落口座の変更",
    "payment_due_date": "引落日・振込期日",
    "consolidated_billing": "おまとめ請求",
    "fee_calculation": "電気料金の算定方法",
    "voltage_frequency": "供給電圧・周波数",
    "name_change": "名義変更",
    "pas_open": "PASの開放・投入",
    "equipment_work": "受電設備の工事・変更",
    "contract_power": "契約電力・契約超過金",
    "usage_change": "ご使用状況の変更・ご契約の見直し",
    "cancellation": "ご解約・解約違約金",
    "terms": "電気需給約款",
    "outage": "停電・緊急時のご連絡",
    "other": "お問い合わせ",
}


def order_intents(intents: Sequence[str]) -> list[str]:
    """Outage first (safety before anything else), then the customer's own order, ``other`` last.

    Duplicates are dropped; ``other`` is dropped when a real intent is present, because every section
    already answers something concrete and a generic "we will get back to you" would contradict it.
    """
    seen: list[str] = []
    for intent in intents:
        if intent not in INTENT_IDS:
            raise InputError(f"未知の問い合わせ区分です: {intent}")
        if intent not in seen:
            seen.append(intent)
    if not seen:
        return ["other"]
    ordered = [i for i in seen if i == "outage"] + [i for i in seen if i not in ("outage", "other")]
    return ordered or ["other"]


def _label(knowledge: Knowledge, intent: str) -> str:
    info = knowledge.get(intent)
    return INTENT_LABELS[intent] if info is None else info.label


_COMPANY_MARKERS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "(株)",
    "（株）",
    "法人",
    "組合",
)


# Display names that name nobody: a form's or mail client's placeholder is not a 宛名.
_PLACEHOLDER_NAMES = frozenset(
    {"問い合わせ者", "お問い合わせ者", "お客様", "お客さま", "ご担当者", "担当者", "名無し"}
)


def _real_name(name: str) -> str:
    name = name.strip()
    return "" if name in _PLACEHOLDER_NAMES or "@" in name else name


def _addressee(case: CaseFile) -> list[str]:
    """The 宛名 lines: company + person 様, company 御中, person 様, or お客さま.

    The store's customer name comes first for a verified sender; otherwise the company and person the
    message is signed with (signature or self-introduction), then the form's お名前 or the display name."""
    said = case.understanding.said
    form_name = _real_name((case.form or {}).get("お名前", ""))
    signed_person = said.get("signer_name", "")
    person = _real_name(case.sender_name) or form_name or signed_person
    if case.verified and case.customer is not None:
        person = person or case.customer.contact_person.strip()
        company = case.customer.name.strip()
        if person and person != company:
            return [company, f"{person} 様"]
        return [f"{company} 御中"]
    company = said.get("signer_company", "")
    if company and person and person != company and not any(m in person for m in _COMPANY_MARKERS):
        return [company, f"{person} 様"]
    if person:
        if any(marker in person for marker in _COMPANY_MARKERS):
            return [f"{person} 御中"]
        return [f"{person} 様"]
    if company:
        return [f"{company} 御中"]
    return ["お客さま"]


# Company names written in Latin letters (an English sender's signature).
_COMPANY_MARKERS_EN = re.compile(
    r"\b(co\.?,? ?ltd|ltd|limited|inc|corp|corporation|company|k\.?k|llc|gmbh|plc|group|holdings)\b\.?",
    re.IGNORECASE,
)


def _addressee_en(case: CaseFile) -> tuple[list[str], str]:
    """English: the lines above the salutation (the company) and whom "Dear …," names. Unverified, the
    signature's company and person come before the display name (which is often a placeholder)."""
    said = case.understanding.said
    form_name = _real_name((case.form or {}).get("お名前", ""))
    person = _real_name(case.sender_name) or form_name or said.get("signer_name", "")
    if case.verified and case.customer is not None:
        person = person or case.customer.contact_person.strip()
        company = case.customer.name.strip()
        if person and person != company:
            return [company], person
        return [company], "Sir or Madam"
    signed_company = said.get("signer_company", "")
    if signed_company and person and person != signed_company:
        return [signed_company], person
    if person:
        if any(marker in person for marker in _COMPANY_MARKERS) or _COMPANY_MARKERS_EN.search(person):
            return [person], "Sir or Madam"
        return [], person
    return ([signed_company] if signed_company else []), "Sir or Madam"


def _compact(name: str) -> str:
    return re.sub(r"[\s　]", "", name)


_LATIN = re.compile(r"[A-Za-z]")


def _signer_note(case: CaseFile) -> str | None:
    """A staff note when the person who signed is not the customer's registered contact."""
    if not case.verified or case.customer is None or not case.customer.contact_person.strip():
        return None
    signer = case.understanding.said.get("signer_name", "") or _real_name(case.sender_name)
    registered = case.customer.contact_person
    if not signer or _compact(signer) in _compact(registered) or _compact(registered) in _compact(signer):
        return None
    if bool(_LATIN.search(signer)) != bool(_LATIN.search(registered)):
        return None  # "Mariko Takada" and 「高田 真理子」 cannot be compared by spelling: no note rather than a false one
    return f"署名の「{signer}」さまは登録のご担当者（{registered}）と異なります。担当者変更の有無をご確認ください。"


_RE_PREFIX = re.compile(r"^\s*(re|ｒｅ|RE|Re)\s*[:：]", re.IGNORECASE)


def _subject(original: str, label: str, company: str, language: str = "ja") -> str:
    original = original.strip()
    if original:
        return original if _RE_PREFIX.match(original) else f"Re: {original}"
    if language == "en":
        return f"[{company}] Your inquiry: {label}"
    return f"【{company}】{label}についてのご案内"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _identity_missing(case: CaseFile, results: list[IntentFacts]) -> tuple[Need, ...]:
    if case.verified or not any(r.needs_identity for r in results):
        return ()
    known = given_keys(case)
    return tuple(n for n in ID_NEEDS if n.key not in known)


def _merge_missing(first: Sequence[Need], results: list[IntentFacts]) -> list[Need]:
    seen_keys: set[str] = set()
    seen_labels: set[str] = set()
    needs: list[Need] = []
    for need in [*first, *(n for r in results for n in r.missing)]:
        key = canonical_key(need.key)
        if key in seen_keys or need.label in seen_labels:
            continue
        seen_keys.add(key)
        seen_labels.add(need.label)
        needs.append(need)
    return needs


def _notes(case: CaseFile, results: list[IntentFacts]) -> list[str]:
    notes = [n for n in case.notes if n != UNVERIFIED_SENDER_NOTE]
    if not case.verified:
        notes.append(
            "本人確認未了：送信元が登録済みの連絡先と確認できないため、契約固有の情報は返信に含めていません。"
        )
    if case.unknown_ids:
        notes.append(f"本文の番号 {'、'.join(case.unknown_ids)} は登録がありません（誤記の可能性）。")
    for r in results:
        notes += [n for n in r.notes if n not in notes]
    return notes


# A question names its procedure even when the classifier read the message as another one (「費用はいくら」 in a
# cancellation mail read as a bill inquiry): the procedure whose facts answer it joins the reply, first.
_QUESTION_INTENT = {
    "penalty_amount": "cancellation",
    "overage_amount": "contract_power",
    "due_date_check": "payment_due_date",
    "due_date_when": "payment_due_date",
    "fuel_cap": "fee_calculation",
    "recheck_reading": "bill_inquiry",
    "compare_sites": "bill_inquiry",
    "power_increase_effect": "usage_change",
}


def implied_intents(case: CaseFile) -> list[str]:
    """The understood intents, with those the questions imply put first, and ``outage`` when nothing else
    was understood but the text says the power is off now or was off (an outage that is over is answered
    by the outage section's "restored" wording, not by a generic "we will get back to you")."""
    understood = case.understanding.intent_ids
    said = case.understanding.said
    implied = [_QUESTION_INTENT[q.kind] for q in case.understanding.questions if q.kind in _QUESTION_INTENT]
    if understood in ([], ["other"]) and said.get("outage_state") in ("ongoing", "over"):
        implied.append("outage")
    if understood in ([], ["other"]) and (said.get("cancel_request") or said.get("notice_sent")):
        # A request to end the contract or a cancellation notice sent is about cancelling, even when the
        # classifier did not read the message (an English one, often). A reason alone is not: "we are moving
        # our head office" may be a billing-address change.
        implied.append("cancellation")
    return [*(i for i in implied if i not in understood), *understood]


def situation(case: CaseFile) -> str:
    """How the reply opens: ``complaint``, ``follow_up`` (a reply in a thread, or the text says so) or ``first``."""
    said = case.understanding.said.get("situation")
    if said == "complaint":
        return "complaint"
    if case.follow_up or said == "follow_up":
        return "follow_up"
    return "first"


def _answer_notes(case: CaseFile, answers: list[Answer], mood: str) -> list[str]:
    notes = [n for a in answers for n in a.notes]
    notes += [f"【対応依頼】{a.task}" for a in answers if a.task]
    if mood == "complaint":
        notes.append("苦情のお申し出です。責任者へエスカレーションし、お詫びのうえ対応してください。")
    signer_note = _signer_note(case)
    if signer_note:
        notes.append(signer_note)
    return notes


def _render_answers(case: CaseFile, answers: list[Answer], desk: DeskInfo, prefix: str = "") -> list[str]:
    return [
        tidy(
            render(
                f"{prefix}answers/{a.kind}.j2",
                f=a.facts,
                c=a.contract,
                desk=desk,
                verified=case.verified,
                today=case.today,
                channel=case.channel,
            )
        ).rstrip("\n")
        for a in answers
    ]


def _check_disclosure(case: CaseFile, results: list[IntentFacts]) -> None:
    leaking = [r.intent for r in results if r.contract is not None]
    if leaking and not case.verified:
        raise IdentityError(f"本人確認前の下書きに契約情報が含まれようとしました（{', '.join(leaking)}）")


def draft_reply(
    case: CaseFile,
    *,
    desk: DeskInfo,
    knowledge: Knowledge,
    original_subject: str = "",
    intents: Sequence[str] | None = None,
    notice: str = "",
) -> DraftContent:
    """Draft the reply to one inquiry. ``intents`` overrides the understood ones (staff re-route);
    ``notice`` is a paragraph staff approved for an outage incident, placed before the sections.

    The reply is in the inquiry's language (``case.understanding.language``): English templates under
    ``templates/en/`` for ``"en"``, Japanese otherwise. Facts, identity rule and the Japanese ``missing``
    and ``notes`` for staff are the same in both. A reply opens with the direct answers to the questions
    asked (``desk.answers``); an intent whose question is answered there loses its general text. The opening
    and closing follow the situation (first inquiry, follow-up, complaint) in either language."""
    ids = order_intents(list(intents) if intents is not None else implied_intents(case))
    if ids == ["other"]:
        own = _non_inquiry_reply(case, desk=desk, original_subject=original_subject)
        if own is not None:
            return own
    all_results = [resolve(intent, case, knowledge) for intent in ids]
    _check_disclosure(case, all_results)
    language = english.normalise_language(case.understanding.language)
    prefix = "en/" if language == "en" else ""
    shown_desk = desk.in_english() if language == "en" else desk
    # Answers and situations are the same in both languages; only their wording differs
    # (templates/answers/ and templates/en/answers/, layout.j2 and en/layout.j2).
    answers = answer_questions(case, closes_at=closing_hour(desk.hours_text))
    if not case.verified and any(a.contract for a in answers):
        raise IdentityError("本人確認前の下書きに契約情報が含まれようとしました（回答）")
    mood = situation(case)
    covered = {i for a in answers for i in a.covers}
    if answers:
        # An answer is something concrete: the generic "a member of staff will get back to you" of ``other``
        # would only contradict it.
        covered.add("other")
    results = [r for r in all_results if r.intent not in covered]
    if mood == "complaint":
        # An apology and an escalation, not a procedure: only safety text (an outage) stays.
        results = [r for r in results if r.intent == "outage"]
    id_missing = _identity_missing(case, all_results)
    needs = _merge_missing(id_missing, results)
    missing = [n.label for n in needs]
    urgent = any(r.urgent for r in all_results)
    answer_texts = _render_answers(case, answers, shown_desk, prefix)
    sections = [
        {
            "intent": r.intent,
            "label": english.intent_label(r.intent) if language == "en" else _label(knowledge, r.intent),
            "body": tidy(
                render(
                    f"{prefix}intents/{r.intent}.j2",
                    f=r.facts,
                    c=r.contract,
                    k=knowledge.get(r.intent),
                    desk=shown_desk,
                    verified=case.verified,
                    today=case.today,
                    channel=case.channel,
                )
            ).rstrip("\n"),
        }
        for r in results
    ]
    if language == "en":
        above, dear = _addressee_en(case) if case.channel != "slack" else ([], "")
        layout: dict[str, Any] = {"addressee": above, "dear": dear}
        asked = [english.need_label(n) for n in needs]
    else:
        layout = {"addressee": _addressee(case) if case.channel != "slack" else []}
        asked = missing
    text = tidy(
        render(
            f"{prefix}layout_staff.j2" if case.staff else f"{prefix}layout.j2",
            **layout,
            answers=answer_texts,
            situation=mood,
            sections=sections,
            missing=asked,
            ask_identity=bool(id_missing),
            identity_pending=not case.verified and any(r.needs_identity for r in results),
            # Only a verified sender hears that a number is not theirs: to anyone else it would confirm
            # which numbers exist.
            unknown_ids=list(case.unknown_ids) if case.verified else [],
            urgent=urgent,
            desk=shown_desk,
            channel=case.channel,
            notice=notice.strip(),
        )
    )
    first_label = english.intent_label(ids[0]) if language == "en" else _label(knowledge, ids[0])
    label = sections[0]["label"] if sections else first_label
    facts = {r.intent: {**r.facts, **(r.contract or {})} for r in all_results if r.facts or r.contract}
    facts.update({f"answer:{a.kind}": {**a.facts, **(a.contract or {})} for a in answers})
    return DraftContent(
        intents=ids,
        subject=_subject(original_subject, label, shown_desk.company, language),
        text=text,
        preview=slack_escape(text),
        facts=_jsonable(facts),
        missing=missing,
        notes=_notes(case, all_results) + _answer_notes(case, answers, mood),
        urgent=urgent,
        discloses_contract=any(r.contract for r in results) or any(a.contract for a in answers),
        language=language,
    )


def _non_inquiry_reply(case: CaseFile, *, desk: DeskInfo, original_subject: str) -> DraftContent | None:
    """The reply of its own that a non-inquiry's reason asks for (desk/noninquiry.py): a short template
    (misdirected mail) or a blank frame a person fills in (a complaint); None for the generic ``other`` draft.

    Neither takes a fact of the case file, so nothing of a contract can reach an unproven sender here."""
    reason = case.understanding.other_reason
    handling = noninquiry.handling_of(reason)
    if handling.reply not in ("template", "blank"):
        return None
    language = english.normalise_language(case.understanding.language)
    prefix = "en/" if language == "en" else ""
    shown_desk = desk.in_english() if language == "en" else desk
    if language == "en":
        above, dear = _addressee_en(case) if case.channel != "slack" else ([], "")
        layout: dict[str, Any] = {"addressee": above, "dear": dear}
    else:
        layout = {"addressee": _addressee(case) if case.channel != "slack" else []}
    if handling.reply == "blank":
        text = tidy(
            render(
                f"{prefix}other/blank.j2",
                **layout,
                blank=noninquiry.BLANK_MARK,
                desk=shown_desk,
                channel=case.channel,
            )
        )
    else:
        body = tidy(render(f"{prefix}other/{reason}.j2", desk=shown_desk, channel=case.channel)).rstrip("\n")
        section = {"intent": "other", "label": handling.label, "body": body}
        text = tidy(
            render(
                f"{prefix}layout.j2",
                **layout,
                answers=[],
                situation="first",
                sections=[section],
                missing=[],
                ask_identity=False,
                identity_pending=False,
                unknown_ids=[],
                urgent=False,
                desk=shown_desk,
                channel=case.channel,
                notice="",
            )
        )
    label = english.intent_label("other") if language == "en" else INTENT_LABELS["other"]
    return DraftContent(
        intents=["other"],
        subject=_subject(original_subject, label, shown_desk.company, language),
        text=text,
        preview=slack_escape(text),
        facts={},
        missing=[],
        notes=[],
        urgent=handling.urgent,
        discloses_contract=False,
        language=language,
    )


_LEFTOVERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\{\{|\}\}"), "差し込み記号（{{ }}）が残っています"),
    (re.compile(r"\{%|%\}"), "テンプレートの制御記号（{% %}）が残っています"),
    (re.compile(r"\{#|#\}"), "テンプレートのコメント記号（{# #}）が残っています"),
    (re.compile(r"Undefined"), "未定義の値（Undefined）が表示されています"),
    (re.compile(r"(?<![A-Za-z])None(?![A-Za-z])"), "値のない項目（None）が表示されています"),
    (re.compile(r"(?<![A-Za-z])(nan|NaN)(?![A-Za-z])"), "数値でない値（nan）が表示されています"),
    (re.compile(r"TODO|FIXME|XXX"), "作業用の書き込み（TODO など）が残っています"),
    (re.compile(r"DEBUG"), "デバッグ用の書き込み（DEBUG）が残っています"),
    (re.compile(re.escape(noninquiry.BLANK_MARK)), "記入欄（返信の本文）がまだ空のままです"),
    (re.compile(r"<class |<object |object at 0x"), "プログラムの内部表現（<class …>）が表示されています"),
    (re.compile(r"Traceback \(most recent call last\)"), "エラーの詳細（Traceback）が含まれています"),
    (
        re.compile(r"^\s*File \".*\", line \d+", re.MULTILINE),
        "エラーの詳細（ファイルと行番号）が含まれています",
    ),
    (re.compile(r"Decimal\(|datetime\.date\("), "プログラムの内部表現（Decimal/date）が表示されています"),
)


def leftover_problems(text: str, customer_text: Sequence[str] = ()) -> list[str]:
    """What in a reply must not reach a customer (unrendered placeholders, debug output), in Japanese.

    An empty list means the text passed. Used as the last check before sending, on staff-edited text too.
    ``customer_text`` is what the customer wrote themselves that a reply may quote (their name, their
    subject): braces or "None" typed into a form's name field are theirs, not a template leftover, so those
    exact strings are taken out before the check and a real customer is never refused by accident.
    """
    for quoted in sorted({t for t in customer_text if t and t.strip()}, key=len, reverse=True):
        text = text.replace(quoted, " ")
    return [message for pattern, message in _LEFTOVERS if pattern.search(text)]
