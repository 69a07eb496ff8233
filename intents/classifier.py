"""Multi-label intent classifier: knowledge files in, calibrated scores out.

Evidence per intent, all computed on normalised, synonym-canonicalised text (see :mod:`intents.normalize`):

* ``kw``   keyword and negative cues from the intent's TOML (weighted, each cue counted once);
* ``cos``  cosine of character 2/3-gram TF-IDF vectors against the intent's examples and keywords;
* ``hint`` the inquiry form's お問い合わせ区分 names the intent (weak: customers often pick the wrong one);
* ``lin``  the linear n-gram model (:mod:`intents.linear`): the whole message, and its best single sentence.

rapidfuzz similarity of sentences to the examples was evidence too until it was measured: held out by
writer it changed nothing (top-1 0.953 with it, 0.954 without) and cost a tenth of the per-message budget.

A small logistic model turns these (and their values relative to the best intent of the same message) into
a probability per intent. Its weights are *calibration data* fitted on a labelled set and stored in
``faq/calibration.toml``; :func:`fit_calibration` refits them. Intents whose probability clears the threshold
are reported; when none does, the answer is ``other``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from desk.errors import InputError
from intents.knowledge import Knowledge, load_knowledge
from intents.linear import GRAM_SHIFT, MODEL_FILE, REASON_PREFIX, LinearModel, code_points, gram_keys
from intents.model import IntentScore
from intents.normalize import char_ngrams, normalize

FEATURES: tuple[str, ...] = (
    "kw",
    "kw_rel",
    "cos",
    "cos_rel",
    "hint",
    "is_top",
    "lin",
    "lin_rel",
    "lin_sent",
)
CALIBRATION_FILE = "calibration.toml"
OTHER = "other"
HINT_WEIGHT = 0.3


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over ``FEATURES`` plus a bias; fitted by :func:`fit_calibration`."""

    weights: tuple[float, ...]
    bias: float
    fitted_on: str = ""
    # When no intent clears the reporting threshold, the best procedure is still reported alone from this
    # probability up (below it the classifier abstains: ``other``, "unclear", with candidates). Chosen on
    # held-out writing batches by ``benchmarks/cross_style.py``; None: abstain below the threshold.
    primary_threshold: float | None = None

    @classmethod
    def default(cls) -> Calibration:
        # Hand-set fallback used only when no calibration file exists.
        return cls(weights=(3.0, 3.0, 2.0, 1.0, 0.3, 1.0, 0.0, 0.0, 0.0), bias=-6.0)

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            weights = data["weights"]
            calibration = cls(
                # A calibration fitted before the linear model existed gives it no weight.
                weights=tuple(float(weights.get(name, 0.0)) for name in FEATURES),
                bias=float(data["bias"]),
                fitted_on=str(data.get("fitted_on", "")),
                primary_threshold=(float(data["primary_threshold"]) if "primary_threshold" in data else None),
            )
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path.name}: 較正ファイルを読み込めません（{exc}）") from exc
        return calibration

    def dump(self) -> str:
        lines = [
            "# Fitted by `benchmarks/cross_style.py --write-model` (out-of-batch evidence); do not edit by hand.",
            f'fitted_on = "{self.fitted_on}"',
            f"bias = {self.bias:.6f}",
            *(
                [f"primary_threshold = {self.primary_threshold:.3f}"]
                if self.primary_threshold is not None
                else []
            ),
            "",
            "[weights]",
        ]
        lines += [f"{name} = {w:.6f}" for name, w in zip(FEATURES, self.weights, strict=True)]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Decision:
    """Intents best first; when the primary is ``other``, its reason and the best procedure candidates."""

    intents: tuple[IntentScore, ...]
    other_reason: str | None = None
    candidates: tuple[IntentScore, ...] = ()


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str] | None
    literal: str
    weight: float

    def found(self, text: str) -> bool:
        return self.pattern.search(text) is not None if self.pattern is not None else self.literal in text


