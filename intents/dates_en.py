"""Dates written in English ("31 March 2027", "March 31st, 2027", "20 May", "the end of September").

The Japanese reader (:mod:`intents.dates`) knows no month names; an English inquiry writes its cancellation
date or the day it sent a notice this way. A date without a year is read forward from the day received
(the next such day), like the Japanese reader does.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

__all__ = ["english_dates", "requested_date"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"

_PATTERNS = (
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b(?:the\s+)?end\s+of\s+{_MONTH}{_YEAR}\b", re.IGNORECASE),
)


def _forward(year: int | None, month: int, day: int | None, received: date) -> date | None:
    def build(y: int) -> date | None:
        last = calendar.monthrange(y, month)[1]
        d = last if day is None else day
        return date(y, month, d) if 1 <= d <= last else None

    if year is not None:
        return build(year)
    this_year = build(received.year)
    if this_year is not None and this_year >= received:
        return this_year
    return build(received.year + 1)


def english_dates(text: str, *, received: date) -> list[date]:
    """Every English date in ``text``, in order of appearance."""
    return [d for _, d in _found(text, received)]


# Words that introduce the date a cancellation or change takes effect ("cancel as of 31 Dec", "effective 1 May").
_EFFECT = re.compile(
    r"\b(?:as of|effective|with effect from|cancel\w*|terminat\w*|end\w*|until|through)\b[^.?!\n]{0,25}$",
    re.IGNORECASE,
)


def requested_date(text: str, *, received: date) -> date | None:
    """The date a request is for: the first one written right after "as of", "effective", "cancel…",
    "terminate…", "end…" ("we move to a new provider from 1 Jan; cancel as of 31 Dec" → 31 December), else the
    first date in the text."""
    found = _found(text, received)
    for start, day in found:
        if _EFFECT.search(text, max(0, start - 40), start):
            return day
    return found[0][1] if found else None


def _found(text: str, received: date) -> list[tuple[int, date]]:
    found: list[tuple[int, date]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            groups = m.groupdict()
            day = int(groups["day"]) if groups.get("day") else None
            year = int(groups["year"]) if groups.get("year") else None
            resolved = _forward(year, _MONTHS[groups["month"].lower().rstrip(".")], day, received)
            if resolved is not None:
                taken.append((start, end))
                found.append((start, resolved))
    return sorted(found)
