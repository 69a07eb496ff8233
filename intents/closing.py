"""Is a message only a closing message — thanks or "understood" — that needs no reply?

Used on a reply in the thread of an answered inquiry: a closing message is recorded on the inquiry and no
new draft is made (a hurried approval would otherwise send the answer again); a real new question is a
follow-up and is drafted. The phrases are data (``faq/closing.toml``). When the classifier marks a message
``other_reason == "thanks"`` that is used too (see :func:`is_closing_understanding`).

The rule leans towards "not closing": one question marker or one sentence of substance makes it a
follow-up, because a missed question is worse than a reply staff reject.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jaconv

from intents.cleanup import strip_quoted

__all__ = [
    "ClosingWords",
    "asks_something",
    "fold",
    "is_closing",
    "is_closing_understanding",
    "load_closing_words",
]

SHORT_LINE = 20  # characters: a line this short without a verb of substance is a name or a greeting
_SENTENCE_END = re.compile(r"[。．.!！\n]+")
_SPACES = re.compile(r"[\s\u3000]+")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class ClosingWords:
    closing: tuple[str, ...]
    fillers: tuple[str, ...]
    questions: tuple[str, ...]

    def pattern(self, words: tuple[str, ...]) -> re.Pattern[str]:
        parts = []
        for word in sorted(words, key=len, reverse=True):
            escaped = re.escape(_fold(word))
            # Latin words match whole words only; Japanese has no spaces to tell words apart.
            parts.append(rf"\b{escaped}\b" if _LATIN.search(word) else escaped)
        return re.compile("|".join(parts))


def _fold(text: str) -> str:
    """Width, case, katakana/hiragana and space runs folded, so ｱﾘｶﾞﾄｳ matches ありがとう."""
    folded = jaconv.kata2hira(unicodedata.normalize("NFKC", text).lower())
    return _SPACES.sub(" ", folded).strip()


@lru_cache(maxsize=4)
def load_closing_words(path: str | None = None) -> ClosingWords:
    """The phrase lists from ``faq/closing.toml`` (or ``path``)."""
    if path is None:
        from faq import FAQ_DIR

        file = Path(FAQ_DIR) / "closing.toml"
    else:
        file = Path(path)
    data: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
    return ClosingWords(
        closing=tuple(str(w) for w in data.get("closing", [])),
        fillers=tuple(str(w) for w in data.get("fillers", [])),
        questions=tuple(str(w) for w in data.get("questions", [])),
    )


def fold(text: str) -> str:
    """Width, case, katakana/hiragana and space runs folded, as the patterns expect."""
    return _fold(text)


@lru_cache(maxsize=4)
def _patterns(words: ClosingWords) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return words.pattern(words.closing), words.pattern(words.fillers), words.pattern(words.questions)


def is_closing(text: str, words: ClosingWords | None = None) -> bool:
    """True when ``text`` only thanks us or says it understood (quoted earlier mail is ignored)."""
    closing, fillers, questions = _patterns(words or load_closing_words())
    own = _fold(strip_quoted(text))
    if not own or questions.search(own):
        return False
    found = False
    for sentence in _SENTENCE_END.split(own):
        sentence = sentence.strip(" 、,:;：；-ー〜~")
        if not sentence:
            continue
        if closing.search(sentence):
            found = True
            rest = closing.sub("", fillers.sub("", sentence)).strip(" 、,:;：；-ー〜~")
        else:
            rest = fillers.sub("", sentence).strip(" 、,:;：；-ー〜~")
        # What is left besides the phrases must be no more than a name, a salutation or a courtesy word.
        if len(rest) > SHORT_LINE:
            return False
    return found


def asks_something(text: str) -> bool:
    """True when ``text`` (quoted earlier mail ignored) has a question or request marker of
    ``faq/closing.toml``."""
    _closing, _fillers, questions = _patterns(load_closing_words())
    return bool(questions.search(_fold(strip_quoted(text))))


def is_closing_understanding(understanding: object, text: str) -> bool:
    """Closing by the classifier's word (``other_reason == "thanks"``, when it gives one, and no question
    in the text) or by the phrases."""
    if getattr(understanding, "other_reason", None) == "thanks":
        _closing, _fillers, questions = _patterns(load_closing_words())
        return not questions.search(_fold(strip_quoted(text)))
    return is_closing(text)
