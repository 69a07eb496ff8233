"""One call from raw message text to :class:`intents.model.Understanding`, plus the evaluation arithmetic
used by ``madoguchi eval``."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intents.addressee import addressed_elsewhere, load_addressees
from intents.classifier import OTHER, Classifier, Decision, LabelledExample
from intents.cleanup import body_for_classification, clean_body
from intents.closing import asks_something
from intents.dates import resolve_dates
from intents.dates_en import english_dates, requested_date
from intents.entities import (
    date_allowed,
    english_least,
    extract_entities,
    load_background_sentence,
    may_have_a_date,
    points_to_subject,
    reason_withheld,
    site_work,
)
from intents.form import parse_form
from intents.knowledge import Knowledge
from intents.language import detect_language
from intents.model import IntentScore, Understanding
from intents.questions import extract_questions
from intents.reason_model import model_reason

FORM_CHANNELS = ("email", "form")
# 「Re:」「RE：」「返信:」, also after a forward mark ("Fw: Re: …"): the subject of a reply in a thread
_REPLY_SUBJECT = re.compile(
    r"^\s*(?:(?:fwd?|転送)\s*[:：]\s*)*(?:re|返信)\s*(?:\[\d+\])?\s*[:：]", re.IGNORECASE
)


@dataclass(frozen=True)
class Prepared:
    """What the classifier reads: the cleaned body, and the form's fields when the text is a form."""

    body: str
    form: dict[str, str] | None
    form_checked: bool = False  # True when ``form`` is None because the text was parsed and is no form


def prepare(text: str, *, channel: str = "email") -> Prepared:
    if channel not in FORM_CHANNELS:
        return Prepared(body=body_for_classification(text), form=None)
    form = parse_form(text)
    if form is not None and form["body"].strip():
        return Prepared(body=body_for_classification(form["body"]), form=form)
    if form is None or not form["body"]:
        # body_for_classification(text) would parse the form again only to reach the same text
        return Prepared(body=clean_body(text), form=form, form_checked=form is None)
    return Prepared(body=body_for_classification(text), form=form)


