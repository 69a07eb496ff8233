"""Japanese text normalisation for matching.

One function, :func:`normalize`, is applied to customer text and to every example, keyword and synonym in
the knowledge files, so both sides of a comparison are written the same way: NFKC (full-width ASCII and
digits become half-width, half-width katakana become full-width), long-vowel and wave-dash variants folded,
spaces between Japanese words dropped, lower case, katakana folded to hiragana, corporate abbreviations
spelled out. neologdn does the same long-vowel/space work more thoroughly but costs ~100 µs per message
(a tenth of the per-message budget), so the hot path uses two regular expressions instead and
:func:`normalize_thorough` keeps neologdn for tooling.

Measured on the dev set (2 cores, one used): SudachiPy + sudachidict_core tokenises whole messages at about
630 msg/s in mode A and 930 msg/s in mode C, which alone misses the 1,000 msg/s budget for classification plus
entity extraction. The hot path therefore matches on normalised character strings (keywords, synonyms,
character n-grams, rapidfuzz). :func:`tokens` keeps Sudachi available, loaded lazily, for tooling that wants
dictionary forms (e.g. suggesting keywords to staff); the classifier never calls it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import jaconv
import neologdn
import numpy as np

# NFKC turns ㈱ into (株); spell the common abbreviations out so all three written forms match.
_CORPORATE = {
    "(株)": "株式会社",
    "(有)": "有限会社",
    "(医)": "医療法人",
    "(社)": "社団法人",
    "(財)": "財団法人",
    "(学)": "学校法人",
}
_CORPORATE_RE = re.compile("|".join(re.escape(k) for k in _CORPORATE))
_SPACES_RE = re.compile(r"[ \t\u3000]+")
_NEWLINES_RE = re.compile(r"\s*\n\s*")
# Dash-like characters customers type between digits or as long vowels; NFKC leaves several of them alone.
# Long-vowel look-alikes become ー (as neologdn does), dash-like characters "-", wave dashes "~".
_FOLD = str.maketrans(
    {**{c: "-" for c in "‐‑‒–—―−﹣－"}, **{c: "~" for c in "〜～∼"}, **{c: "ー" for c in "ｰ─━一"[:3]}}
)
_LONG_VOWELS_RE = re.compile("ーー+")
# _FOLD and jaconv.kata2hira as one code-point lookup table (str.translate looks every character up in a
# dict, which cost more than the rest of normalize()). Neither maps into the other's domain, and kata2hira
# neither matches nor produces what the substitutions between them read (ー, "(株)"-style abbreviations), so
# one pass right after NFKC gives the same text as fold, substitute, kata2hira.
_CHAR_TABLE = np.arange(0x110000, dtype=np.uint32)  # every code point: no range check per call
for _src, _dst in _FOLD.items():
    _CHAR_TABLE[_src] = ord(_dst)
for _cp in range(0x3000, 0x3100):  # jaconv's kata2hira table only maps characters of this block
    if (_kana := jaconv.kata2hira(chr(_cp))) != chr(_cp):
        _CHAR_TABLE[_cp] = ord(_kana)
# A space between two Japanese characters is layout, not a word break (neologdn drops it too).
_JA = r"\u3041-\u30ff\u4e00-\u9fff\u3005"
_JA_SPACE_RE = re.compile(f"(?<=[{_JA}]) (?=[{_JA}])")


def normalize(text: str) -> str:
    """Normalise for matching; newlines are kept as sentence breaks, other whitespace runs become one space."""
    if not text:
        return ""
    text = _fold_chars(unicodedata.normalize("NFKC", text))
    # Each substitution only runs when its pattern's literal part occurs (most texts need few of them).
    if "ーー" in text:
        text = _LONG_VOWELS_RE.sub("ー", text)
    if "(" in text:
        text = _CORPORATE_RE.sub(lambda m: _CORPORATE[m.group(0)], text)
    text = text.lower()
    if "  " in text or "\t" in text or "\u3000" in text:
        text = _SPACES_RE.sub(" ", text)
    if " " in text:
        text = _JA_SPACE_RE.sub("", text)
    if "\n" in text:
        text = _NEWLINES_RE.sub("\n", text)
    return text.strip()


def _fold_chars(text: str) -> str:
    """``jaconv.kata2hira(text.translate(_FOLD))`` done on code points."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _CHAR_TABLE[cp].tobytes().decode("utf-32-le", "surrogatepass")


def normalize_thorough(text: str) -> str:
    """:func:`normalize` after neologdn (slower; ~100 µs per message): for knowledge files and tooling."""
    return normalize("\n".join(neologdn.normalize(line) for line in text.split("\n")))


_SENTENCE_RE = re.compile(r"[^。!?\n]+[。!?]*")


def sentences(normalized: str, *, min_chars: int = 4) -> list[str]:
    """Split normalised text into sentences (。 ! ? and line breaks), dropping fragments shorter than
    ``min_chars``."""
    return [t for s in _SENTENCE_RE.findall(normalized) if len(t := s.strip()) >= min_chars]


_DIGITS_RE = re.compile(r"\d+")


def char_ngrams(normalized: str, sizes: tuple[int, ...] = (2, 3)) -> list[str]:
    """Character n-grams of normalised text, digit runs collapsed to ``0`` and sentence breaks kept out."""
    grams: list[str] = []
    for part in _DIGITS_RE.sub("0", normalized).split("\n"):
        part = part.replace(" ", "")
        for n in sizes:
            grams.extend(part[i : i + n] for i in range(len(part) - n + 1))
    return grams


@lru_cache(maxsize=1)
def _sudachi() -> Any:
    from sudachipy import Dictionary

    dictionary = Dictionary(dict="core")
    # SudachiPy 0.7 renamed create() to tokenizer(); older releases only have create().
    factory = getattr(dictionary, "tokenizer", None) or dictionary.create
    return factory()


def tokens(text: str, *, mode: str = "C") -> list[str]:
    """Sudachi normalised forms of the content words of ``text`` (not used on the hot path; see module doc)."""
    from sudachipy import SplitMode

    split = {"A": SplitMode.A, "B": SplitMode.B, "C": SplitMode.C}[mode]
    out: list[str] = []
    for m in _sudachi().tokenize(text, split):
        pos = m.part_of_speech()[0]
        if pos in ("助詞", "助動詞", "補助記号", "空白"):
            continue
        out.append(m.normalized_form())
    return out
