"""A linear text model fitted on labelled messages: the evidence that generalises beyond the examples' words.

Features of a message (normalised and synonym-canonicalised, as everywhere in :mod:`intents.classifier`):
character 2/3-grams (digit runs collapsed, the same integer keys as the classifier's n-gram cosine) plus
Latin-script words and word pairs (for English mail), and a few facts about the message's shape (how many
question or request markers it has, whether it is only thanks, its length band: an additive model cannot
otherwise tell "thanks and nothing else" from "thanks, and a question"), each present or not, the row scaled
to unit length.
One logistic output per label, fitted one-vs-rest with L2 by :func:`fit`: the 21 intents and, for ``other``
messages, the reason (``reason:sales`` …). Reason outputs learn only from rows whose reason is known.

The fitted model is data, like the calibration: ``faq/linear_model.npz`` (vocabulary keys, weights, biases,
label names), written by ``python -m benchmarks.cross_style --write-model`` from the knowledge files'
examples and the labelled corpus in ``tests/intents/corpus``. Scoring a message is a vocabulary look-up and
a sum of a few hundred weight rows: a few tens of microseconds.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from desk.errors import InputError
from intents.closing import fold, load_closing_words

MODEL_FILE = "linear_model.npz"
REASON_PREFIX = "reason:"
_WORD_FLAG = np.uint64(1 << 62)
_PAIR_FLAG = np.uint64(1 << 61)
TRIGRAM = np.uint64(1 << 63)
_SHAPE_FLAG = 1 << 60
_LENGTH_BANDS = (15, 40, 100, 250, 10**9)
# Sentence ends in normalised text (NFKC turns ？ into ?); English sentences end with ". ".
_SENTENCE_RE = re.compile(r"(?<=[。?!\n])|(?<=\.)\s")
_MIN_SENTENCE = 4  # characters: shorter pieces are greetings or list marks
_MAX_SENTENCES = 8
GRAM_SHIFT = np.uint64(21)  # code points are below 2**21: three of them and a trigram flag fit in 64 bits
_DIGITS_RE = re.compile(r"\d+")
_WORD_RE = re.compile(r"[a-z][a-z']+")
_LATIN_RE = re.compile(r"[a-z]")  # one C-level scan instead of a generator over characters


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def gram_keys(text: str) -> np.ndarray:
    """Character 2- and 3-grams as integer keys, computed without building strings: digit runs collapsed to
    0, spaces dropped, code points packed ``GRAM_SHIFT`` bits apart, trigrams flagged ``TRIGRAM``; in text
    order, repeats kept (the classifier's cosine counts them). Shared with :mod:`intents.classifier`."""
    cp = code_points(_DIGITS_RE.sub("0", text).replace(" ", ""))
    if len(cp) < 2:
        return np.zeros(0, dtype=np.uint64)
    bigrams = (cp[:-1] << GRAM_SHIFT) | cp[1:]
    trigrams = (bigrams[:-1] << GRAM_SHIFT) | cp[2:]
    trigrams |= TRIGRAM
    return np.concatenate((bigrams, trigrams))


def _word_keys(flat: str) -> np.ndarray:
    """Latin words (flagged ``_WORD_FLAG``) and neighbouring word pairs (``_PAIR_FLAG``) of an English or mixed
    text; empty for Japanese."""
    if not (_LATIN_RE.search(flat, 0, 200) or flat.isascii()):
        return np.zeros(0, dtype=np.uint64)
    words = _WORD_RE.findall(flat)
    hashed = [zlib.crc32(w.encode()) | int(_WORD_FLAG) for w in words]
    hashed += [zlib.crc32(f"{a} {b}".encode()) | int(_PAIR_FLAG) for a, b in itertools.pairwise(words)]
    return np.asarray(hashed, dtype=np.uint64)


@lru_cache(maxsize=1)
def _shape_words() -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...], frozenset[str]]:
    """Question markers and thanks phrases of ``faq/closing.toml``: Japanese ones as substrings, Latin ones
    as whole words (plain membership tests: a regular expression over them costs ~10x more per message)."""
    words = load_closing_words()

    def split(items: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
        folded = [fold(w) for w in items]
        return tuple(w for w in folded if not w.isascii()) or ("?",), frozenset(
            w for w in folded if w.isascii()
        )

    questions, question_words = split(words.questions)
    thanks, thanks_words = split(words.closing)
    return questions, question_words | {"?"}, thanks, thanks_words


def shape_keys(canon: str) -> list[int]:
    """Keys for the message's shape: question/request markers (``faq/closing.toml``) counted 0, 1, 2, 3+;
    a thanks phrase with or without a marker; length band. ``canon`` is normalised text (folded already)."""
    if not canon:
        return []
    questions, question_words, thanks, thanks_words = _shape_words()
    latin = set(_WORD_RE.findall(canon)) if _LATIN_RE.search(canon, 0, 200) else set()
    markers = sum(canon.count(m) for m in questions) + len(latin & question_words) + canon.count("?")
    markers = min(markers, 3)
    band = next(n for n, top in enumerate(_LENGTH_BANDS) if len(canon) <= top)
    names = [f"questions:{markers}", f"length:{band}"]
    if latin & thanks_words or any(t in canon for t in thanks):
        names.append("thanks-phrase" if markers else "thanks-phrase:no-question")
    return [zlib.crc32(name.encode()) | _SHAPE_FLAG for name in names]


def feature_keys(canon: str, *, shape: bool = True) -> np.ndarray:
    """Sorted distinct feature keys of a canonicalised text (see module doc); ``shape=False`` leaves out the
    shape keys (a sentence read on its own: they describe whole messages and cost most of the time)."""
    flat = _DIGITS_RE.sub("0", canon)
    parts = [gram_keys(flat), _word_keys(flat)]
    if shape:
        parts.append(np.asarray(shape_keys(flat), dtype=np.uint64))
    return _distinct(np.concatenate(parts))


def _distinct(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)``: a sort and a neighbour test, about 5x faster on a message's few hundred keys
    (NumPy 2's ``unique`` goes through a hash table first)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def _sentence_keys(parts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct :func:`feature_keys` (without shape keys) of each part, concatenated, and each key's part."""
    flats = [_DIGITS_RE.sub("0", p) for p in parts]
    # one code-point array for all parts, NUL between them: a gram that touches a NUL belongs to no part
    cp = code_points("\x00".join(f.replace(" ", "") for f in flats))
    part_at = np.cumsum(cp == 0)
    keys: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    if len(cp) >= 2:
        live = cp != 0
        bigrams = (cp[:-1] << GRAM_SHIFT) | cp[1:]
        trigrams = ((bigrams[:-1] << GRAM_SHIFT) | cp[2:]) | TRIGRAM
        two = live[:-1] & live[1:]
        three = two[:-1] & live[2:]
        keys += [bigrams[two], trigrams[three]]
        owner += [part_at[:-1][two], part_at[:-2][three]]
    for n, flat in enumerate(flats):
        words = _word_keys(flat)
        if len(words):
            keys.append(words)
            owner.append(np.full(len(words), n))
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    every, parts_of = np.concatenate(keys), np.concatenate(owner)
    # Equal keys come from one group above (bigrams, trigrams or one part's words), listed in part order, so
    # a stable sort by key alone orders by (key, part): half the cost of a lexsort.
    order = every.argsort(kind="stable")
    every, parts_of = every[order], parts_of[order]
    first = np.r_[True, (every[1:] != every[:-1]) | (parts_of[1:] != parts_of[:-1])]
    return every[first], parts_of[first]


@dataclass(frozen=True)
class LinearModel:
    """Vocabulary (sorted keys plus a sentinel), weights (vocabulary x labels), biases and label names."""

    keys: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    labels: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = data["keys"].astype(np.uint64)
                weights = data["weights"].astype(np.float32)  # half the bytes to gather per message
                bias = data["bias"].astype(np.float64)
                labels = tuple(str(x) for x in data["labels"].tolist())
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"{path.name}: 線形モデルを読み込めません（{exc}）") from exc
        if weights.shape != (len(keys), len(labels)) or bias.shape != (len(labels),):
            raise InputError(f"{path.name}: 線形モデルの形が不正です")
        return cls(np.append(keys, np.uint64(2**64 - 1)), weights, bias, labels)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            keys=self.keys[:-1],
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            labels=np.asarray(self.labels),
        )

    def logits(self, canon: str, *, shape: bool = True) -> np.ndarray:
        keys = feature_keys(canon, shape=shape)
        pos = self.keys.searchsorted(keys)
        pos = pos[self.keys[pos] == keys]
        if not len(pos):
            return self.bias.copy()
        result: np.ndarray = np.add.reduce(self.weights[pos], axis=0)
        result *= 1.0 / np.sqrt(len(keys))
        result += self.bias
        return result

    def sentence_probabilities(
        self, canon: str, *, limit: int = _MAX_SENTENCES, whole: np.ndarray | None = None
    ) -> np.ndarray:
        """Per label, the highest probability any one sentence of ``canon`` gets on its own (the whole text
        when it has one sentence; pass its probabilities as ``whole`` when already computed). A message that asks two things in two sentences dilutes each in the
        whole-text features; read alone, the second topic stands out."""
        parts = [p for p in _SENTENCE_RE.split(canon) if len(p.strip()) >= _MIN_SENTENCE][:limit]
        if len(parts) < 2:  # ``whole``: the caller's :meth:`probabilities` of ``canon``, not computed again
            return whole if whole is not None else self.probabilities(canon)
        # The keys of every sentence at once (what feature_keys(part, shape=False) gives each part), then one
        # vocabulary look-up: per-part calls cost mostly their fixed overhead.
        keys, sentence_of = _sentence_keys(parts)
        counts = np.bincount(sentence_of, minlength=len(parts))
        pos = self.keys.searchsorted(keys)
        hit = self.keys[pos] == keys
        sentence = sentence_of[hit]
        # the per-sentence sums as one product with a 0/1 membership matrix (cheaper than a segment sum)
        member = np.zeros((len(parts), len(sentence)))
        member[sentence, np.arange(len(sentence))] = 1.0 / np.sqrt(np.maximum(counts, 1))[sentence]
        logits: np.ndarray = member @ self.weights[pos[hit]]
        logits += self.bias
        result: np.ndarray = 1.0 / (1.0 + np.exp(-logits.max(axis=0)))
        return result

    def probabilities(self, canon: str) -> np.ndarray:
        result: np.ndarray = 1.0 / (1.0 + np.exp(-self.logits(canon)))
        return result


def fit(
    texts: Sequence[str],
    targets: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    known: Sequence[Sequence[str]] | None = None,
    min_df: int = 2,
    # chosen on held-out writers' batches (benchmarks/cross_style.py): with ~6,000 rows weaker shrinkage and
    # longer fitting generalise better (l2 1e-4/120 steps: top-1 0.915; 1e-5/200: 0.930; 1e-6/400: 0.935)
    l2: float = 1e-6,
    steps: int = 400,
) -> LinearModel:
    """One-vs-rest L2 logistic regression on canonicalised ``texts``; ``targets[i]`` are the labels of row
    i. ``known[i]`` names the labels whose outcome row i teaches (default: all); the others ignore it (an
    ``other`` message with no stated reason says nothing about the reasons)."""
    rows = [feature_keys(t) for t in texts]
    all_keys, counts = np.unique(np.concatenate(rows), return_counts=True)
    vocab = all_keys[counts >= min_df]
    index = {label: k for k, label in enumerate(labels)}
    n, k = len(rows), len(labels)
    y = np.zeros((n, k))
    mask = np.ones((n, k))
    for i, tags in enumerate(targets):
        for tag in tags:
            if tag in index:
                y[i, index[tag]] = 1.0
        if known is not None:
            mask[i] = 0.0
            for tag in known[i]:
                if tag in index:
                    mask[i, index[tag]] = 1.0
    # Only fitting needs scipy (benchmarks and tests install it); serving reads the fitted arrays.
    from scipy import sparse

    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    row_ids: list[np.ndarray] = []
    for i, keys in enumerate(rows):
        pos = vocab.searchsorted(keys)
        pos = pos[(pos < len(vocab)) & (vocab[np.minimum(pos, len(vocab) - 1)] == keys)]
        cols.append(pos)
        vals.append(np.full(len(pos), 1.0 / np.sqrt(max(len(keys), 1)), dtype=np.float32))
        row_ids.append(np.full(len(pos), i))
    x = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(row_ids), np.concatenate(cols))),
        shape=(n, len(vocab)),
        dtype=np.float32,
    )
    x_t = x.T.tocsr()
    w = np.zeros((len(vocab), k), dtype=np.float32)
    b = np.zeros(k)
    # Adam on the mean masked log-loss: a few hundred full-batch steps converge on a few thousand rows.
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros(k), np.zeros(k)
    rate, beta1, beta2, eps = 0.15, 0.9, 0.999, 1e-8
    weight_rows = mask.sum(axis=0)
    weight_rows[weight_rows == 0] = 1.0
    for step in range(1, steps + 1):
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        g = ((p - y) * mask / weight_rows).astype(np.float32)
        grad_w = x_t @ g + l2 * w
        grad_b = g.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        c1, c2 = 1 - beta1**step, 1 - beta2**step
        w -= rate * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= rate * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
    return LinearModel(np.append(vocab, np.uint64(2**64 - 1)), w, b, tuple(labels))
