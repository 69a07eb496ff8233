"""Computed facts of a draft as short Japanese lines for staff (amounts, dates and units formatted).

Drafts store their facts as JSON per intent (``{"cancellation": {"penalty_yen": 1584000, ...}}``, decimals
as strings, dates as ISO strings). Staff read 「解約違約金 1,584,000円 = 契約電力 300kW × 単価 1,760円 × 3」, not
``penalty_yen: 1584000``: this module knows which facts matter, their Japanese labels and their units. Keys
it does not know are left out of the card (they stay in the store and the terminal review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Formatter = Callable[[Any], str | None]


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _plain(number: Decimal) -> str:
    """1650.00 → "1,650", 0.5 → "0.5" (no trailing zeros, thousands separated)."""
    if number == number.to_integral_value():
        return f"{int(number):,}"
    text = f"{number.normalize():f}"
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}.{frac}"


def yen(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{_plain(number)}円"


def kw(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{_plain(number)}kW"


def kwh(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{_plain(number)}kWh"


def unit_price(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{_plain(number)}円/kW"


def energy_price(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else f"{_plain(number)}円/kWh"


def date(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日"


def month(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        year, mon = int(text[:4]), int(text[5:7])
    except ValueError:
        return text
    return f"{year}年{mon}月"


def text(value: Any) -> str | None:
    if value in (None, "") or isinstance(value, (Mapping, list, tuple)):
        return None
    return str(value)


def yes_no(value: Any) -> str | None:
    return None if value is None else ("はい" if value else "いいえ")


def day_of_month(value: Any) -> str | None:
    return None if value in (None, "") else f"毎月{value}日"


PAYMENT_METHODS = {"debit": "口座振替", "transfer": "お振込み", "bank_transfer": "お振込み"}


def payment_method(value: Any) -> str | None:
    return None if value in (None, "") else PAYMENT_METHODS.get(str(value), str(value))


# key -> (label, formatter), in the order staff want to read them.
FACTS: dict[str, tuple[str, Formatter]] = {
    "penalty_yen": ("解約違約金", yen),
    "cancel_on": ("解約希望日", date),
    "notice_deadline": ("解約の申出期限", date),
    "earliest_free_date": ("違約金なしで解約できる最短日", date),
    "due_date": ("お支払期日", date),
    "payment_method": ("お支払方法", payment_method),
    "total": ("ご請求額", yen),
    "amount": ("金額", yen),
    "overage_yen": ("超過金", yen),
    "month": ("対象月", month),
    "billing_month": ("請求月", month),
    "kwh": ("ご使用量", kwh),
    "max_demand_kw": ("最大需要電力", kw),
    "contract_power_kw": ("契約電力", kw),
    "basic_unit_price": ("基本料金単価", unit_price),
    "energy_unit_price": ("電力量料金単価", energy_price),
    "term_end": ("契約期間の満了日", date),
    "change_on": ("変更日", date),
    "document_deadline": ("書類の提出期限", date),
    "metering_day": ("計量日", day_of_month),
    "metering_date": ("計量日", date),
    "grid_operator": ("一般送配電事業者", text),
    "utility": ("地域の電力会社", text),
    "login_id": ("ログインID", text),
    "supply_start": ("供給開始日", date),
    "applied_on": ("契約適用日", date),
    "contract_no": ("契約番号", text),
    "facility_name": ("施設", text),
}
SKIP_WHEN_SHOWN = {"contract_no", "facility_name"}  # the card's first lines already name the contract


def _penalty_line(facts: Mapping[str, Any]) -> str | None:
    penalty = yen(facts.get("penalty_yen"))
    if penalty is None:
        return None
    power, price = kw(facts.get("contract_power_kw")), yen(facts.get("basic_unit_price"))
    multiplier = _number(facts.get("multiplier"))
    if power and price and multiplier is not None:
        return f"解約違約金 {penalty} = 契約電力 {power} × 単価 {price} × {_plain(multiplier)}"
    return f"解約違約金 {penalty}"


def _cancellation(facts: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    penalty = _penalty_line(facts)
    if penalty:
        lines.append(penalty)
    elif facts.get("assessed") and facts.get("alternatives"):
        options = "／".join(
            f"{alt.get('reason', '')} {yen(alt.get('penalty_yen'))}"
            for alt in facts["alternatives"]
            if isinstance(alt, Mapping) and yen(alt.get("penalty_yen"))
        )
        lines.append(f"解約違約金 未確定（解約理由により {options}）" if options else "解約違約金 未確定")
    cancel_on, deadline = date(facts.get("cancel_on")), date(facts.get("notice_deadline"))
    if cancel_on:
        late = "・期限超過" if facts.get("reachable") is False else ""
        lines.append(
            f"解約希望日 {cancel_on}（申出期限 {deadline}{late}）" if deadline else f"解約希望日 {cancel_on}"
        )
    free = date(facts.get("earliest_free_date"))
    if free:
        lines.append(f"違約金なしで解約できる最短日 {free}")
    unpaid = facts.get("unpaid") or []
    if isinstance(unpaid, list) and unpaid:
        total = sum(
            ((_number(u.get("amount")) or Decimal(0)) for u in unpaid if isinstance(u, Mapping)), Decimal(0)
        )
        lines.append(f"未払いのご請求 {len(unpaid)}件（計 {_plain(total)}円）")
    return lines


SPECIAL: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {"cancellation": _cancellation}


def intent_lines(intent: str, facts: Mapping[str, Any]) -> list[str]:
    """The facts of one intent as Japanese lines, most important first."""
    special = SPECIAL.get(intent)
    if special is not None:
        return special(facts)
    lines = []
    for key, (label, formatter) in FACTS.items():
        if key in SKIP_WHEN_SHOWN or key not in facts:
            continue
        shown = formatter(facts[key])
        if shown:
            lines.append(f"{label} {shown}")
    return lines


def fact_summary(
    facts: Mapping[str, Any], labels: Mapping[str, str], *, limit: int | None = None
) -> list[str]:
    """Japanese lines for a draft's facts (``{intent: {key: value}}``); ``limit`` lines at most, the last
    saying how many more there are."""
    lines: list[str] = []
    several = sum(1 for v in facts.values() if isinstance(v, Mapping)) > 1
    for intent, values in facts.items():
        if not isinstance(values, Mapping):
            continue
        found = intent_lines(intent, values)
        if several and found:
            found[0] = f"{labels.get(intent, '')}: {found[0]}" if labels.get(intent) else found[0]
        lines += found
    if limit is not None and len(lines) > limit:
        rest = len(lines) - (limit - 1)
        lines = [*lines[: limit - 1], f"ほか{rest}件（下書きを表示で確認できます）"]
    return lines