class Understander:
    """Loads the classifier once; :meth:`understand` is then cheap and safe to call from any thread."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier

    @classmethod
    def load(
        cls, knowledge: Knowledge | None = None, *, threshold: float = 0.5, max_intents: int = 3
    ) -> Understander:
        load_addressees()  # a broken faq/addressees.toml is said at start-up, not at the first message
        return cls(Classifier.load(knowledge, threshold=threshold, max_intents=max_intents))

    def understand(
        self, text: str, *, subject: str = "", channel: str = "email", received: date
    ) -> Understanding:
        prepared = prepare(text, channel=channel)
        decision = self._decide(text, prepared, subject=subject, channel=channel)
        intents = decision.intents
        questions, said = extract_questions(prepared.body, raw=text, received=received)
        entities = _entities(
            text, prepared, [i.intent for i in intents], decision.other_reason, said, received, subject
        )
        return Understanding(
            intents=intents,
            entities=entities,
            body=prepared.body,
            language=detect_language(f"{subject}\n{prepared.body}" if subject else prepared.body),
            other_reason=decision.other_reason,
            candidates=decision.candidates,
            questions=questions,
            said=said,
        )

    def _decide(self, text: str, prepared: Prepared, *, subject: str, channel: str) -> Decision:
        """The classifier's decision, then what the message's frame says: a thank-you under a reply subject,
        mail addressed to another utility."""
        category = (prepared.form.get("category") if prepared.form else None) or None
        decision = self.classifier.decide_full(
            prepared.body, subject=subject, channel=channel, form_category=category
        )
        if (
            _REPLY_SUBJECT.match(subject)
            and decision.intents[0].intent != OTHER
            and not asks_something(prepared.body)
        ):
            # A reply's subject names the thread's old topic ("Re: Cancellation penalty …"); a body that asks
            # nothing and reads as thanks on its own closes that thread rather than asking about the topic again.
            alone = self.classifier.decide_full(prepared.body, channel=channel, form_category=category)
            if alone.other_reason == "thanks":
                decision = alone
        if addressed_elsewhere(text) and decision.other_reason != "misdirected":
            # opened with the water bureau's or a gas company's name (faq/addressees.toml): meant for them
            score = IntentScore(OTHER, load_addressees().confidence)
            decision = Decision((score,), other_reason="misdirected")
        return decision


def read_entities(
    text: str,
    *,
    channel: str = "email",
    received: date,
    intents: Sequence[str],
    other_reason: str | None = None,
    subject: str = "",
) -> dict[str, str]:
    """The entities :meth:`Understander.understand` reads from ``text`` (and ``subject``) when its intents
    are ``intents`` (and ``other_reason``): the entity benchmarks pass the gold labels, so an entity error is
    never a classifier error."""
    prepared = prepare(text, channel=channel)
    _, said = extract_questions(prepared.body, raw=text, received=received)
    return _entities(text, prepared, intents, other_reason, said, received, subject)


def _entities(
    text: str,
    prepared: Prepared,
    intents: Sequence[str],
    other_reason: str | None,
    said: dict[str, str],
    received: date,
    subject: str = "",
) -> dict[str, str]:
    # An empty form tells the extractor the text was already found not to be one (no second parse).
    form = {} if prepared.form_checked else prepared.form
    entities = extract_entities(
        text, received=received, intents=intents, form=form, other_reason=other_reason
    )
    if "cancellation" in intents and "cancel_reason" not in entities and not reason_withheld(prepared.body):
        # No rule named a reason nor ruled one out: the model fitted on the corpus' cancellations may, when
        # it is sure.
        reason = model_reason(prepared.body)
        if reason is not None:
            entities["cancel_reason"] = reason
    if subject and points_to_subject(prepared.body):
        # 「件名のとおりです」: the subject line is the request, so it gives what the body lacks.
        named = extract_entities(
            subject, received=received, intents=intents, form={}, other_reason=other_reason
        )
        entities = {**named, **entities}
    if "date" not in entities and may_have_a_date(intents, other_reason, prepared.body):
        # An English date ("31 March 2027"), which the Japanese date reader does not know; dates in digits
        # alone it has read and judged already.
        written = requested_date(
            prepared.body,
            received=received,
            words_only=True,
            least=english_least(intents),
            background=load_background_sentence(),
            site_work=site_work(intents),
        )
        if written is not None and date_allowed(written, received, intents, prepared.body):
            entities["date"] = written.isoformat()
    if said.get("notice_sent_on") and entities.get("date"):
        entities = _date_other_than_notice(entities, said["notice_sent_on"], prepared.body, received)
    return entities


def _date_other_than_notice(
    entities: dict[str, str], notice_on: str, body: str, received: date
) -> dict[str, str]:
    """The requested date must not be the day the notice was sent (「3月20日付で通知書を提出済み。7月末で解約」):
    when the extractor took the notice's day, the next date in the text that is not that day replaces it."""
    sent = date.fromisoformat(notice_on)
    taken = date.fromisoformat(entities["date"])
    if (taken.month, taken.day) != (sent.month, sent.day):
        return entities
    written = [m.date for m in resolve_dates(body, received=received)] + english_dates(
        body, received=received
    )
    others = [d for d in written if (d.month, d.day) != (sent.month, sent.day) and d >= received]
    rest = {k: v for k, v in entities.items() if k != "date"}
    return {**rest, "date": others[0].isoformat()} if others else rest


def labelled(text: str, subject: str, channel: str, labels: Iterable[str]) -> LabelledExample:
    """A dev-set line as the calibration fitter wants it (same preparation as :meth:`Understander.understand`)."""
    prepared = prepare(text, channel=channel)
    category = prepared.form.get("category") if prepared.form else None
    return LabelledExample(prepared.body, subject, tuple(labels), category or None)


# -- evaluation -------------------------------------------------------------------------------------------

