"""The one date an English request is about: "March 31, 2027", "31 March", "31/3/2027", "end of next month",
"today" / "yesterday" (outages and usage data are about the day they happened).

The Japanese resolver (:mod:`intents.dates`) knows none of these; :func:`english_date` is asked first for
English messages, and the Japanese resolver still reads any 2027年3月31日 written inside them. Numeric dates
are read day first (31/3/2027), as the desk's English-writing customers do, unless the first number cannot be
a day-of-month reading (month > 12 then means M/D). A date without a year takes the first such day from 31
days before the message on. Past dates lose to future ones unless the sentence is about something that
happened (outage, usage), and the date a request is about wins over background dates ("our contract started
on ...") by the words before it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MONTHS = {
    name: n for n in range(1, 13) for name in (calendar.month_name[n].lower(), calendar.month_abbr[n].lower())
}
_MONTHS["sept"] = 9
_MONTH = r"(?P<{g}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{g}>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>20\d\d)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "end_named",
        re.compile(rf"\bend of (?:the month of )?{_MONTH.format(g='mo')}(?:,? {_YEAR.format(g='y')})?\b"),
    ),
    ("end_rel", re.compile(r"\bend of (?P<rel>this|next|the|the following|the next) month\b")),
    (
        "mdy",
        re.compile(
            rf"\b{_MONTH.format(g='mo')} {_DAY.format(g='d')}\b(?:,? {_YEAR.format(g='y')})?(?!\s*(?:kw|kwh|%|yen|hours|days))"
        ),
    ),
    (
        "dmy",
        re.compile(rf"\b{_DAY.format(g='d')} (?:of )?{_MONTH.format(g='mo')}(?:,? {_YEAR.format(g='y')})?\b"),
    ),
    (
        "ymd",
        re.compile(
            r"(?<![\d/])(?P<y>20\d\d)[/-](?P<mo>1[0-2]|0?[1-9])[/-](?P<d>3[01]|[12]\d|0?[1-9])(?![\d/])"
        ),
    ),
    ("num", re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>20\d\d)(?![\d/])")),
    ("rel_day", re.compile(r"\b(?P<rel>today|this morning|this afternoon|tonight|yesterday|tomorrow)\b")),
)
_REQUEST_BEFORE = re.compile(
    r"(?:\bfrom|\bon|\bby|\bas of|\beffective|\bwith effect from|\buntil|\bthrough|\bbefore|\bend|\bterminate|"
    r"\bcancel\w*|\bclose\w*|\bscheduled for|\bdate is|\bdate:|\bon or before|\bdue)\s*(?:the\s*)?$"
)
_BACKGROUND_BEFORE = re.compile(
    r"(?:started|start(?:ed)? on|applied from|signed|since|began|joined)\s*(?:on\s*)?$"
)
_HAPPENED = re.compile(
    r"outage|blackout|power cut|lost power|no power|power (?:went|was) (?:out|off)|tripped|usage|consumption|"
    r"data|reading|spike|was due|debit"
)
_GATE = re.compile(
    r"\d/\d|end of|today|yesterday|tomorrow|this morning|this afternoon|tonight|"
    + "|".join(calendar.month_abbr[n].lower() for n in range(1, 13))
)


def _year_for(month: int, day: int, received: date) -> date | None:
    for year in (received.year - 1, received.year, received.year + 1):
        found = _safe(year, month, day)
        if found is not None and found >= received - timedelta(days=31):
            return found
    return None


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _resolve(kind: str, m: re.Match[str], received: date) -> date | None:
    groups = m.groupdict()
    if kind == "rel_day":
        rel = groups["rel"]
        return received + timedelta(days={"yesterday": -1, "tomorrow": 1}.get(rel, 0))
    if kind == "end_rel":
        offset = 1 if groups["rel"] in ("next", "the following", "the next") else 0
        month = received.month + offset
        year = received.year + (month - 1) // 12
        return _month_end(year, (month - 1) % 12 + 1)
    if kind == "end_named":
        month = _MONTHS[groups["mo"]]
        year = int(groups["y"]) if groups.get("y") else received.year + (month < received.month)
        return _month_end(year, month)
    if kind == "num":
        a, b, year = int(groups["a"]), int(groups["b"]), int(groups["y"])
        day, month = (b, a) if a <= 12 < b else (a, b)
        return _safe(year, month, day)
    month = _MONTHS[groups["mo"]] if kind != "ymd" else int(groups["mo"])
    day = int(groups["d"])
    if groups.get("y"):
        return _safe(int(groups["y"]), month, day)
    return _year_for(month, day, received)


def english_date(text: str, received: date) -> str | None:
    """ISO date of the day the request is about, or None when the text names none."""
    lowered = text.lower()
    if not _GATE.search(lowered):
        return None
    mentions: list[tuple[int, int, date, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(lowered):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            day = _resolve(kind, m, received)
            if day is not None:
                mentions.append((m.start(), m.end(), day, kind))
                taken.append(m.span())
    if not mentions:
        return None
    mentions.sort()
    best: tuple[float, int] | None = None
    chosen: date | None = None
    for start, end, day, kind in mentions:
        left = max(lowered.rfind(".", 0, start), lowered.rfind("\n", 0, start)) + 1
        stop = min(
            (i for i in (lowered.find(".", end), lowered.find("\n", end)) if i >= 0), default=len(lowered)
        )
        sentence = lowered[left:stop]
        before = lowered[max(0, start - 24) : start]
        score = 1.0
        if _REQUEST_BEFORE.search(before):
            score += 1.0
        if _BACKGROUND_BEFORE.search(before):
            score -= 2.0
        if day < received and not _HAPPENED.search(sentence) and kind != "rel_day":
            score -= 1.5
        if kind == "rel_day" and not _HAPPENED.search(sentence):
            score -= 1.2
        if best is None or score > best[0]:
            best, chosen = (score, -start), day
    if chosen is None or best is None or best[0] < 0.5:
        return None
    return chosen.isoformat()
