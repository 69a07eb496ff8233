"""Find every date mention in Japanese text and resolve it against the day the message arrived.

Absolute forms (2027年3月31日, 2027/3/31, 2027-03-31, 令和9年3月31日, R8.4.1), dates without a year (3/31,
4月1日), month ends (3月末, 来月末, 今月中, 月末, 年度末, 今年いっぱい), days relative to the received date (明日, 明朝, 昨日,
来週月曜日, 先週金曜日, 今月の6日, 3日前), days counted from the date written before them (その前日, 同月末)
and n-th weekdays (8月最初の土曜日, 来月の第2土曜日). Month-only references (3月分, 来年3月ごろ) are not date
mentions. Choosing which mention a request is about is ``intents.entities``' job; this module only finds and
resolves.

Year inference for dates written without a year: a weekday written beside the date ("8月17日（日）") picks
the year (previous, same or next) whose calendar matches; otherwise a day up to ``PAST_WINDOW_DAYS`` before
the received day is taken as that recent past day (people report outages and ask about data of the last
weeks), and anything else is the next such day on or after the received day — so on 2026-12-20 "1月10日"
is 2027-01-10. Month ends without a year are the next such month end on or after the received day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import japanera
from kanjize import kanji2number

from intents.cleanup import fold_width

PAST_WINDOW_DAYS = 31
# A day without a year that would lie this far ahead is a past day written without its year (「7/3の請求」).
FAR_AHEAD_DAYS = 300

# Modern eras by kanji name and by their one-letter abbreviation (R8.4.1), from japanera's era table.
_ERAS: dict[str, japanera.Era] = {}
for _era in japanera.ERA_DATA_GENERAL:
    if _era.since.year >= 1868:
        _ERAS[_era.kanji] = _era
        _ERAS[_era.english_head] = _era
        _ERAS[_era.english_head.lower()] = _era
_ERA_KANJI = "|".join(k for k in _ERAS if len(k) > 1)
_ERA_LETTER = "".join(sorted({k for k in _ERAS if len(k) == 1}))

_WEEKDAYS = "月火水木金土日"
_KNUM = "〇一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date written in a text: the resolved day, its span in the original text, and its kind
    (``absolute``, ``era``, ``month_day`` — also a day with its weekday, "10日（金）" —, ``month_end``, ``relative_day``, ``weekday``, ``nth_weekday``,
    ``fiscal_year_end``). ``weekday_checked`` is True when a weekday written beside it matched."""

    date: date
    start: int
    end: int
    kind: str
    text: str
    weekday_checked: bool = False


def _n(name: str) -> str:
    return rf"(?P<{name}>\d{{1,2}}|[{_KNUM}]{{1,3}})"


_MO, _DA = _n("mo"), _n("da")
_HOLIDAY = r"(?:\s*[・･,、/]\s*祝日?)?"  # 「12日（月・祝）」: a weekday that is also a holiday
_WD_NOTE = r"(?:\s*[(（]\s*(?P<wd>[" + _WEEKDAYS + r"])(?:曜日?)?" + _HOLIDAY + r"\s*[)）])?"
_MONTH_END_TAIL = r"(?:末日?|の末日?|の最終日|の月末|いっぱい)"
# 「3日分」 alone is a quantity of days; after a month (「4月8日分の30分値」) it is that day's share, so 分 is
# allowed here and nowhere a day stands alone
_DAY_OR_END = rf"(?:{_DA}\s*日(?!間|分間|程度|ほど|前|後|以内)|(?P<end>{_MONTH_END_TAIL}))"
# 「1．12月25日の…」: a list number's dot before a date is no decimal point (「2026.12月」 still is no date).
_NOT_AFTER_DIGIT = r"(?<![\d/\-年])(?:(?<!\.)|(?<=^\d\.)|(?<=\n\d\.)|(?<=[ \t]\d\.))"
_SLASH_MD = r"(?P<mo>1[0-2]|0?[1-9])/(?P<da>3[01]|[12]\d|0?[1-9])"

