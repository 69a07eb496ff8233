"""Question-level understanding: what exactly is asked, and what the customer already said.

The intent says which procedure a message is about; a senior agent also reads *what* is asked ("is the 10th
my deadline?", "how much is the overage for 20 kW?", "please check the meter reading", "call me back") and
what the customer already told us (the metering day, that the notice was already sent and when, that only the
name changes, that they switch to another retailer). Resolvers read both so the reply answers the question
and never asks again for what was given.

The patterns are data (``faq/questions.toml``); this module only applies them and reads the signature.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from intents.dates import DateMention, resolve_dates
from intents.dates_en import english_dates
from intents.model import Question

__all__ = ["QUESTION_KINDS", "SAID_KEYS", "QuestionPatterns", "extract_questions", "load_patterns", "signer"]

QUESTIONS_FILE = Path(__file__).resolve().parent.parent / "faq" / "questions.toml"

QUESTION_KINDS: tuple[str, ...] = (
    "due_date_check",
    "due_date_when",
    "overage_amount",
    "penalty_amount",
    "power_increase_effect",
    "compare_sites",
    "recheck_reading",
    "fuel_cap",
    "late_charge",
    "callback",
)
SAID_KEYS: tuple[str, ...] = (
    "metering_day",
    "payment_method",
    "cancel_reason",
    "cancel_request",
    "notice_sent",
    "notice_sent_on",
    "name_only",
    "excess_kw",
    "outage_state",
    "situation",
    "callback_time",
    "signer_company",
    "signer_name",
)


@dataclass(frozen=True, slots=True)
class _Rule:
    key: str
    value: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    # "en" when every pattern is English (written "(?i)…"), "ja" when none is, else "any": a rule is tried
    # only on a text that has its script, so each language pays only for its own patterns.
    script: str = "any"

    def match(self, text: str, whole: str | None = None) -> str | None:
        """The rule's value when a pattern matches ``text``, unless an exception matches ``whole`` (by
        default ``text`` itself)."""
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                # most rules find nothing, so their exceptions are searched only once a pattern has matched
                if any(u.search(text if whole is None else whole) for u in self.unless):
                    return None
                return found.groupdict().get("value") or self.value
        return None


@dataclass(frozen=True, slots=True)
class QuestionPatterns:
    questions: tuple[_Rule, ...]
    said: tuple[_Rule, ...]


def _compile(items: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in items)


def _script(patterns: list[str]) -> str:
    english = [p.startswith("(?i)") for p in patterns]
    return "en" if all(english) else "ja" if not any(english) else "any"


@lru_cache(maxsize=4)
def load_patterns(path: Path = QUESTIONS_FILE) -> QuestionPatterns:
    """Read and compile ``faq/questions.toml``; an unknown kind or key is a data error, said plainly."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    questions = []
    for q in data.get("question", []):
        if q["kind"] not in QUESTION_KINDS:
            raise ValueError(f"{path.name}: 未知の質問の種類です: {q['kind']}")
        questions.append(
            _Rule(
                q["kind"], "", _compile(q["patterns"]), _compile(q.get("unless", [])), _script(q["patterns"])
            )
        )
    said = []
    for s in data.get("said", []):
        if s["key"] not in SAID_KEYS:
            raise ValueError(f"{path.name}: 未知の項目です: {s['key']}")
        said.append(
            _Rule(
                s["key"],
                s.get("value", ""),
                _compile(s["patterns"]),
                _compile(s.get("unless", [])),
                _script(s["patterns"]),
            )
        )
    return QuestionPatterns(tuple(questions), tuple(said))


_LATIN_WORD = re.compile(r"[A-Za-z]{2}")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _latin_lines(text: str) -> str:
    """``text`` with every line that has no Latin word replaced by a NUL, which no pattern matches (so no
    match can newly join the lines around it)."""
    return "\n".join(line if _LATIN_WORD.search(line) else "\x00" for line in text.split("\n"))


