"""Dates written in English, and the one an English request is about.

The Japanese reader (:mod:`intents.dates`) knows no month names. This module reads "31 March 2027",
"March 31st, 2027", "2027 Mar 31", "31/3/2027" (day first, as the desk's English-writing customers write; month first only
when the first number cannot be a day-of-month reading), "30/9" and "7/31" (without a year only when one number
cannot be a month), "next Monday"/"last Saturday"/"on Friday", "2027-03-31", "the end of September", "end of next
month" and "today"/"yesterday"/"tomorrow". A date without a year is the first such day from 31 days before
the message on, like the Japanese reader: an outage "on 3 June" written on 10 June is that past day.

- :func:`english_dates` — every date, in order (the question reader looks for the day a notice was sent);
- :func:`requested_date` — the day the request is about (the ``date`` entity), chosen by the words around
  each date: a day after "as of"/"effective"/"cancel…" beats one after "from"/"on", background dates ("our
  contract started on …") lose, and a past day counts only in a sentence about something that happened.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["EnglishDate", "english_dates", "english_mentions", "requested_date"]

_MONTHS = {
    name: n for n in range(1, 13) for name in (calendar.month_name[n].lower(), calendar.month_abbr[n].lower())
}
_MONTHS["sept"] = 9
_MONTH = r"(?P<{g}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"(?P<{g}>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>20\d\d)"
_ORDINAL_WORDS = {
    name: n
    for n, name in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        1,
    )
} | {"twenty-first": 21, "twenty-second": 22, "twenty-third": 23, "thirtieth": 30, "thirty-first": 31}
# "Sat the 19th", "Tues the 3rd"
_ABBREVIATED_DAYS = ("mon", "tues", "tue", "wed", "thurs", "thu", "fri", "sat", "sun")


def _weekday_index(name: str) -> int:
    """0 for Monday … 6 for Sunday, from a full or an abbreviated English name."""
    return next(n for n in range(7) if calendar.day_name[n].lower().startswith(name[:3]))


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "end_named",
        re.compile(
            rf"\bend of (?:the month of )?{_MONTH.format(g='mo')}(?:,? {_YEAR.format(g='y')}|(?P<next> next year))?\b"
        ),
    ),
    (
        "end_rel",
        re.compile(r"\bend of (?P<rel>this|next|the|the following|the next) month\b|\b(?P<eom>eom)\b"),
    ),
    # "at the end of this year", "by the end of next year": 31 December
    ("end_year", re.compile(r"\bend of (?P<rel>this|next|the) year\b")),
    # "2025 Aug 1": year first, then the month's name (before "Aug 1" is read without its year)
    ("ymd_words", re.compile(rf"\b{_YEAR.format(g='y')},? {_MONTH.format(g='mo')},? {_DAY.format(g='d')}\b")),
    (
        "mdy",
        re.compile(
            rf"\b{_MONTH.format(g='mo')} {_DAY.format(g='d')}\b(?:,? {_YEAR.format(g='y')}|(?P<nexty>,? next year\b))?"
            r"(?!\s*(?:kw|kwh|%|yen|hours|days)|-?min)"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"\b{_DAY.format(g='d')} (?:of )?{_MONTH.format(g='mo')}(?:,? {_YEAR.format(g='y')}|(?P<nexty>,? next year\b))?"
        ),
    ),
    (
        "ymd",
        re.compile(
            r"(?<![\d/])(?P<y>20\d\d)[/-](?P<mo>1[0-2]|0?[1-9])[/-](?P<d>3[01]|[12]\d|0?[1-9])(?![\d/])"
        ),
    ),
    ("num", re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>20\d\d)(?![\d/])")),
    # Without a year only when one number cannot be a month: 30/9 is day first, 7/31 month first.
    (
        "num_short",
        re.compile(r"(?<![\d/.\-])(?!24/7\b)(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/]|\s*(?:-|–|~|to)\s*\d)"),
    ),
    # "on October first", "effective April first" (a dictated or spelled-out day)
    (
        "month_ordinal_word",
        re.compile(rf"\b{_MONTH.format(g='mo')} (?:the )?(?P<word>" + "|".join(_ORDINAL_WORDS) + r")\b"),
    ),
    # "the first Saturday of August", "the last Friday of next month"
    (
        "nth_weekday",
        re.compile(
            r"\b(?P<nth>first|1st|second|2nd|third|3rd|fourth|4th|last) (?P<wd>"
            + "|".join(calendar.day_name[n].lower() for n in range(7))
            + rf") (?:of|in) (?:(?P<rel>this|next) month\b|{_MONTH.format(g='mo')}(?:,? {_YEAR.format(g='y')})?)"
        ),
    ),
    # "Saturday the 4th", "this Tuesday (the 17th)": the weekday says which month's 4th.
    (
        "weekday_ordinal",
        re.compile(
            r"\b(?:this|last|on)\s+(?P<wd>"
            + "|".join(calendar.day_name[n].lower() for n in range(7))
            + "|"
            + "|".join(_ABBREVIATED_DAYS)
            + r")\.?,?\s*\(?the (?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b\)?"
        ),
    ),
    # "on the 15th of next month" (a rule's "the 6th of the following month" is any month's)
    (
        "ordinal_month",
        re.compile(
            r"\b(?:on|by|until|before|from|starting|as of|for) the (?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th) of "
            r"(?P<rel>this|next) month\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            # "on Friday next week", "next week on Friday": a day of next week, whatever today is
            r"\b(?P<rel>this coming|coming|next week(?: on)?|next|this|last|on|by|until|before)\s+(?P<wd>"
            + "|".join(calendar.day_name[n].lower() for n in range(7))
            + r")\b(?![,\s]+(?:the\s+)?(?:\d|"  # "on Tuesday June 16": the date itself says which day
            + "|".join(calendar.month_abbr[n].lower() for n in range(1, 13))
            + r"))(?P<nw>,?\s+(?:of\s+)?next week\b)?"
        ),
    ),
    # "the 27th" alone is a day of this month only in a sentence that says so ("this month the 27th is a
    # Saturday"); elsewhere it is a recurring day ("our metering day is the 2nd").
    (
        "ordinal",
        re.compile(
            r"\bthe (?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b(?! of\b)(?=[^.?!\n]{0,40}\bthis month\b)"
            r"|(?<=\bthis month\b)[^.?!\n]{0,20}\bthe (?P<d2>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b"
        ),
    ),
    # "open the PAS on the 24th", "the data for the 15th": a day named by its number alone, after on/for, is the
    # nearest such day (a rule's "on the 6th of each month" is any month's; "of" after it is excluded).
    (
        "ordinal_near",
        re.compile(
            r"\b(?:on|for|from|(?:mov|postpon|reschedul|chang|push|delay)\w*(?: back| forward)? to) the "
            r"(?:(?:morning|afternoon|evening|night) of the )?"  # "on the morning of the 24th"
            r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b(?!\s+of\b)"
            r"(?![^.?!\n]{0,30}\b(?:each|every) month\b)"
        ),
    ),
    # "Is it the 27th?", "so is it the 10th?": the day asked about by its number alone is the nearest such day,
    # even after the words of a recurring debit (the question names this time's)
    (
        "ordinal_asked",
        re.compile(
            r"\b(?:is it|will it be|would it be|is that|so it\x27s)(?: on)? the "
            r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)\b(?=[^.!\n]{0,20}\?)"
        ),
    ),
    (
        "rel_day",
        re.compile(
            r"\b(?P<rel>today|this morning|this afternoon|tonight|yesterday|tomorrow|last night|tmrw|tmr)\b"
        ),
    ),
)
# Words right before a date that make it the day something ends or takes effect: the strongest sign.
_EFFECT_BEFORE = re.compile(
    r"(?:\bas of|\beffective(?: from| on)?|\bwith effect from|\bterminat\w*|\bcancel\w*|\bend(?:s|ing)?|\bclos\w*|"
    r"\bscheduled for|\bdate of|\blast day|\bfinal day)\b[^.?!\n]{0,40}$"
)
# "The PAS opening date will be …", "sorry, typo - I mean …": a label or a correction names the day itself.
_LABEL_BEFORE = re.compile(
    r"(?:\bdate is|\bdate will be|\bday will be|\bdate:|\bi mean|\bshould (?:therefore |then |thus |accordingly )?(?:be|read)|"
    r"\bcorrect(?:ion|ed)?(?: date)?(?: is)?:?)\s*(?:the\s*)?$"
)
# "the contractor moved it to Sept 13": the day a plan moves to, stated (not asked: "is the deadline moved to …?").
_MOVED_TO_BEFORE = re.compile(
    r"\b(?:mov|postpon|reschedul|push|shift)\w*(?: it| them| this| that| the \w+)?(?: back| forward)? to\s*(?:the\s*)?$"
)
# "by Friday", "until end of this month", "a transfer deadline of 31 December": a deadline, as strong a mark as
# 「まで」 is in Japanese.
_DEADLINE_BEFORE = re.compile(
    r"(?:\bby|\buntil|\bno later than|\bon or before|\b(?:deadline|due date)(?: is| was| of|:)?)\s*(?:the\s*)?$"
)
# "the week of Sept 7" names a week, not a day.
_WEEK_OF_BEFORE = re.compile(r"\bweek (?:of|starting|beginning|commencing)\s*(?:the\s*)?$")
# Plain prepositions of a requested day.
_REQUEST_BEFORE = re.compile(
    r"(?:\bfrom|\bon|\bby|\buntil|\bthrough|\bbefore|\bon or before|\bdue|\bno later than|\bfor)\s*(?:the\s*)?$"
)
# "From 1 October we will add a shift", "from April 1, please send…": a day ahead from which something is going
# to change; for a request with no day of its own (``least`` of 2.5 and up) as strong as "effective". A month's
# end ("from the end of next month") is a rough time, not such a day.
_DAYLESS_LEAST = 2.5
_FROM_BEFORE = re.compile(r"\b(?:from|starting|beginning|as from)\s*(?:the\s*)?$")
_PLANNED = re.compile(r"\b(?:will|\x27ll|going to|please|plan to|are planning)\b")


def _takes_effect(before: str, sentence: str, day: date, received: date) -> bool:
    return day >= received and bool(_FROM_BEFORE.search(before) and _PLANNED.search(sentence))


_METERING_DAY_BEFORE = re.compile(
    r"\b(?:metering|meter[- ]reading|reading|meter read) (?:day|date) is (?:normally |usually |always )?(?:on )?(?:the )?$"
)
_BACKGROUND_BEFORE = re.compile(
    r"(?:started|start(?:ed)? on|applied from|signed|since|began|joined)\s*(?:on\s*)?$"
)
# "As of 1 April I have handed over responsibility to…": the day a person in charge changes is background.
_STAFF_CHANGE = re.compile(
    r"hand(?:ed|ing|s)? over (?:responsibility|my|the (?:energy|electricity|power|account)|to (?:my|our))|left the company|leaving the company|successor|retir(?:e|ed|ing)\b|"
    r"tak(?:en|ing|es) over (?:from|responsibility)|new (?:contact|person in charge|point of contact)"
)
_THANKED = re.compile(r"\b(?:thanks|thank you|cheers|appreciate[ds]?)\b[^.?!\n]{0,40}$")
_HAPPENED = re.compile(
    r"outage|blackout|power cut|lost power|no power|power (?:went|was|is) (?:out|off)|power\x27s out|power out|"
    r"without power|power failure|power stop\w*|(?:power|electricity) (?:stopped|was cut)|voltage (?:dip|drop|sag)|tripped|usage|consumption|data|reading|spike|was due|"
    r"deadline|due date|debit|shutdown|half-hourly|kwh|came back|"
    r"flicker|power was (?:gone|down)|cut (?:the )?power|\bwent (?:down|out|off)\b|"
    r"30-minute|interval|values|peak|demand|\bload\b|(?:power|supply|electricity) (?:came|come|is|was) back|restored|back on"
)
# "tomorrow 07:00", "yesterday evening at 19:45": a relative day given a clock time names when something happens.
_CLOCK_AFTER = re.compile(
    r"\s*(?:(?:morning|afternoon|evening|night)\s*)?(?:(?:at|around|from|about)\s*){0,2}\d{1,2}(?::\d{2}|\s*(?:am|pm)\b)"
)
# "the contract was terminated on 31 March": a day told in the past tense (within its own clause)
_PAST_TENSE_BEFORE = re.compile(
    r"\b(?:was|were|had been|has been|have been)\b(?:(?!\bbut\b|\band\b|[,;])[^.?!\n]){0,40}$"
)
# "opening the PAS at 7:00 today": a clock time just before the relative day
_CLOCK_BEFORE = re.compile(r"\b(?:at|around|from|by)?\s*\d{1,2}(?::\d{2}|\s*(?:am|pm)\b)\s*$")
# "finishes tomorrow afternoon": a relative day with its part of the day names when something happens
_PART_OF_DAY_AFTER = re.compile(r"\s+(?:morning|afternoon|evening|night)\b")
_GATE = re.compile(
    r"\d/\d|\d-\d|end of|\beom\b|\d(?:st|nd|rd|th)\b|today|yesterday|tomorrow|tmrw?\b|last night|this morning|this afternoon|tonight|day\b|"
    + "|".join(calendar.month_abbr[n].lower() for n in range(1, 13))
)


@dataclass(frozen=True, slots=True)
class EnglishDate:
    """One date written in English: where it is in the (lower-cased) text, the day, and which form it had."""

    start: int
    end: int
    date: date
    kind: str
    yearless: bool = False  # a month and a day written without their year ("Nov 6", "30/9")


_DAY_NAMES = [calendar.day_name[n].lower() for n in range(7)]


def _weekday(rel: str, wanted: int, received: date) -> date:
    """ "last Saturday" is the latest one before the day received; "next/this coming/on/by Friday" the first
    one after it ("this Friday" may be the day itself)."""
    if rel == "last":
        return received - timedelta(days=(received.weekday() - wanted - 1) % 7 + 1)
    ahead = (wanted - received.weekday()) % 7
    if ahead == 0 and rel != "this":
        ahead = 7
    return received + timedelta(days=ahead)


def _day_on_weekday(day: int, weekday: int, received: date) -> date | None:
    """ "Saturday the 4th": that day of the nearest month (the previous to five ahead) falling on that weekday."""
    found = []
    for delta in (-1, 0, 1, 2, 3, 4, 5):
        year, month = divmod(received.year * 12 + received.month - 1 + delta, 12)
        candidate = _safe(year, month + 1, day)
        if candidate is not None and candidate.weekday() == weekday:
            found.append(candidate)
    return min(found, key=lambda d: abs((d - received).days)) if found else None


def _nearest_day(day: int, received: date) -> date | None:
    """ "on the 24th": that day of the previous, this or the next month, whichever is nearest."""
    found = []
    for delta in (-1, 0, 1):
        year, month = divmod(received.year * 12 + received.month - 1 + delta, 12)
        candidate = _safe(year, month + 1, day)
        if candidate is not None:
            found.append(candidate)
    return min(found, key=lambda d: abs((d - received).days)) if found else None


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


_REL_DAYS = {"yesterday": -1, "last night": -1, "tomorrow": 1, "tmrw": 1, "tmr": 1}
_NTH = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    """The ``nth`` (1–4, or -1 for the last) ``weekday`` of a month."""
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    return date(year, month, days[nth if nth < 0 else nth - 1]) if len(days) >= abs(nth) else None


def _resolve(kind: str, m: re.Match[str], received: date) -> date | None:
    groups = m.groupdict()
    if kind == "rel_day":
        rel = groups["rel"]
        return received + timedelta(days=_REL_DAYS.get(rel, 0))
    if kind == "end_year":
        return date(received.year + (groups["rel"] == "next"), 12, 31)
    if kind == "end_rel":
        offset = 1 if groups.get("rel") in ("next", "the following", "the next") else 0
        month = received.month + offset
        year = received.year + (month - 1) // 12
        return _month_end(year, (month - 1) % 12 + 1)
    if kind == "end_named":
        month = _MONTHS[groups["mo"]]
        if groups.get("y"):
            return _month_end(int(groups["y"]), month)
        if groups.get("next"):
            return _month_end(received.year + 1, month)
        # Like a day without a year: a month end up to 31 days back is that past one.
        for year in (received.year - 1, received.year, received.year + 1):
            if _month_end(year, month) >= received - timedelta(days=31):
                return _month_end(year, month)
        return _month_end(received.year + 1, month)
    if kind == "num":
        a, b, year = int(groups["a"]), int(groups["b"]), int(groups["y"])
        day, month = (b, a) if a <= 12 < b else (a, b)
        return _safe(year, month, day)
    if kind == "num_short":
        a, b = int(groups["a"]), int(groups["b"])
        if (a <= 12) == (b <= 12):
            return None  # 4/5 could be either; 40/50 is no date
        day, month = (b, a) if a <= 12 else (a, b)
        return _year_for(month, day, received)
    if kind == "ordinal":
        return _safe(received.year, received.month, int(groups["d"] or groups["d2"]))
    if kind == "ordinal_asked":
        # a day asked about lies ahead: this month's, or next month's once this month's has passed
        day = int(groups["d"])
        if received.day > day:
            received = _month_end(received.year, received.month) + timedelta(days=1)
        return _safe(received.year, received.month, day)
    if kind == "ordinal_near":
        return _nearest_day(int(groups["d"]), received)
    if kind == "month_ordinal_word":
        return _year_for(_MONTHS[groups["mo"]], _ORDINAL_WORDS[groups["word"]], received)
    if kind == "nth_weekday":
        if groups.get("rel"):
            year, month = divmod(received.year * 12 + received.month - 1 + (groups["rel"] == "next"), 12)
            return _nth_weekday(year, month + 1, _NTH[groups["nth"]], _DAY_NAMES.index(groups["wd"]))
        month = _MONTHS[groups["mo"]]
        year = int(groups["y"]) if groups.get("y") else received.year + (month < received.month)
        return _nth_weekday(year, month, _NTH[groups["nth"]], _DAY_NAMES.index(groups["wd"]))
    if kind == "weekday_ordinal":
        return _day_on_weekday(int(groups["d"]), _weekday_index(groups["wd"]), received)
    if kind == "ordinal_month":
        year, month = divmod(received.year * 12 + received.month - 1 + (groups["rel"] != "this"), 12)
        return _safe(year, month + 1, int(groups["d"]))
    if kind == "weekday":
        wanted = _DAY_NAMES.index(groups["wd"])
        if groups.get("nw") or groups["rel"].startswith("next week"):
            return received + timedelta(days=7 - received.weekday() + wanted)
        return _weekday(groups["rel"], wanted, received)
    month = int(groups["mo"]) if kind == "ymd" else _MONTHS[groups["mo"]]
    day = int(groups["d"])
    if groups.get("y"):
        return _safe(int(groups["y"]), month, day)
    if groups.get("nexty"):
        return _safe(received.year + 1, month, day)
    return _year_for(month, day, received)


_NUMERIC = frozenset({"ymd", "num", "num_short"})
_FAR_AHEAD_DAYS = 300
_YEARLESS_KINDS = frozenset({"mdy", "dmy", "num_short", "month_ordinal_word"})
# "meter read is on the 2nd", "debited on the 27th": a day of the month that comes back, not one day.
_RECURRING_BEFORE = re.compile(
    r"\b(?:meter\w*|read(?:ing)?|debit\w*|due|paid|billing|invoiced?|closing)\b[^.?!\n]*$"
)


# "renews every 1 October", "on 1 October every year": a day that comes back each year is no one day.
_EVERY_BEFORE = re.compile(r"\b(?:every|each)\s+(?:year\s+)?(?:on\s+)?(?:the\s+)?$")
_EVERY_AFTER = re.compile(r",?\s+(?:every|each) year\b")
# "… on Saturday April 4. Could you find the usage for that day?": a day pointed back to is the day asked about.
_POINTED_BACK = re.compile(r"\b(?:for|on|of|from) (?:that|the same) (?:day|date)\b")

# "has been moved to the 15th": a plan moved goes to a day ahead as well.
_PLAN_AHEAD = re.compile(
    r"\b(?:will|\x27ll|going to|plan(?:ning)? to|are planning|intend to|scheduled to|moved|postponed|rescheduled)\b"
)


def _planned_around(lowered: str, start: int, end: int) -> bool:
    """ "We plan to open the PAS on the 8th": a plan's day by its number alone lies ahead, not in the past."""
    left = max(lowered.rfind(".", 0, start), lowered.rfind("\n", 0, start), lowered.rfind("!", 0, start)) + 1
    return bool(_PLAN_AHEAD.search(lowered, left, end))


