"""Who a message is addressed to: mail opened with another utility's name was meant for them.

The patterns are data (``faq/addressees.toml``); this module reads the first lines of the raw message (the
classifier reads the cleaned body, from which the addressee line is removed as boilerplate).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desk.errors import InputError

__all__ = ["ADDRESSEES_FILE", "Addressees", "addressed_elsewhere", "load_addressees"]

ADDRESSEES_FILE = Path(__file__).resolve().parent.parent / "faq" / "addressees.toml"
_HEAD_LINES = 4
_HEAD_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Addressees:
    misdirected: tuple[re.Pattern[str], ...]
    confidence: float


@lru_cache(maxsize=4)
def load_addressees(path: Path = ADDRESSEES_FILE) -> Addressees:
    """The ``misdirected`` patterns, compiled, and the answer's confidence; a pattern that does not compile
    is a data error, said plainly."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    compiled = []
    for pattern in data.get("misdirected", []):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise InputError(f"{path.name}: 正規表現が不正です（{pattern}: {exc}）") from exc
    confidence = float(data.get("confidence", 0.9))
    if not 0.0 < confidence <= 1.0:
        raise InputError(f"{path.name}: confidence は0より大きく1以下で指定してください（{confidence}）")
    return Addressees(tuple(compiled), confidence)


def addressed_elsewhere(text: str) -> bool:
    """True when one of the message's first non-empty lines addresses another utility."""
    patterns = load_addressees().misdirected
    # only the opening is read (this runs on every message): a cut line at the end of it is left out
    start = text[:_HEAD_CHARS] if len(text) <= _HEAD_CHARS else text[: text.rfind("\n", 0, _HEAD_CHARS) + 1]
    lines = (line.strip(" \t\u3000") for line in start.splitlines())
    head = itertools.islice((line for line in lines if line), _HEAD_LINES)
    return any(p.search(line) for line in head for p in patterns)
