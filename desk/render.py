"""The Jinja2 environment for replies: loader, filters and small render helpers.

Email text is plain text, so the text environment does not autoescape; the HTML/Slack environment does
(``*.html.j2`` / ``*.slack.j2``). Both use ``StrictUndefined``: a template that names a fact the resolver
did not provide fails loudly instead of sending a blank to a customer.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import jinja2

from desk.rules.areas import all_areas, area
from templates import TEMPLATES_DIR

__all__ = [
    "edate",
    "emonth",
    "en",
    "environment",
    "jdate",
    "jmonth",
    "jpy",
    "kw",
    "render",
    "render_string",
    "slack_escape",
    "yen",
]

_WEEKDAYS = "月火水木金土日"
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def yen(value: int | Decimal | None) -> str:
    """``1234567`` → ``1,234,567円`` (amounts are already whole yen)."""
    if value is None:
        raise ValueError("金額がありません")
    amount = int(value)
    # A negative amount (e.g. a fuel adjustment) takes the minus sign, not an ASCII hyphen.
    return f"−{-amount:,}円" if amount < 0 else f"{amount:,}円"


def yen_signed(value: int) -> str:
    """A difference in yen with its sign: ``+12,345円`` / ``−12,345円`` / ``±0円``."""
    if value == 0:
        return "±0円"
    return f"{'+' if value > 0 else '−'}{abs(int(value)):,}円"


def number(value: int | Decimal) -> str:
    """Thousands separators without a unit, keeping the decimals a value has (``1650.00`` → ``1,650``)."""
    d = Decimal(value)
    sign, d = ("−", -d) if d < 0 else ("", d)
    if d == d.to_integral_value():
        return f"{sign}{int(d):,}"
    return f"{sign}{d.normalize():,f}"


def jdate(value: dt.date, weekday: bool = True) -> str:
    """``2027-03-31`` → ``2027年3月31日（水）``."""
    text = f"{value.year}年{value.month}月{value.day}日"
    return f"{text}（{_WEEKDAYS[value.weekday()]}）" if weekday else text


def jmonth(value: dt.date) -> str:
    """``2026-05-01`` → ``2026年5月``."""
    return f"{value.year}年{value.month}月"


def kw(value: Decimal | int | float) -> str:
    """Contract power and demand to one decimal: ``Decimal("123.4")`` → ``123.4kW``."""
    d = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{d:,}kW"


def jpy(value: int | Decimal | None) -> str:
    """English replies: ``1234567`` → ``¥1,234,567``; a negative amount ``−¥9,600``."""
    if value is None:
        raise ValueError("金額がありません")
    amount = int(value)
    return f"−¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


def jpy_signed(value: int) -> str:
    """English replies: a difference with its sign, ``+¥12,345`` / ``−¥12,345`` / ``±¥0``."""
    if value == 0:
        return "±¥0"
    return f"{'+' if value > 0 else '−'}¥{abs(int(value)):,}"


def jpy_unit(value: int | Decimal) -> str:
    """English replies: a unit price with the sign before the currency, ``−¥1.2`` / ``¥1,650``."""
    text = number(value)
    return f"−¥{text[1:]}" if text.startswith("−") else f"¥{text}"


def kw_en(value: Decimal | int | float) -> str:
    """English replies: ``Decimal("123.4")`` → ``123.4 kW`` (a space before the unit)."""
    return kw(value).replace("kW", " kW")


def edate(value: dt.date, weekday: bool = True) -> str:
    """English replies: ``2027-03-31`` → ``Wednesday, 31 March 2027`` (day-month-year: unambiguous)."""
    text = f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"
    return f"{_EN_WEEKDAYS[value.weekday()]}, {text}" if weekday else text


def emonth(value: dt.date) -> str:
    """English replies: ``2026-05-01`` → ``May 2026``."""
    return f"{_EN_MONTHS[value.month - 1]} {value.year}"


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BLANK_RUNS = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


# Store codes (store.models enums) as a customer reads them.
CODE_LABELS: dict[str, str] = {
    "debit": "口座引落",
    "transfer": "銀行振込",
    "full": "全量供給",
    "partial": "部分供給",
    "jitsuryo": "実量制",
    "kyogi": "協議制",
    "high": "高圧",
    "extra_high": "特別高圧",
}


def ja(code: str) -> str:
    """A store code in Japanese (``debit`` → ``口座引落``); an unknown code is a bug, not a blank."""
    try:
        return CODE_LABELS[code]
    except KeyError:
        raise ValueError(f"表示名のないコードです: {code}") from None


# The same codes in English replies.
EN_CODE_LABELS: dict[str, str] = {
    "debit": "direct debit",
    "transfer": "bank transfer",
    "full": "full supply",
    "partial": "partial supply",
    "jitsuryo": "demand-based contract (jitsuryo-sei)",
    "kyogi": "negotiated contract (kyogi-sei)",
    "high": "high voltage",
    "extra_high": "extra-high voltage",
}


def en(code: str) -> str:
    """A store code in English (``debit`` → ``direct debit``); an unknown code is a bug, not a blank."""
    try:
        return EN_CODE_LABELS[code]
    except KeyError:
        raise ValueError(f"英語の表示名のないコードです: {code}") from None


def _add_filters(env: jinja2.Environment) -> jinja2.Environment:
    env.filters.update(
        yen=yen,
        yen_signed=yen_signed,
        jdate=jdate,
        jmonth=jmonth,
        kw=kw,
        number=number,
        ja=ja,
        jpy=jpy,
        jpy_signed=jpy_signed,
        jpy_unit=jpy_unit,
        kw_en=kw_en,
        edate=edate,
        emonth=emonth,
        en=en,
    )
    # English replies look up the English names of a grid area by the ``area_code`` fact.
    env.globals.update(area=area, all_areas=all_areas)
    return env


@lru_cache(maxsize=2)
def environment(*, autoescape: bool = False) -> jinja2.Environment:
    """The shared environment. ``autoescape=True`` is for HTML and Slack outputs only."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return _add_filters(env)


def render(name: str, /, **context: Any) -> str:
    """Render ``templates/<name>`` as plain text (no escaping)."""
    return environment().get_template(name).render(**context)


def render_string(source: str, /, **context: Any) -> str:
    """Render template source (tests, ad-hoc wording) with the same filters and strictness."""
    return environment().from_string(source).render(**context)