_ERA_GATE = tuple(k for k in _ERAS if len(k) > 1)
_DAY_GATE = (
    "日",
    "あした",
    "あさって",
    "おととい",
    "きのう",
    "きょう",
    "今朝",
    "けさ",
    "昨夜",
    "昨晩",
    "ゆうべ",
    "明朝",
    "明晩",
    "さっき",  # only with a clock time (「さっき15:32に瞬停」): 「さっきの件」 is no day
    "今しがた",
    "たった今",
    "あす",
    "今夜",
    "今晩",
)
_WEEKDAY_RE = rf"(?P<wd>[{_WEEKDAYS}])曜日?"

# (kind, gate, pattern): the gate is substrings of which one must occur for the pattern to be tried, or a
# short regex that must match (where ".", "/" or "-" alone would pass on every phone number). The gates
# skip most patterns on most texts cheaply. Order matters: earlier patterns win overlapping spans.
_PATTERNS: tuple[tuple[str, tuple[str, ...] | re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (kind, gate, re.compile(pattern))
    for kind, gate, pattern in (
        (
            "era",
            _ERA_GATE,
            rf"(?P<era>{_ERA_KANJI})\s*(?P<y>\d{{1,2}}|元|[{_KNUM}]{{1,3}})\s*年\s*{_MO}\s*月\s*{_DAY_OR_END}{_WD_NOTE}",
        ),
        (
            "era",
            re.compile(rf"[{_ERA_LETTER}]\s?\d"),
            rf"(?<![A-Za-z])(?P<era>[{_ERA_LETTER}])\s?(?P<y>\d{{1,2}})(?P<sep>[./\-])(?P<mo>\d{{1,2}})"
            rf"(?:(?P=sep)(?P<da>\d{{1,2}})(?!\d){_WD_NOTE}|(?P<end>末))",  # R8.4.1, and R8.9末 (a month's end)
        ),
        ("absolute", ("年",), rf"(?<!\d)(?P<y>(?:19|20)\d\d)\s*年\s*{_MO}\s*月\s*{_DAY_OR_END}{_WD_NOTE}"),
        (
            "absolute",
            re.compile(r"(?:19|20)\d\d[/.\-]"),
            rf"(?<![\d/.\-])(?P<y>(?:19|20)\d\d)(?P<sep>[/.\-])(?P<mo>\d{{1,2}})(?P=sep)(?P<da>\d{{1,2}})"
            rf"(?![\d/.\-]\d|\d){_WD_NOTE}",
        ),
        (
            "relative_year",
            ("年",),
            rf"(?P<rel>再来年|来年|今年|本年|昨年|去年)の?\s*{_MO}\s*月\s*{_DAY_OR_END}{_WD_NOTE}",
        ),
        (
            "nth_weekday",
            ("曜",),
            rf"(?:(?P<rel>再来月|来月|今月|翌月)|(?:(?<!\d)(?P<y>(?:19|20)\d\d)\s*年\s*|(?P<ry>再来年|来年|今年)の?\s*|{_NOT_AFTER_DIGIT}){_MO}\s*月)\s*の?\s*"
            rf"(?P<nth>最初|初め|はじめ|第\s*[1-5一二三四五]|最後|最終)\s*の?\s*{_WEEKDAY_RE}",
        ),
        (
            "relative_month_day",
            ("月",),
            rf"(?P<rel>再来月|来月|今月|先月|前月)\s*の?\s*(?:{_DA}\s*日(?!間|分|程度|ほど|前|後)"
            rf"|(?P<end>末日?|最終日|中(?!旬)|いっぱい|内))",
        ),
        (
            "month_day",
            re.compile(rf"[\d{_KNUM}]\s*月"),
            rf"{_NOT_AFTER_DIGIT}{_MO}\s*月\s*{_DAY_OR_END}{_WD_NOTE}",
        ),
        # 「開放：10/29」: a label's colon may stand before it, a clock's (12:10/…) may not
        ("month_day", ("/",), rf"(?<![\d/.\-])(?<!\d:){_SLASH_MD}(?![\d/]){_WD_NOTE}"),
        (
            "day_weekday",
            ("日",),
            rf"(?:(?P<rel>今月|来月|先月|翌月)\s*(?:は|の)?\s*)?"  # 「今月は27日が土曜日」: that month's
            rf"(?<![\d/.\-月年])(?P<da>\d{{1,2}})\s*日\s*(?:[(（]\s*(?P<wd>[{_WEEKDAYS}])(?:曜日?)?{_HOLIDAY}\s*[)）]"
            rf"|(?:の|が|は|って)?(?P<wd2>[{_WEEKDAYS}])曜日?)",  # 「27日が日曜」「31日って土曜日」: which month's
        ),
        # 「20日が締切です」: a day of the month named as a deadline is the next such day.
        (
            "deadline_day",
            ("締", "〆", "期限"),
            r"(?<![\d/.\-月年])(?P<da>\d{1,2})\s*日\s*(?=(?:が|は|に)?\s*(?:締切|締め切り|〆切|期限))",
        ),
        ("new_years_day", ("元日", "元旦"), r"(?P<word>元日|元旦)"),  # 1 January, read like 「1月1日」
        # 「今年いっぱいで」「年内いっぱいで」: the day the year runs out (bare 年内 is a time, no day).
        ("year_end", ("いっぱい",), r"(?:今年|本年|年内)\s*いっぱい"),
        ("fiscal_year_end", ("年度末",), r"(?:(?P<rel>再来年度|来年度|今年度|本年度|当年度)|年度)末"),
        ("weekday", ("曜",), rf"(?P<rel>再来週|来週|今週|先週|次の|今度の)\s*の?\s*{_WEEKDAY_RE}"),
        (
            "relative_day",
            _DAY_GATE,
            r"(?P<word>明朝(?!体)|明晩|明後日|あさって|明日|あした|一昨日|おととい|昨日|きのう|本日|今日|きょう|今朝|けさ|昨夜|昨晩|ゆうべ|"
            r"今しがた|たった今|今夜|今晩|あす(?=の|は|に|\s|、|,|\d|朝|午|夕|夜)|"
            r"さっき(?=\s*\d{1,2}(?::\d{2}|時)|[^。\n]{0,30}?(?:瞬停|停電|落雷|雷|PAS|開放|投入|遮断|ブレーカ|電気が|警報|地絡|トリップ)))",
        ),
        ("same_month_end", ("同月", "その月", "同じ月"), r"(?:同月|その月|同じ月)の?末日?"),
        # 「その前日をもって」「その翌日から」: a day counted from the date written just before it.
        # 「2027年3月31日をもって閉鎖…同日付で解約」: 同日 is that day itself.
        (
            "day_next_to_previous",
            ("その前日", "その翌日", "同日"),
            r"その(?P<rel>前日|翌日)|(?P<same>同日)(?=\s*(?:付|で|を|に|まで))",
        ),
        # 「3日前に瞬停」「二日前の30分値」: days counted back from the day received.
        ("days_ago", ("日前",), rf"(?<![\d/.\-月年第]){_DA}\s*日前(?!後)"),
        # 「台風が上陸した日（4日）」「翌日（19日）」: a day of the month in brackets that names the day just described.
        ("day_in_brackets", ("日(",), r"(?<=日)\s*\(\s*(?P<da>\d{1,2})\s*日\s*\)"),
        ("month_end_bare", ("月末",), r"(?<![\d月今来先前毎翌再末])月末(?:日)?"),
    )
)

# 「毎月5日」, and an example's day (「例えば4/1」「ガイドの例だと4/1変更で」): no day of this customer.
_GENERIC_BEFORE = re.compile(r"(?:毎月|毎年|毎週|毎|翌月|翌々月|例えば|例:|例：|例だと|例では)\s*の?\s*$")


def _num(token: str) -> int:
    if token.isdigit():
        return int(token)
    return int(kanji2number(token))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year_for(month: int, day: int, received: date, weekday: str | None) -> tuple[date | None, bool]:
    candidates = [
        d for y in (received.year - 1, received.year, received.year + 1) if (d := _safe_date(y, month, day))
    ]
    if not candidates:
        return None, False
    if weekday is not None:
        wanted = _WEEKDAYS.index(weekday)
        matching = [d for d in candidates if d.weekday() == wanted]
        if matching:
            return min(matching, key=lambda d: abs((d - received).days)), True
    recent = [d for d in candidates if 0 < (received - d).days <= PAST_WINDOW_DAYS]
    if recent:
        return recent[0], False
    future = [d for d in candidates if d >= received]
    return (future[0] if future else candidates[-1]), False


def _next_month_end(month: int, received: date) -> date:
    for year in (received.year, received.year + 1):
        end = _month_end(year, month)
        if end >= received:
            return end
    return _month_end(received.year + 1, month)


def _nth_weekday(year: int, month: int, nth: str, weekday: int) -> date | None:
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if nth in ("最後", "最終"):
        return date(year, month, days[-1])
    digit = nth.replace("第", "").strip()
    index = 0 if nth in ("最初", "初め", "はじめ") else _num(digit) - 1
    return date(year, month, days[index]) if 0 <= index < len(days) else None


def _nth_weekday_without_year(month: int, nth: str, weekday: int, received: date) -> date | None:
    """「8月最初の土曜日」 without a year: this year's from its month on, else next year's; but next year's more
    than ``FAR_AHEAD_DAYS`` ahead is this year's past one (asked in September about August)."""
    if month >= received.month:
        return _nth_weekday(received.year, month, nth, weekday)
    day = _nth_weekday(received.year + 1, month, nth, weekday)
    if day is not None and (day - received).days > FAR_AHEAD_DAYS:
        return _nth_weekday(received.year, month, nth, weekday)
    return day


def _day_with_weekday(day: int, weekday: int, received: date) -> date | None:
    """ "10日（金）": the day of a nearby month (previous to two ahead) that falls on that weekday."""
    candidates = []
    for delta in (-1, 0, 1, 2):
        year, month = _add_months(received.year, received.month, delta)
        d = _safe_date(year, month, day)
        if d is not None and d.weekday() == weekday:
            candidates.append(d)
    return min(candidates, key=lambda d: (abs((d - received).days), d < received)) if candidates else None


def _next_day_of_month(day: int, received: date) -> date | None:
    """「20日が締切」: that day of this month, or of the next when this month's has passed."""
    for delta in (0, 1, 2):
        year, month = _add_months(received.year, received.month, delta)
        d = _safe_date(year, month, day)
        if d is not None and d >= received:
            return d
    return None


def _nearest_day_of_month(day: int, received: date) -> date | None:
    """The day numbered ``day`` in the month received, the one before or the one after, whichever is nearest."""
    found = []
    for delta in (-1, 0, 1):
        year, month = _add_months(received.year, received.month, delta)
        candidate = _safe_date(year, month, day)
        if candidate is not None:
            found.append(candidate)
    return min(found, key=lambda d: abs((d - received).days), default=None)


def _week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


_REL_MONTH = {"今月": 0, "来月": 1, "翌月": 1, "再来月": 2, "先月": -1, "前月": -1}
_REL_YEAR = {"今年": 0, "本年": 0, "来年": 1, "再来年": 2, "昨年": -1, "去年": -1}
_REL_WEEK = {"今週": 0, "来週": 1, "再来週": 2, "先週": -1}
_REL_DAY = {
    "本日": 0, "今日": 0, "きょう": 0, "明日": 1, "あした": 1, "明朝": 1, "明晩": 1, "あす": 1, "明後日": 2, "あさって": 2,
    "昨日": -1, "きのう": -1, "一昨日": -2, "おととい": -2,
    "今朝": 0, "けさ": 0, "さっき": 0, "昨夜": -1, "昨晩": -1, "ゆうべ": -1,  # when something happened (an outage)
    "今しがた": 0, "たった今": 0, "今夜": 0, "今晩": 0,
}  # fmt: skip
_NEXT_TO_PREVIOUS = {"前日": -1, "翌日": 1, "同日": 0}
_FISCAL = {None: 0, "今年度": 0, "本年度": 0, "当年度": 0, "来年度": 1, "再来年度": 2}


def _resolve(kind: str, m: re.Match[str], received: date) -> tuple[date | None, bool, str]:
    """(date, weekday_checked, public kind) for one regex match."""
    g = m.groupdict()
    month = _num(g["mo"]) if g.get("mo") else 0
    if g.get("mo") and not 1 <= month <= 12:
        return None, False, kind
    if kind in ("era", "absolute", "relative_year"):
        if kind == "era":
            year = _ERAS[g["era"]].relative_year_to_absolute_year(1 if g["y"] == "元" else _num(g["y"]))
        elif kind == "absolute":
            year = int(g["y"])
        else:
            year = received.year + _REL_YEAR[g["rel"]]
        if g.get("end"):
            return _month_end(year, month), False, "month_end"
        return _checked(
            _safe_date(year, month, _num(g["da"])), g.get("wd"), "absolute" if kind != "era" else kind
        )
    if kind == "nth_weekday":
        if g.get("rel"):
            year, month = _add_months(received.year, received.month, _REL_MONTH[g["rel"]])
        elif g.get("y"):
            year = int(g["y"])
        elif g.get("ry"):
            year = received.year + _REL_YEAR[g["ry"]]
        else:
            return _nth_weekday_without_year(month, g["nth"], _WEEKDAYS.index(g["wd"]), received), False, kind
        return _nth_weekday(year, month, g["nth"], _WEEKDAYS.index(g["wd"])), False, kind
    if kind == "relative_month_day":
        year, month = _add_months(received.year, received.month, _REL_MONTH[g["rel"]])
        if g.get("end"):
            return _month_end(year, month), False, "month_end"
        return _safe_date(year, month, _num(g["da"])), False, "relative_day"
    if kind == "month_day":
        if g.get("end"):
            return _next_month_end(month, received), False, "month_end"
        day = _num(g["da"])
        if not 1 <= day <= 31:
            return None, False, kind
        resolved, checked = _year_for(month, day, received, g.get("wd"))
        return resolved, checked, kind
    if kind == "day_weekday":
        weekday = g.get("wd") or g["wd2"]
        if g.get("rel"):
            year, month = _add_months(received.year, received.month, _REL_MONTH[g["rel"]])
            return _checked(_safe_date(year, month, int(g["da"])), weekday, "month_day")
        return _day_with_weekday(int(g["da"]), _WEEKDAYS.index(weekday), received), True, "month_day"
    if kind == "deadline_day":
        return _next_day_of_month(int(g["da"]), received), False, "month_day"
    if kind == "new_years_day":
        return _year_for(1, 1, received, None)[0], False, "month_day"
    if kind == "year_end":
        return date(received.year, 12, 31), False, "month_end"
    if kind == "fiscal_year_end":
        end = date(received.year, 3, 31)
        if end < received:
            end = date(received.year + 1, 3, 31)
        return end.replace(year=end.year + _FISCAL[g["rel"]]), False, kind
    if kind == "weekday":
        wanted = _WEEKDAYS.index(g["wd"])
        if g["rel"] in ("次の", "今度の"):
            ahead = (wanted - received.weekday() - 1) % 7 + 1
            return received + timedelta(days=ahead), False, kind
        monday = _week_monday(received) + timedelta(weeks=_REL_WEEK[g["rel"]])
        return monday + timedelta(days=wanted), False, kind
    if kind == "relative_day":
        return received + timedelta(days=_REL_DAY[g["word"]]), False, kind
    if kind == "same_month_end":
        # Resolved against the date written before it in _mentions; alone, it is this month's end.
        return _month_end(received.year, received.month), False, kind
    if kind == "day_next_to_previous":
        # Resolved against the date written before it in _mentions; alone, it is dropped there.
        return received + timedelta(days=_NEXT_TO_PREVIOUS[g["rel"] or g["same"]]), False, kind
    if kind == "days_ago":
        days = _num(g["da"])
        return (
            (received - timedelta(days=days), False, "relative_day")
            if 1 <= days <= 31
            else (None, False, kind)
        )
    if kind == "day_in_brackets":
        return _nearest_day_of_month(int(g["da"]), received), False, "month_day"
    # month_end_bare: this month's end
    return _month_end(received.year, received.month), False, "month_end"


def _checked(day: date | None, weekday: str | None, kind: str) -> tuple[date | None, bool, str]:
    """A written weekday that contradicts the date is ignored (the date still stands)."""
    if day is None or not weekday:
        return day, False, kind
    return day, day.weekday() == _WEEKDAYS.index(weekday), kind


def resolve_dates(text: str, *, received: date, folded: bool = False) -> list[DateMention]:
    """Every date mention in ``text``, in order, non-overlapping, each resolved to a calendar day.
    ``folded`` says ``text`` already went through :func:`intents.cleanup.fold_width` (it is not folded again)."""
    folded_text = text if folded else fold_width(text)
    return _mentions(text, folded_text, received)


def _mentions(text: str, folded: str, received: date) -> list[DateMention]:
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, gate, pattern in _PATTERNS:
        if isinstance(gate, re.Pattern):
            if gate.search(folded) is None:
                continue
        else:
            for g in gate:  # a plain loop: any() over a generator costs more than the tests themselves
                if g in folded:
                    break
            else:
                continue
        for m in pattern.finditer(folded):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            if _GENERIC_BEFORE.search(folded, max(0, start - 6), start):
                continue
            try:
                day, checked, public = _resolve(kind, m, received)
            except (ValueError, OverflowError, KeyError, IndexError):
                day = None
            if day is None:
                continue
            taken.append((start, end))
            found.append(DateMention(day, start, end, public, text[start:end], checked))
    found.sort(key=lambda d: d.start)
    return _range_end_days(_relative_to_previous(found), folded, text)


def _relative_to_previous(found: list[DateMention]) -> list[DateMention]:
    """「同月末」「その月末」 is the end of the month of the date written just before it; 「その前日」「その翌日」 the
    day before or after it (with no date before it, it names none)."""
    out: list[DateMention] = []
    for mention in found:
        if mention.kind == "same_month_end":
            day = _month_end(out[-1].date.year, out[-1].date.month) if out else mention.date
            mention = DateMention(day, mention.start, mention.end, "month_end", mention.text)
        elif mention.kind == "day_next_to_previous":
            if not out:
                continue
            step = _NEXT_TO_PREVIOUS[mention.text[-2:]]
            mention = DateMention(
                out[-1].date + timedelta(days=step), mention.start, mention.end, "relative_day", mention.text
            )
        out.append(mention)
    return out


# 「7月19日から25日まで」「3/2〜6日」「お盆（8/13〜16）」: a range whose end gives its day alone, in the month of
# its start.
_RANGE_END_DAY = re.compile(r"\s*(?:から|より|~|〜|-)\s*(?P<da>\d{1,2})\s*(?:日(?![間分程前後以])|(?=[)）]))")


def _range_end_days(found: list[DateMention], folded: str, text: str) -> list[DateMention]:
    """Add the bare end day of a range (see ``_RANGE_END_DAY``) so the range is read as one."""
    out: list[DateMention] = []
    for i, mention in enumerate(found):
        out.append(mention)
        m = _RANGE_END_DAY.match(folded, mention.end)
        if m is None or mention.kind not in ("absolute", "era", "month_day", "relative_day"):
            continue
        if i + 1 < len(found) and found[i + 1].start < m.end():
            continue
        start = mention.date
        end = _safe_date(start.year, start.month, int(m.group("da")))
        if end is None or end <= start:
            continue
        da_start = m.start("da")
        out.append(DateMention(end, da_start, m.end(), "month_day", text[da_start : m.end()]))
    return out


IMPLAUSIBLE_YEARS = 30  # a date further than this from the day received is a typo, not a plan


def implausible_dates(text: str, *, received: date) -> list[str]:
    """The date expressions in ``text`` that name no real day (13月45日, 2月30日) or one implausibly far
    away (令和99年), as written. :func:`resolve_dates` leaves the first kind out and keeps the second; staff
    are told about both so a customer's typo is asked about, not silently used or dropped."""
    folded = fold_width(text)
    bad: list[str] = []
    for kind, _gate, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            start, end = m.span()
            if _GENERIC_BEFORE.search(folded, max(0, start - 6), start):
                continue
            try:
                day, _, _ = _resolve(kind, m, received)
            except (ValueError, OverflowError, KeyError, IndexError):
                day = None
            if day is None or abs(day.year - received.year) > IMPLAUSIBLE_YEARS:
                written = text[start:end]
                if not any(written in b or b in written for b in bad):
                    bad.append(written)
    return bad