def english_mentions(text: str, *, received: date, words_only: bool = False) -> list[EnglishDate]:
    """Every English date in ``text`` in order of appearance (positions in ``text``; matching ignores case).
    ``words_only`` leaves out dates written in digits alone (2027-03-31, 30/9), which the Japanese reader
    also reads."""
    lowered = text.lower()
    if not _GATE.search(lowered):
        return []
    mentions: list[EnglishDate] = []
    for kind, pattern in _PATTERNS:
        if (words_only and kind in _NUMERIC) or (kind == "ordinal" and "this month" not in lowered):
            continue
        for m in pattern.finditer(lowered):
            if any(x.start < m.end() and m.start() < x.end for x in mentions):
                continue
            if kind == "ordinal_near" and _RECURRING_BEFORE.search(
                lowered, max(0, m.start() - 40), m.start()
            ):
                continue
            day = _resolve(kind, m, received)
            if (
                kind == "ordinal_near"
                and day is not None
                and day < received
                and _planned_around(lowered, m.start(), m.end())
            ):
                day = _safe(day.year + (day.month == 12), day.month % 12 + 1, day.day) or day
            if day is not None:
                written = m.groupdict()
                yearless = kind in _YEARLESS_KINDS and not (written.get("y") or written.get("nexty"))
                mentions.append(EnglishDate(m.start(), m.end(), day, kind, yearless))
    return sorted(mentions, key=lambda x: x.start)