ENTITY_KINDS: tuple[str, ...] = (
    "customer_no",
    "contract_no",
    "supply_point_id",
    "phone",
    "date",
    "cancel_reason",
)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class Case:
    """One labelled line and what was predicted for it."""

    id: str
    gold: tuple[str, ...]
    predicted: tuple[str, ...]
    gold_entities: dict[str, str] = field(default_factory=dict)
    predicted_entities: dict[str, str] = field(default_factory=dict)
    channel: str = ""
    language: str = ""  # the gold language when the line states one, else the detected one
    gold_reason: str | None = None
    predicted_reason: str | None = None
    confidence: float = 0.0  # the primary intent's score
    predicted_language: str = ""

    @property
    def top1_correct(self) -> bool:
        if not self.predicted:
            return False
        if self.gold == ("other",):
            return self.predicted[0] == "other"
        return self.predicted[0] in self.gold


RELIABILITY_BUCKETS: tuple[float, ...] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


@dataclass
class Slice:
    """Top-1 and micro F1 of a subset of the cases (one channel, one language)."""

    count: int = 0
    correct: int = 0
    micro: Tally = field(default_factory=Tally)

    @property
    def top1(self) -> float:
        return self.correct / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"count": self.count, "top1": round(self.top1, 4), "f1": round(self.micro.f1, 4)}


@dataclass
class Report:
    count: int
    top1: float
    micro: Tally
    per_intent: dict[str, Tally]
    confusions: list[tuple[str, str, int]]
    entities: dict[str, Tally]
    misses: list[Case]
    per_channel: dict[str, Slice] = field(default_factory=dict)
    per_language: dict[str, Slice] = field(default_factory=dict)
    # gold reason -> predicted reason ("-" when the prediction was not other) -> count
    reasons: dict[str, Counter[str]] = field(default_factory=dict)
    # (low, high, cases, top-1 correct) per confidence bucket of the primary intent's score
    reliability: list[tuple[float, float, int, int]] = field(default_factory=list)
    language_accuracy: float = 1.0

    @property
    def other_precision(self) -> float:
        return self.per_intent["other"].precision if "other" in self.per_intent else 1.0

    @property
    def entity_micro(self) -> Tally:
        total = Tally()
        for t in self.entities.values():
            total.tp += t.tp
            total.fp += t.fp
            total.fn += t.fn
        return total

    def as_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "top1": round(self.top1, 4),
            "micro": self.micro.as_dict(),
            "other_precision": round(self.other_precision, 4),
            "per_intent": {k: v.as_dict() for k, v in sorted(self.per_intent.items())},
            "confusions": [{"gold": g, "predicted": p, "count": n} for g, p, n in self.confusions],
            "entities": {k: v.as_dict() for k, v in self.entities.items()},
            "entity_micro": self.entity_micro.as_dict(),
            "per_channel": {k: v.as_dict() for k, v in sorted(self.per_channel.items())},
            "per_language": {k: v.as_dict() for k, v in sorted(self.per_language.items())},
            "language_accuracy": round(self.language_accuracy, 4),
            "other_reasons": {k: dict(v) for k, v in sorted(self.reasons.items())},
            "reliability": [
                {"low": lo, "high": min(hi, 1.0), "count": n, "top1": round(c / n, 4) if n else None}
                for lo, hi, n, c in self.reliability
            ],
            "misses": [
                {
                    "id": c.id,
                    "gold": list(c.gold),
                    "predicted": list(c.predicted),
                    "entities_gold": c.gold_entities,
                    "entities_predicted": c.predicted_entities,
                }
                for c in self.misses
            ],
        }