def _fold(text: str) -> str:
    # Full-width digits and letters as ASCII (「１０日」→「10日」), as the patterns are written.
    return unicodedata.normalize("NFKC", text)


_COMPANY = re.compile(
    r"(?:株式会社|有限会社|合同会社|\(株\)|（株）|㈱|医療法人|社会福祉法人|学校法人|協同組合)"
)
_PERSON = re.compile(
    r"^(?:[^\s　]{1,20}[部課室][ 　]+)?(?P<name>[一-龥々]{1,4}[ 　]?[一-龥々]{1,4})(?:[ 　]*[（(][^）)]*[）)])?$"
)
_INTRO = re.compile(
    r"(?P<company>[^\s　。、]{0,20}(?:株式会社|有限会社|合同会社)[^\s　。、]{0,20}?)[ 　]*(?:[^\s　。、]{1,12}[部課室][ 　]*)?の[ 　]?"
    r"(?P<name>[一-龥々]{1,4}(?:[ 　][一-龥々]{1,4})?)(?:です|と申します|でございます)"
)
_NOT_NAMES = frozenset({"問い合わせ者", "お客様", "お客さま", "担当者", "ご担当者", "以上", "よろしく"})


_CLOSING_EN = re.compile(
    r"^(?:best|kind|warm|with best)?\s*(?:regards|wishes)|^(?:yours )?(?:sincerely|faithfully|truly)"
    r"|^(?:many )?thanks(?: again| and regards)?|^thank you|^best|^cheers|^respectfully",
    re.IGNORECASE,
)
_COMPANY_EN = re.compile(
    r"\b(?:co\.?,? ?ltd|ltd|limited|inc|corp|corporation|company|k\.?k|g\.?k|llc|gmbh|plc|group|holdings)\b\.?",
    re.IGNORECASE,
)
_PERSON_EN = re.compile(r"^(?:(?:Mr|Ms|Mrs|Dr)\.? )?[A-Z][a-zA-Z.\'-]*(?: [A-Z][a-zA-Z.\'-]*){1,3}$")
_NOT_PERSON_EN = re.compile(
    r"\b(?:department|dept|division|team|office|manager|director|section|desk|branch|group|tel|phone|e-?mail)\b",
    re.IGNORECASE,
)


def _signer_en(lines: list[str]) -> tuple[str, str]:
    """An English signature: the lines after the closing ("Best regards,"): a name line and a company line."""
    for i in range(len(lines) - 1, -1, -1):
        if _CLOSING_EN.match(lines[i]) and len(lines[i]) <= 40:
            block = [x for x in lines[i + 1 : i + 7] if x]
            break
    else:
        return "", ""
    company = next((x for x in block if _COMPANY_EN.search(x) and len(x) <= 60), "")
    person = next(
        (x for x in block if x != company and _PERSON_EN.match(x) and not _NOT_PERSON_EN.search(x)), ""
    )
    return company, person


def signer(text: str) -> tuple[str, str]:
    """``(company, person)`` the message is signed with or introduces itself as; empty strings when unseen.

    Read from the self-introduction (「株式会社ABCの山田です」) or the signature block (the last short lines:
    a company line and a name line; in English, the lines after "Best regards,")."""
    folded = _fold(text)
    # every company form _INTRO knows ends in 会社: one substring test spares its costly scan in most mail
    intro = _INTRO.search(folded) if "会社" in folded else None
    if intro:
        return intro["company"].strip(), intro["name"].strip()
    lines = [x.strip(" \t　") for x in folded.strip().splitlines()]
    tail = [x for x in lines[-8:] if x and not re.match(r"^[-‐－―─━=＝_＿*＊~～〜]{3,}", x)]
    company = next((x for x in tail if _COMPANY.search(x) and len(x) <= 40 and "。" not in x), "")
    if company:
        company = (
            re.split(r"[ 　]", company)[0] if _COMPANY.search(re.split(r"[ 　]", company)[0]) else company
        )
    person = ""
    for line in reversed(tail):
        m = _PERSON.match(line)
        if m and m["name"] not in _NOT_NAMES and not _COMPANY.search(line):
            person = m["name"]
            break
    if not company and not person:
        return _signer_en(lines)
    return company, person