def english_dates(text: str, *, received: date) -> list[date]:
    """Every English date in ``text``, in order of appearance."""
    return [m.date for m in english_mentions(text, received=received)]


# "Aug 19-20", "15 Sept - 14 Oct": a stretch of days; a dash before words ("31 December - what will we owe")
# is punctuation, so only a digit or a month may follow it.
_SPAN_AFTER = re.compile(
    r"\s*(?:-|–|—|~)\s*(?:\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)"
)


_SPAN_BEFORE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s*(?:-|–|—|~)\s*$")


# The sentence tells of opening the PAS (the site's high-voltage switch): its day is the operation's.
_PAS_OPENING = (
    r"\bopen(?:s|ed|ing)?\b[^.?!\n]{0,20}\b(?:pas|air switch|load break switch)\b"
    r"|\b(?:pas|air switch)\b[^.?!\n]{0,12}\b(?:open(?:ed|ing)?|opening)\b"
)
_PAS_OPENED = re.compile(_PAS_OPENING)
# "on 8 December we open the PAS" (not "on 14 May, and then we open the PAS on 15 May")
_PAS_OPENED_AFTER = re.compile(rf"[^.?!\n,]{{0,15}}?(?:{_PAS_OPENING})")


# "1 January to 31 December 2025", "from mid-March until the end of June": a period, neither end one day —
# unless the sentence moves something ("move the visit from 3 May to 10 May"), when the second is the day.
_PERIOD_JOIN = re.compile(r"\s*(?:to|until|till|through|thru)\s+(?:the\s+)?$")
_FROM_UNTIL_BEFORE = re.compile(r"\bfrom\b[^.?!\n]{1,25}\b(?:until|till|to|through)\s+(?:the\s+)?$")
_MOVED = re.compile(
    r"\b(?:chang\w*|mov\w*|postpon\w*|reschedul\w*|push\w*|bring\w* forward|brought forward|delay\w*)\b"
)