def evaluate(cases: Sequence[Case]) -> Report:
    """Top-1 accuracy, multi-label micro and per-intent P/R/F1, confusion pairs (gold intent missed ->
    predicted intent not in gold), and entity exact match per kind (a wrong or extra key is a false positive,
    a wrong or missing key a false negative)."""
    micro = Tally()
    per_intent: dict[str, Tally] = {}
    entities = {k: Tally() for k in ENTITY_KINDS}
    confusions: Counter[tuple[str, str]] = Counter()
    misses: list[Case] = []
    for case in cases:
        gold, pred = set(case.gold), set(case.predicted)
        for intent in gold | pred:
            tally = per_intent.setdefault(intent, Tally())
            if intent in gold and intent in pred:
                tally.tp += 1
                micro.tp += 1
            elif intent in pred:
                tally.fp += 1
                micro.fp += 1
            else:
                tally.fn += 1
                micro.fn += 1
        for missed in gold - pred:
            for extra in pred - gold:
                confusions[(missed, extra)] += 1
        entity_miss = _score_entities(case, entities)
        if gold != pred or not case.top1_correct or entity_miss:
            misses.append(case)
    top1 = sum(c.top1_correct for c in cases) / len(cases) if cases else 0.0
    pairs = sorted(((g, p, n) for (g, p), n in confusions.items()), key=lambda t: (-t[2], t[0], t[1]))
    report = Report(len(cases), top1, micro, per_intent, pairs, entities, misses)
    _slices(cases, report)
    return report


def _slices(cases: Sequence[Case], report: Report) -> None:
    """Per-channel and per-language scores, other reasons and the reliability table."""
    buckets = [[lo, hi, 0, 0] for lo, hi in itertools.pairwise(RELIABILITY_BUCKETS)]
    languages_right = languages_known = 0
    for case in cases:
        gold, pred = set(case.gold), set(case.predicted)
        for key, table in ((case.channel, report.per_channel), (case.language, report.per_language)):
            if not key:
                continue
            part = table.setdefault(key, Slice())
            part.count += 1
            part.correct += case.top1_correct
            part.micro.tp += len(gold & pred)
            part.micro.fp += len(pred - gold)
            part.micro.fn += len(gold - pred)
        if case.gold_reason is not None:
            predicted = case.predicted_reason if case.predicted[:1] == ("other",) else None
            report.reasons.setdefault(case.gold_reason, Counter())[predicted or "-"] += 1
        elif case.predicted_reason is not None and case.gold == ("other",):
            report.reasons.setdefault("(none)", Counter())[case.predicted_reason] += 1
        for bucket in buckets:
            if bucket[0] <= case.confidence < bucket[1]:
                bucket[2] += 1
                bucket[3] += case.top1_correct
                break
        if case.language and case.predicted_language:
            languages_known += 1
            languages_right += case.language == case.predicted_language
    report.reliability = [(float(lo), float(hi), int(n), int(c)) for lo, hi, n, c in buckets]
    report.language_accuracy = languages_right / languages_known if languages_known else 1.0


def run_cases(understander: Understander, rows: Iterable[dict[str, Any]]) -> list[Case]:
    """Understand labelled rows (the dev-set format: text, subject, channel, received as a date in
    ``received_date``, intents, entities, optional language and other_reason) into :class:`Case`s."""
    cases = []
    for row in rows:
        result = understander.understand(
            row["text"],
            subject=str(row.get("subject") or ""),
            channel=str(row.get("channel") or "email"),
            received=row["received_date"],
        )
        cases.append(
            Case(
                id=str(row.get("id", "")),
                gold=tuple(row["intents"]),
                predicted=tuple(result.intent_ids),
                gold_entities=dict(row.get("entities") or {}),
                predicted_entities=dict(result.entities),
                channel=str(row.get("channel") or "email"),
                language=str(row.get("language") or result.language),
                gold_reason=row.get("other_reason") or None,
                predicted_reason=result.other_reason,
                confidence=result.intents[0].score if result.intents else 0.0,
                predicted_language=result.language,
            )
        )
    return cases


def _score_entities(case: Case, tallies: dict[str, Tally]) -> bool:
    wrong = False
    for kind, tally in tallies.items():
        gold = case.gold_entities.get(kind)
        pred = case.predicted_entities.get(kind)
        if gold is not None and pred == gold:
            tally.tp += 1
            continue
        if pred is not None:
            tally.fp += 1
            wrong = True
        if gold is not None:
            tally.fn += 1
            wrong = True
    return wrong