def extract_questions(
    body: str, *, raw: str = "", received: date | None = None
) -> tuple[tuple[Question, ...], dict[str, str]]:
    """The questions asked in ``body`` (the cleaned text) and what it already says; ``raw`` (the whole
    message) is read for the signer only."""
    patterns = load_patterns()
    text = _fold(body)
    present = {"any"}
    if _LATIN_WORD.search(text):
        present.add("en")
    if _JAPANESE.search(text):
        present.add("ja")
    # English patterns never span lines, so in a Japanese text they are searched only on its lines with Latin
    # words (an address, a contract number, a quoted English line): case-insensitive patterns have no fast
    # literal scan, and on the whole text they cost more than every Japanese rule together.
    latin_lines = _latin_lines(text) if "en" in present and "ja" in present else text
    questions: list[Question] = []
    for rule in patterns.questions:
        if rule.script not in present:
            continue
        value = rule.match(latin_lines, text) if rule.script == "en" else rule.match(text)
        if value is not None and all(q.kind != rule.key for q in questions):
            questions.append(Question(rule.key, value))
    said: dict[str, str] = {}
    for rule in patterns.said:
        if rule.key in said or rule.script not in present:
            continue
        value = rule.match(latin_lines, text) if rule.script == "en" else rule.match(text)
        if value is not None:
            said[rule.key] = value
    if "notice_sent" in said and received is not None:
        sent_on = _notice_date(text, received)
        if sent_on is not None:
            said["notice_sent_on"] = sent_on.isoformat()
    company, person = signer(raw or body)
    if company:
        said["signer_company"] = company
    if person:
        said["signer_name"] = person
    if not any(q.kind == "callback" for q in questions):
        said.pop("callback_time", None)  # a time of day means a call time only when a call is asked for
    return tuple(questions), said


_NOTICE_NEAR = re.compile(r"通知|送付|提出|郵送|送り|出し|発送|申し出|申出|\bnotice\b", re.IGNORECASE)
_SENT = re.compile(
    r"済|しました|いたしました|ました|\b(?:sent|submitted|mailed|posted|faxed)\b", re.IGNORECASE
)


def _notice_date(text: str, received: date) -> date | None:
    """The date written next to the words of sending the notice (「5月20日に解約通知書を送付しました」,
    "we sent the cancellation notice on 20 May")."""
    for sentence in re.split(r"[。\n]|(?<=[.!?])\s", text):
        if not _NOTICE_NEAR.search(sentence) or not _SENT.search(sentence):
            continue
        written = [
            m.date
            for m in resolve_dates(sentence, received=received)
            if not _the_requests_day(m, sentence, received)
        ] + english_dates(sentence, received=received)
        # A date without a year is read forward; a notice already sent lies in the past.
        for day in (d if d <= received else _year_earlier(d) for d in written):
            if day <= received:
                return day
    return None


# 「R9.3.31付での解約」「10月末で解約する予定で、通知書は提出済み」: the day the contract ends, not the notice's.
_ENDS_ON_AFTER = re.compile(r"\s*(?:付|で|を?もって|まで|限り)")


def _the_requests_day(mention: DateMention, sentence: str, received: date) -> bool:
    """A day ahead written with its year, or marked as the day the contract ends (付, で, をもって), is the
    cancellation's own day: a notice already sent is never dated ahead of the day received."""
    ahead = mention.date > received
    return ahead and (mention.kind != "month_day" or bool(_ENDS_ON_AFTER.match(sentence, mention.end)))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29
        return day.replace(year=day.year - 1, day=28)