class Classifier:
    """Load once (:meth:`load`), then call :meth:`classify` per message; thread-safe and read-only."""

    def __init__(
        self,
        knowledge: Knowledge,
        calibration: Calibration,
        *,
        threshold: float,
        max_intents: int,
        linear: LinearModel | None = None,
    ):
        self.knowledge = knowledge
        self.intent_ids: list[str] = list(knowledge.intents)
        self.calibration = calibration
        self.threshold = threshold
        self.max_intents = max_intents
        self._synonym_re = _synonym_pattern(knowledge.synonyms)
        self._cues: list[list[_Cue]] = []
        for intent in knowledge.intents.values():
            cues = [self._cue(c.term, c.weight, c.regex) for c in intent.keywords]
            cues += [self._cue(c.term, -c.weight, c.regex) for c in intent.negative]
            self._cues.append(cues)
        self._build_cue_tables()
        self._hints: dict[str, np.ndarray] = {}
        for i, intent in enumerate(knowledge.intents.values()):
            for category in intent.form_categories:
                vec = self._hints.setdefault(normalize(category), np.zeros(len(self.intent_ids)))
                vec[i] = 1.0
        self._build_examples()
        self._build_ngrams()
        self.linear = linear

    @property
    def linear(self) -> LinearModel | None:
        return self._linear

    @linear.setter
    def linear(self, model: LinearModel | None) -> None:
        """Use ``model`` for the ``lin`` evidence (None: no linear evidence); its labels are mapped once."""
        self._linear = model
        if model is None:
            self._lin_intents = np.zeros(0, dtype=int)
            self._lin_reasons: list[tuple[int, str]] = []
            return
        where = {label: n for n, label in enumerate(model.labels)}
        missing = [i for i in self.intent_ids if i not in where]
        if missing:
            raise InputError(f"線形モデルに意図がありません: {', '.join(missing)}")
        self._lin_intents = np.asarray([where[i] for i in self.intent_ids])
        self._lin_reasons = [
            (n, label.removeprefix(REASON_PREFIX))
            for label, n in where.items()
            if label.startswith(REASON_PREFIX)
        ]

    @property
    def calibration(self) -> Calibration:
        return self._calibration

    @calibration.setter
    def calibration(self, calibration: Calibration) -> None:
        self._calibration = calibration
        self._weights = np.asarray(calibration.weights)

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        knowledge: Knowledge | None = None,
        *,
        threshold: float = 0.5,
        max_intents: int = 3,
        calibration: Calibration | None = None,
    ) -> Classifier:
        """Build from the packaged knowledge (or ``knowledge``) and ``faq/calibration.toml`` when present."""
        knowledge = knowledge if knowledge is not None else load_knowledge()
        if calibration is None:
            base = knowledge.source_dir
            path = base / CALIBRATION_FILE if base is not None else None
            calibration = (
                Calibration.load(path) if path is not None and path.exists() else Calibration.default()
            )
        if not 0.0 <= threshold <= 1.0:
            raise InputError(f"しきい値は0から1の間で指定してください（{threshold}）")
        base = knowledge.source_dir
        model_path = base / MODEL_FILE if base is not None else None
        linear = LinearModel.load(model_path) if model_path is not None and model_path.exists() else None
        return cls(knowledge, calibration, threshold=threshold, max_intents=max_intents, linear=linear)

    def canon(self, text: str) -> str:
        """Normalise and rewrite synonyms to their canonical terms."""
        text = normalize(text)
        if self._synonym_re is None:
            return text
        table = self.knowledge.synonyms
        return self._synonym_re.sub(lambda m: table[m.group(0)], text)

    def _cue(self, term: str, weight: float, regex: bool) -> _Cue:
        if regex:
            return _Cue(re.compile(normalize(term)), "", weight)
        return _Cue(None, self.canon(term), weight)

    def _build_examples(self) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for i, intent in enumerate(self.knowledge.intents.values()):
            for example in intent.examples:
                texts.append(self.canon(example))
                owners.append(i)
        self._example_texts = texts
        self._example_owner = np.asarray(owners)

    def _build_ngrams(self) -> None:
        docs: list[Counter[str]] = []
        for i in range(len(self.intent_ids)):
            counts: Counter[str] = Counter()
            for text in self._example_texts_of(i):
                counts.update(set(char_ngrams(text)))
            for cue in self._cues[i]:
                if cue.literal:
                    counts.update({g: 2 for g in set(char_ngrams(cue.literal))})
            docs.append(counts)
        vocab = sorted(set().union(*docs))
        self._vocab = {g: n for n, g in enumerate(vocab)}
        df = np.zeros(len(vocab))
        for counts in docs:
            for g in counts:
                df[self._vocab[g]] += 1
        self._idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
        matrix = np.zeros((len(vocab), len(docs)))
        for i, counts in enumerate(docs):
            for g, c in counts.items():
                matrix[self._vocab[g], i] = (1 + math.log(c)) * self._idf[self._vocab[g]]
        norms = np.linalg.norm(matrix, axis=0)
        self._centroids = matrix / np.where(norms == 0, 1, norms)
        # The same vocabulary as sorted integer keys (see intents.linear.gram_keys) for a vectorised lookup per message,
        # with idf and centroid rows in that order and a sentinel key that no gram has.
        keys = np.asarray([_gram_key(g) for g in vocab], dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        self._key_vocab = np.append(keys[order], np.uint64(2**64 - 1))
        self._key_idf = self._idf[order]
        self._key_centroids = np.ascontiguousarray(self._centroids[order])

    def _example_texts_of(self, index: int) -> Iterable[str]:
        return (
            t for t, owner in zip(self._example_texts, self._example_owner, strict=True) if owner == index
        )

    # -- evidence -----------------------------------------------------------------------------------------

    def features(self, text: str, *, subject: str = "", form_category: str | None = None) -> np.ndarray:
        """The evidence matrix (intents x ``FEATURES``) for one message body (already cleaned) and subject."""
        return self.evidence(text, subject=subject, form_category=form_category)[0]

    def evidence(
        self, text: str, *, subject: str = "", form_category: str | None = None
    ) -> tuple[np.ndarray, dict[str, float]]:
        """:meth:`features` and the linear model's probability of each ``other`` reason."""
        canon = self.canon(f"{subject}\n{text}" if subject else text)
        return self._lexical(canon, form_category)

    def _lexical(self, canon: str, form_category: str | None) -> tuple[np.ndarray, dict[str, float]]:
        out = np.zeros((len(self.intent_ids), len(FEATURES)))
        kw_sat, cos = out[:, 0], out[:, 2]
        kw = self._keyword_scores(canon)
        np.maximum(kw, 0.0, out=kw)
        # kw_sat = 1 - exp(-kw / 3), computed in place
        np.multiply(kw, -1.0 / 3.0, out=kw_sat)
        np.exp(kw_sat, out=kw_sat)
        np.subtract(1.0, kw_sat, out=kw_sat)
        cos[:] = self._cosine(canon)
        evidence = out[:, 0:4:2]  # kw_sat, cos; each relative to its best intent follows it
        tops = _MAX(evidence, axis=0)
        if (tops > 0).all():  # the usual case: one division for both columns
            np.divide(evidence, tops, out=out[:, 1:4:2])
        else:
            for column, top in enumerate(tops.tolist()):
                if top > 0:
                    np.divide(out[:, 2 * column], top, out=out[:, 2 * column + 1])
        if form_category:
            hint = self._hints.get(normalize(form_category))
            if hint is not None:
                out[:, 4] = hint
        total = kw_sat + cos
        top = _MAX(total)
        if top > 0:
            np.greater_equal(total, top - 1e-9, out=out[:, 5])
        reasons: dict[str, float] = {}
        if self._linear is not None:
            probs = self._linear.probabilities(canon)
            lin = probs[self._lin_intents]
            out[:, 6] = lin
            best = float(lin.max())
            if best > 0:
                np.divide(lin, best, out=out[:, 7])
            out[:, 8] = self._linear.sentence_probabilities(canon, whole=probs)[self._lin_intents]
            reasons = {reason: float(probs[n]) for n, reason in self._lin_reasons}
        return out, reasons

    def _keyword_scores(self, canon: str) -> np.ndarray:
        # Literal cues: one `in` test per distinct literal, then one matrix product spreads the weights.
        # Only literals whose first two characters occur in the text are tested at all.
        keys = _bigram_keys(canon)
        pos = self._head_keys.searchsorted(keys)  # the sentinel keeps pos in range
        heads = set(pos[self._head_keys[pos] == keys].tolist())
        entries = self._head_entries
        rows = [row for head in heads for literal, row in entries[head] if literal in canon]
        rows += [row for literal, row in self._short_literals if literal in canon]
        scores: np.ndarray = (
            np.add.reduce(self._literal_weights[rows], axis=0) if rows else np.zeros(len(self._cues))
        )
        for pattern, index, weight in self._regex_cues:
            if pattern.search(canon) is not None:
                scores[index] += weight
        return scores

    def _build_cue_tables(self) -> None:
        literals: dict[str, int] = {}
        rows: list[tuple[int, int, float]] = []
        self._regex_cues: list[tuple[re.Pattern[str], int, float]] = []
        for i, cues in enumerate(self._cues):
            for cue in cues:
                if cue.pattern is not None:
                    self._regex_cues.append((cue.pattern, i, cue.weight))
                elif cue.literal:
                    rows.append((literals.setdefault(cue.literal, len(literals)), i, cue.weight))
        self._literals = list(literals)
        self._literal_heads: dict[str, list[tuple[str, int]]] = {}
        self._short_literals: list[tuple[str, int]] = []
        for literal, row in literals.items():
            if len(literal) >= 2:
                self._literal_heads.setdefault(literal[:2], []).append((literal, row))
            else:
                self._short_literals.append((literal, row))
        head_keys = {_gram_key(head): entries for head, entries in self._literal_heads.items()}
        self._head_keys = np.asarray([*sorted(head_keys), 2**64 - 1], dtype=np.uint64)
        self._head_entries = [head_keys[int(k)] for k in self._head_keys[:-1]]
        self._literal_weights = np.zeros((len(literals), len(self._cues)))
        for row, i, weight in rows:
            self._literal_weights[row, i] += weight

    def _cosine(self, canon: str) -> np.ndarray:
        keys = gram_keys(canon)
        keys.sort()  # sorted needles search faster, and their positions come out sorted too
        # method calls, not np.searchsorted()/np.max(): their Python wrappers cost more than the work here
        pos = self._key_vocab.searchsorted(keys)  # the sentinel keeps pos in range
        pos = pos[self._key_vocab[pos] == keys]
        if not len(pos):
            return np.zeros(len(self.intent_ids))
        # distinct positions in vocabulary order (as the sums expect) and how often each occurs
        first = np.empty(len(pos), dtype=bool)
        first[0] = True
        np.not_equal(pos[1:], pos[:-1], out=first[1:])
        starts = first.nonzero()[0]
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = len(pos)
        idx = pos[starts]
        vec = np.log(ends - starts)
        vec += 1.0
        vec *= self._key_idf[idx]
        norm = float(np.sqrt(vec @ vec))
        result: np.ndarray = vec @ self._key_centroids[idx]
        if norm:
            result /= norm
        return result

    # -- decisions ----------------------------------------------------------------------------------------

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = features @ self._weights
        z += self.calibration.bias
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        result: np.ndarray = np.reciprocal(z, out=z)
        return result

    def classify(
        self,
        text: str,
        *,
        subject: str = "",
        channel: str = "email",
        form_category: str | None = None,
    ) -> tuple[IntentScore, ...]:
        """Intents the message asks about, best first, at least one (``other`` when none clears the
        threshold). ``text`` should already be the cleaned body (see :mod:`intents.understand`)."""
        del channel  # same evidence for every channel; kept for the public signature
        probs = self.probabilities(self.features(text, subject=subject, form_category=form_category))
        return self.decide(probs)

    def decide_full(
        self,
        text: str,
        *,
        subject: str = "",
        channel: str = "email",
        form_category: str | None = None,
    ) -> Decision:
        """:meth:`classify` plus why the answer is ``other`` and the candidates it hesitated between."""
        del channel
        features, reasons = self.evidence(text, subject=subject, form_category=form_category)
        probs = self.probabilities(features)
        intents = self.decide(probs)
        if intents[0].intent != OTHER:
            return Decision(intents)
        order = (-probs).argsort(kind="stable").tolist()
        values = probs.tolist()
        other = self.intent_ids.index(OTHER) if OTHER in self.intent_ids else -1
        ranked = [IntentScore(self.intent_ids[i], round(values[i], 4)) for i in order if i != other]
        reason = other_reason(values[other], reasons, threshold=self.threshold)
        candidates = tuple(ranked[: self.max_intents]) if reason == "unclear" else ()
        return Decision(intents, other_reason=reason, candidates=candidates)

    def decide(self, probs: np.ndarray) -> tuple[IntentScore, ...]:
        order = (-probs).argsort(kind="stable").tolist()
        values = probs.tolist()
        chosen = [
            IntentScore(self.intent_ids[i], round(values[i], 4))
            for i in order[: self.max_intents]
            if values[i] >= self.threshold
        ]
        # "other" is a whole answer (a non-inquiry) when it leads, and no extra topic when it follows.
        if chosen and chosen[0].intent == OTHER:
            return (chosen[0],)
        chosen = [c for c in chosen if c.intent != OTHER]
        floor = self.calibration.primary_threshold
        if not chosen and floor is not None:
            best = next(i for i in order if self.intent_ids[i] != OTHER)
            if values[best] >= floor and values[best] >= values[self.intent_ids.index(OTHER)]:
                return (IntentScore(self.intent_ids[best], round(values[best], 4)),)
        if not chosen:
            top = values[order[0]]
            return (IntentScore(OTHER, round(max(1.0 - top, values[self.intent_ids.index(OTHER)]), 4)),)
        return tuple(chosen)


def other_reason(p_other: float, reasons: dict[str, float], *, threshold: float) -> str:
    """Why a message is ``other``: "unclear" when the evidence for ``other`` itself is below ``threshold``
    (the classifier abstained, staff get the candidates), else the likeliest reason, however low its own
    probability ("unclear" is one of the reasons the model can give). Held out by writer, a 0.2 floor on
    that probability named the right reason for 83% of confident ``other`` messages (out-of-scope and
    misdirected mail fell to "unclear"); the likeliest reason is right for 94%."""
    if p_other < threshold or not reasons:
        return "unclear"
    return max(reasons, key=reasons.__getitem__)


def _relative(values: np.ndarray) -> np.ndarray:
    top = float(values.max())
    if top <= 0:
        return np.zeros_like(values)
    result: np.ndarray = values / top
    return result


_MAX = np.maximum.reduce


def _gram_key(gram: str) -> int:
    """The integer :func:`intents.linear.gram_keys` gives a 2- or 3-character gram."""
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key | (1 << 63) if len(gram) == 3 else key


def _bigram_keys(text: str) -> np.ndarray:
    cp = code_points(text)
    keys: np.ndarray = (cp[:-1] << GRAM_SHIFT) | cp[1:]
    return keys


def _synonym_pattern(synonyms: dict[str, str]) -> re.Pattern[str] | None:
    if not synonyms:
        return None
    # longest first, so a canonical term that contains a shorter variant is kept whole
    keys = sorted(synonyms, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


# -- calibration ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledExample:
    text: str
    subject: str
    labels: tuple[str, ...]
    form_category: str | None = None


def fit_calibration(
    classifier: Classifier,
    examples: Sequence[LabelledExample],
    *,
    l2: float = 1.0,
    fitted_on: str = "",
) -> Calibration:
    """Fit the logistic weights on labelled messages (every intent of every message is one sample)."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for example in examples:
        feats = classifier.features(
            example.text, subject=example.subject, form_category=example.form_category
        )
        xs.append(feats)
        ys.append(np.asarray([1.0 if i in example.labels else 0.0 for i in classifier.intent_ids]))
    x = np.vstack(xs)
    # The form category is a weak hint by design, not a fitted feature: customers often pick the wrong one,
    # and a fitted weight would learn that from one data set's quirks. It gets a small fixed weight.
    hint = FEATURES.index("hint")
    fitted, bias = _logistic(np.delete(x, hint, axis=1), np.concatenate(ys), l2=l2)
    weights = np.insert(fitted, hint, HINT_WEIGHT)
    return Calibration(weights=tuple(float(w) for w in weights), bias=float(bias), fitted_on=fitted_on)


def _logistic(x: np.ndarray, y: np.ndarray, *, l2: float, steps: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (a handful of features, thousands of rows)."""
    design = np.column_stack([x, np.ones(len(x))])
    theta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        gradient = design.T @ (p - y) + penalty * theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def calibration_path(knowledge: Knowledge) -> Path:
    base = knowledge.source_dir
    if base is None:
        from faq import FAQ_DIR

        base = FAQ_DIR
    return base / CALIBRATION_FILE


def describe(scores: Sequence[IntentScore]) -> list[dict[str, Any]]:
    return [{"intent": s.intent, "score": s.score} for s in scores]
