"""One call from raw message text to :class:`intents.model.Understanding`, plus the evaluation arithmetic
used by ``madoguchi eval``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from intents.classifier import Classifier, LabelledExample
from intents.cleanup import body_for_classification, clean_body
from intents.entities import extract_entities
from intents.form import parse_form
from intents.knowledge import Knowledge
from intents.language import detect_language
from intents.model import IntentScore, Understanding

FORM_CHANNELS = ("email", "form")


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
        return cls(Classifier.load(knowledge, threshold=threshold, max_intents=max_intents))

    def understand(
        self, text: str, *, subject: str = "", channel: str = "email", received: date
    ) -> Understanding:
        prepared = prepare(text, channel=channel)
        category = prepared.form.get("category") if prepared.form else None
        decision = self.classifier.decide_full(
            prepared.body, subject=subject, channel=channel, form_category=category or None
        )
        intents = decision.intents
        # An empty form tells the extractor the text was already found not to be one (no second parse).
        form = {} if prepared.form_checked else prepared.form
        entities = extract_entities(text, received=received, intents=[i.intent for i in intents], form=form)
        return Understanding(
            intents=intents,
            entities=entities,
            body=prepared.body,
            language=detect_language(f"{subject}\n{prepared.body}" if subject else prepared.body),
            other_reason=decision.other_reason,
            candidates=decision.candidates,
        )


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

    @property
    def top1_correct(self) -> bool:
        if not self.predicted:
            return False
        if self.gold == ("other",):
            return self.predicted[0] == "other"
        return self.predicted[0] in self.gold


@dataclass
class Report:
    count: int
    top1: float
    micro: Tally
    per_intent: dict[str, Tally]
    confusions: list[tuple[str, str, int]]
    entities: dict[str, Tally]
    misses: list[Case]

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
    return Report(len(cases), top1, micro, per_intent, pairs, entities, misses)


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