def _periods(lowered: str, mentions: list[EnglishDate], site_work: bool) -> set[int]:
    """Indices of the mentions that are ends of a period written with to/until (see ``_PERIOD_JOIN``); for
    work on the site (``site_work``: a shut-down, an outage) the period's first day is its day."""
    ends: set[int] = set()
    for i, m in enumerate(mentions):
        moved = bool(_MOVED.search(lowered, max(0, m.start - 80), m.end))
        if i + 1 < len(mentions) and _PERIOD_JOIN.match(lowered[m.end : mentions[i + 1].start]):
            ends.update({i} if moved else {i + 1} if site_work else {i, i + 1})
        elif not moved and _FROM_UNTIL_BEFORE.search(lowered, max(0, m.start - 45), m.start):
            ends.add(i)
    return ends


def requested_date(
    text: str,
    *,
    received: date,
    words_only: bool = False,
    least: float = 0.5,
    background: re.Pattern[str] | None = None,
    site_work: bool = False,
) -> date | None:
    """The day the request in ``text`` is about, or None when no date written there can be it
    (``words_only``: see :func:`english_mentions`; ``least``: the score a date needs, 2.5 and up only for
    a date after "as of"/"effective"/"cancel…" or a deadline word; ``background``: a sentence it matches
    dates something else, such as an old bank account closing; ``site_work``: the request is about work on the
    site, whose period's first day is its day)."""
    mentions = english_mentions(text, received=received, words_only=words_only)
    if not mentions:
        return None
    lowered = text.lower()
    spans = {i + 1 for i, m in enumerate(mentions[:-1]) if _SPAN_AFTER.match(lowered, m.end)}
    # "the weekend of 8-9 August": the day after a dash ends a stretch whose first day has no month of its own
    spans |= {i for i, m in enumerate(mentions) if _SPAN_BEFORE.search(lowered, max(0, m.start - 8), m.start)}
    spans |= {i for i, m in enumerate(mentions) if _SPAN_AFTER.match(lowered, m.end)}
    spans |= _periods(lowered, mentions, site_work)
    best: tuple[float, int] | None = None
    chosen: date | None = None
    for i, mention in enumerate(mentions):
        if i in spans:
            continue  # a billing period or a stretch of days names no one day
        start, end, day, kind = mention.start, mention.end, mention.date, mention.kind
        if (
            mention.yearless
            and day > received
            and _PAST_TENSE_BEFORE.search(lowered, max(0, start - 50), start)
        ):
            # "the contract was terminated on 31 March": a day told in the past tense is the past one
            day = _safe(day.year - 1, day.month, day.day) or day
        elif mention.yearless and (day - received).days > _FAR_AHEAD_DAYS:
            # as in Japanese, a day that would lie more than 300 days ahead is the past one written without its
            # year ("debits on Nov 6 and Nov 27" written in December)
            day = _safe(day.year - 1, day.month, day.day) or day
        left = max(lowered.rfind(".", 0, start), lowered.rfind("\n", 0, start)) + 1
        stop = min(
            (i for i in (lowered.find(".", end), lowered.find("\n", end)) if i >= 0), default=len(lowered)
        )
        sentence = lowered[left:stop]
        before = lowered[max(0, start - 40) : start]
        if _WEEK_OF_BEFORE.search(before) or _EVERY_BEFORE.search(before) or _EVERY_AFTER.match(lowered, end):
            continue
        pointed_back = bool(_POINTED_BACK.search(lowered, end, end + 160))
        score = 1.0
        if _LABEL_BEFORE.search(before[-30:]) or (
            _MOVED_TO_BEFORE.search(before) and "?" not in lowered[end : end + 80].split("\n")[0]
        ):
            score += 2.0
        elif (
            _EFFECT_BEFORE.search(before)
            or _DEADLINE_BEFORE.search(before[-24:])
            or lowered.startswith(("by ", "until ", "before "), start)  # "by Friday"
        ):
            score += 1.5
        elif _REQUEST_BEFORE.search(before[-24:]) or pointed_back:
            score += 1.0
        if (
            least >= _DAYLESS_LEAST
            and kind.startswith(("mdy", "dmy", "ymd", "num"))
            and _takes_effect(before, sentence, day, received)
        ):
            score += 1.0
        if _BACKGROUND_BEFORE.search(before[-24:]):
            score -= 2.0
        if _METERING_DAY_BEFORE.search(before):
            score -= 3.0  # "our metering day is the 2nd": every month's reading day, not the day asked about
        if _STAFF_CHANGE.search(sentence):
            score -= 3.0
        if site_work and (
            _PAS_OPENED.search(lowered, max(left, start - 40), start)
            or _PAS_OPENED_AFTER.match(lowered, end, min(stop, end + 40))
        ):
            score += 2.0  # "will open the PAS on 8 December" beside "close for the winter from 1 December"
        # the whole line: an address or "No." inside a sentence breaks it at its dots
        line_end = lowered.find("\n", end)
        line = lowered[lowered.rfind("\n", 0, start) + 1 : line_end if line_end >= 0 else len(lowered)]
        if background is not None and background.search(line):
            score -= 4.0
        if _THANKED.search(before):
            score -= 2.0  # "cheers for the quick reply yesterday": an earlier contact
        if day < received and not _HAPPENED.search(sentence) and kind != "rel_day" and not pointed_back:
            score -= 1.5
        if (
            kind == "rel_day"
            and not _HAPPENED.search(sentence)
            and not _CLOCK_AFTER.match(lowered, end)
            and not (
                _CLOCK_BEFORE.search(lowered, max(0, start - 16), start)
                and "since" not in lowered[max(0, start - 30) : start]  # "since 6am today": still going on
            )
            and not _PART_OF_DAY_AFTER.match(lowered, end)
        ):
            score -= 1.2
        if best is None or score > best[0]:
            best, chosen = (score, -start), day
    if chosen is None or best is None or best[0] < least:
        return None
    return chosen
