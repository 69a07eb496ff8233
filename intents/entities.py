"""Identifiers, the customer's contact details, the one date a request is about, and the cancellation reason.

Every extractor works on width-folded text (full-width digits and letters → half-width, dashes → "-"),
which keeps character positions, so labels and numbers are matched once, whatever width they were typed in.
What the sender wrote now is searched first; quoted earlier mail is only a fallback for a kind that is
missing from the new text (customers often answer "see below").
"""

from __future__ import annotations

import calendar
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from desk.errors import InputError
from faq import FAQ_DIR
from intents.cleanup import fold_width, split_quoted
from intents.dates import FAR_AHEAD_DAYS, DateMention, resolve_dates
from intents.dates_en import english_mentions, requested_date
from intents.form import parse_form
from intents.language import detect_language
from intents.model import INTENT_IDS, OTHER_REASONS

MAX_CHARS = (
    50_000  # longer texts are cut: identifiers live in the first pages, and speed must not depend on size
)
# The desk's own numbers (bare digits), never a customer's. The adapters replace them from the settings
# (desk.phone, desk.fax, desk.other_phones) with set_desk_phones(); until then, the default settings' line.
DESK_PHONES: tuple[str, ...] = ("0362710242",)
_QUOTED_KINDS = frozenset({"customer_no", "contract_no", "supply_point_id"})

_SEP = r"[- \t.ー]?"  # one separator a customer may put between digit groups
_D = r"\d"

# 「0 2 0 0 3 5 …」: a separator may fall between any two digits, the area code's too.
_SUPPLY_POINT = re.compile(rf"(?<![\d-])(?P<n>(?:0{_SEP}[1-9]|1{_SEP}0)(?:{_SEP}{_D}){{20}})(?!{_SEP}?\d)")
_CONTRACT = re.compile(rf"(?<![A-Za-z])[Ee][Gg]\s*[-ー:]?\s*(?P<n>{_D}(?:{_SEP}{_D}){{7}})(?![\d])")
_CONTRACT_LABELLED = re.compile(rf"契約番号\s*(?:は|:|：)?\s*(?P<n>\d{{4}}{_SEP}\d{{4}}|\d{{8}})(?![\d])")
_PHONE = re.compile(
    r"(?<![\d\-])(?P<n>0\d{1,4}(?:-|\s|\(|\)|-\(|\)-){0,2}\d{1,4}(?:-|\s|\)){0,2}\d{3,4})(?![\d]|-\d)"
)
_CUSTOMER = re.compile(r"(?<![\d\-/])(?<!\d\.)(?P<n>\d{4}(?:-|[ \t]{1,2}|ー)?\d{4})(?![\d]|-\d|/\d)")
_EMAIL = re.compile(r"(?<![\w.+-])(?P<n>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_POSTAL = re.compile(r"〒\s*\d{3}-?\d{4}")
# Cheap tests that skip a pattern on texts that cannot match it (its literal part is missing).
_EG_GATE = re.compile("[Ee][Gg]")
_ONE_DIGIT = re.compile(r"\d")  # the patterns' own notion of a digit

_CUSTOMER_LABEL = re.compile(
    r"(?:お客(?:さま|様)番号|顧客番号|お客(?:さま|様)ID|ログイン\s*ID|会員ID|会員番号|ID|id|番号)"
    r"[^\d\n]{0,12}$"
)
_NOT_CUSTOMER_BEFORE = re.compile(
    r"(?:口座番号|口座|登録番号|受付番号|伝票番号|注文番号|郵便番号|〒|No\.\s*T|FAX|Fax|fax|ファクス|ファックス|"
    r"¥|￥|\$)[^\d\n]{0,6}$|\+\s?\d{1,3}[\d \-()]{0,6}$"  # "+65 6123 4471": a phone with its country code
)
_NOT_CUSTOMER_AFTER = re.compile(r"\s*(?:円|kWh|kW|kVA|V|件|個|人|名|枚|本|時間|分|秒|%|％)")
_PHONE_LABEL = re.compile(
    r"(?:TEL|Tel|tel|電話|携帯|ケータイ|直通|代表|連絡先|折り?返し|内線|Phone|phone|☎|📞|番号|(?<![A-Za-z])T\s*[:：])[^\d\n]{0,12}$"
)
_FAX_LABEL = re.compile(r"(?:FAX|Fax|fax|ファクス|ファックス|ＦＡＸ)[^\d\n]{0,8}$|(?<![A-Za-z])F\s*[:：]\s*$")
# 「TEL 0572-22-8803（携帯 080-…）」: a number in brackets after the first is a second line, not the contact.
_OLD_NUMBER_BEFORE = re.compile(r"(?:旧|(?i:\bold\b|\bprevious\b|\bformer\b))[^\d\n]{0,12}$")
_BRACKETED_BEFORE = re.compile(
    r"[(（][^\d\n()（）]{0,10}$|\d[ \t]*[/／][ \t]*[^\d\n/／]{0,8}$"
)  # and 「TEL … / 携帯 …」


_RELAYED = re.compile(
    r"転送(?:いた)?(?:します|しました|いたします)|(?i:\bforwarding (?:you|below|the)\b|\bforwarded below\b)"
)


@dataclass(frozen=True, slots=True)
class _Text:
    """The searched text, width-folded, split into the sender's own words and the quoted rest."""

    own: str
    quoted: str


def _digits(value: str) -> str:
    return "".join(filter(str.isdigit, value))


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with every character inside any of ``spans`` replaced by "#" (same length)."""
    pieces: list[str] = []
    done = 0
    for start, end in sorted(spans):
        start = max(start, done)
        if end <= start:
            continue
        pieces += (text[done:start], "#" * (end - start))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


# --- identifiers ---------------------------------------------------------------------------------------


def _supply_points(text: str) -> list[re.Match[str]]:
    return [m for m in _SUPPLY_POINT.finditer(text) if len(_digits(m.group("n"))) == 22]


def _contracts(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    if _EG_GATE.search(text):
        found += [("EG" + _digits(m.group("n")), m.start(), m.end()) for m in _CONTRACT.finditer(text)]
    if "契約番号" in text:
        found += [
            ("EG" + _digits(m.group("n")), m.start("n"), m.end()) for m in _CONTRACT_LABELLED.finditer(text)
        ]
    return sorted(found, key=lambda x: x[1])


def _phone_candidates(text: str, matches: list[re.Match[str]]) -> list[tuple[float, int, str]]:
    """(score, position, digits) for every phone-shaped number (``matches``: :data:`_PHONE` found in
    ``text``) that is not a FAX or the desk's line."""
    out: list[tuple[float, int, str]] = []
    for m in matches:
        digits = _digits(m.group("n"))
        if len(digits) not in (10, 11) or digits in DESK_PHONES:
            continue
        if not _could_be_a_contact(digits):
            continue
        before = text[max(0, m.start() - 16) : m.start()]
        if _FAX_LABEL.search(before):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        score = 1.0
        if _PHONE_LABEL.search(before):
            score += 2.0
        if _BRACKETED_BEFORE.search(before):
            score -= 1.0
        if line.strip() == m.group("n").strip():
            score += 1.5  # a bare number on its own line: a signature
        if "新" in before[-8:] or "new" in before[-16:].lower():
            score += 0.5  # the new number in a change notice
        if _OLD_NUMBER_BEFORE.search(before):
            score -= 2.0  # 「旧番号」 "Old number:": no longer reachable
        out.append((score, m.start(), digits))
    return out


_CUSTOMER_LABELLED = re.compile(
    r"(?:お客(?:さま|様)番号|顧客番号|[Cc]ustomer\s*(?:[Nn]o\.?|[Nn]umber|ID|#)|[Cc]ustomer\s+[Nn]o)(?:\s+is|\s*[:：は#])?\s*"  # "the customer number is 30 085 512"
    r"(?P<n>\d(?:[- \t.ー]{0,2}\d){7})(?![\d]|[-.ー]\d)"  # 「7712-0345-88」 is a longer number
)


_THOUSANDS_BEFORE = re.compile(r"\d[,，]$")
_THOUSANDS_AFTER = re.compile(r"[,，]\d")


def _could_be_a_contact(digits: str) -> bool:
    """Toll-free lines in a text are businesses' service numbers, not a customer's contact line."""
    return not digits.startswith(("0120", "0800")) and not _placeholder(digits)


def _placeholder(digits: str) -> bool:
    """03-0000-0000, 000-0000-0000: the last six digits all alike is a number typed to fill a form."""
    return len(set(digits[-6:])) == 1


def _customer_candidates(text: str) -> list[tuple[float, int, str]]:
    out: list[tuple[float, int, str]] = []
    # A label names the number however its digits are grouped ("30 22 71 45", "72-11-5530").
    for m in _CUSTOMER_LABELLED.finditer(text):
        out.append((3.5, m.start("n"), _digits(m.group("n"))))
    for m in _CUSTOMER.finditer(text):
        digits = _digits(m.group("n"))
        before = text[max(0, m.start() - 20) : m.start()]
        if _NOT_CUSTOMER_BEFORE.search(before) or _NOT_CUSTOMER_AFTER.match(text, m.end()):
            continue
        if _THOUSANDS_BEFORE.search(text, 0, m.start()) or _THOUSANDS_AFTER.match(text, m.end()):
            continue  # 「12,345,678円」: a comma between digits groups thousands; ", " separates a list
        labelled = bool(_CUSTOMER_LABEL.search(before))
        if not labelled and (digits.startswith("0") or _looks_like_date(digits)):
            continue
        out.append((3.0 if labelled else 1.0, m.start(), digits))
    return out


def _looks_like_date(digits: str) -> bool:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    return 1990 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def _best(candidates: list[tuple[float, int, str]], *, prefer_last: bool) -> str | None:
    if not candidates:
        return None
    key = (lambda c: (c[0], c[1])) if prefer_last else (lambda c: (c[0], -c[1]))
    return max(candidates, key=key)[2]


# 「090ー3318ー2270」: a long-vowel mark between digits is a dash typed with the kana keyboard.
_KANA_DASH = re.compile(r"(?<=\d)ー(?=\d)")
# 「+81 (0)3-5468-3320」「+81-264-22-8810」: Japan's country code stands for the leading 0 of the number.
_JAPAN_PREFIX = re.compile(r"\+\s?81[ \t\-]?(?:\(0\)[ \t\-]?)?(?=[1-9])")


def _domestic(match: re.Match[str]) -> str:
    return " " * (len(match.group()) - 1) + "0"


def _identifiers(text: str) -> dict[str, str]:
    """customer_no, contract_no, supply_point_id and phone found in one (folded) text."""
    result: dict[str, str] = {}
    if "ー" in text:
        text = _KANA_DASH.sub("-", text)
    if "+" in text:
        text = _JAPAN_PREFIX.sub(_domestic, text)
    # Every identifier has at least 8 digits, a phone number 10 and a supply point 22: counting them
    # first skips the patterns that cannot match (most messages carry a date or two and nothing else).
    digit_count = len(_ONE_DIGIT.findall(text))
    if digit_count < 8:
        return result
    spans: list[tuple[int, int]] = []
    points = _supply_points(text) if digit_count >= 22 else []
    if points:
        result["supply_point_id"] = _digits(points[0].group("n"))
        spans += [m.span() for m in points]
    contracts = _contracts(text)
    if contracts:
        result["contract_no"] = contracts[0][0]
        spans += [(s, e) for _, s, e in contracts]
    if "〒" in text:
        spans += [m.span() for m in _POSTAL.finditer(text)]
    if "@" in text:
        spans += [m.span() for m in _EMAIL.finditer(text)]
    masked = _mask(text, spans)
    phone_matches = list(_PHONE.finditer(masked)) if digit_count >= 10 else []
    phone = _best(_phone_candidates(masked, phone_matches), prefer_last=True)
    if phone:
        result["phone"] = phone
    masked = _mask(masked, _phone_spans(phone_matches))  # FAX and desk numbers too: never a customer number
    customer = _best(_customer_candidates(masked), prefer_last=False)
    if customer:
        result["customer_no"] = customer
    return result


def _phone_spans(matches: list[re.Match[str]]) -> list[tuple[int, int]]:
    return [m.span() for m in matches if len(_digits(m.group("n"))) in (10, 11)]


def _email(text: str) -> str | None:
    if "@" not in text:
        return None
    for m in _EMAIL.finditer(text):
        return m.group("n").lower().rstrip(".")
    return None


# --- the date ------------------------------------------------------------------------------------------

_PAST_INTENTS = frozenset({"outage", "usage_data"})
# Words that make a past day the subject: an outage that happened, or data of a past day.
_PAST_WORDS = re.compile(
    r"停電|瞬停|電気が(?:止ま|落ち|来)|止まりました|落ちました|使用量|使用電力|電力量|データ|30分|数値|グラフ|"
    r"デマンド|最大電力|"
    # 「11/1から社名が…に変わりました」: the day of a name change stays its day once it has taken effect.
    r"(?:社名|商号|名義|会社名)[^。\n]{0,24}?(?:変わりました|変更(?:しました|になりました|いたしました))"
    r"|(?:社名|商号|名義|会社名)(?:の)?変更[^。\n]{0,20}?(?:終わりました|完了しました|済みました|済んでおります)"
)
# 「4月27日の引落分から」「来月27日の分から」: the debit or bill from which a change applies is a starting point
# as strong as 付で.
_STRONG_AFTER = re.compile(
    r"^\s*(?:付け?|をもって|をもちまして|を持って|限りで|限り|にて(?:解約|終了|閉店|閉鎖)"
    r"|の(?:引き?落(?:とし)?|ご?請求|お?支払い?|お?振込み?)?(?:の)?分(?:から|より|以降)"
    # 「来月末の引落から新しい口座に」: the debit itself named as the starting point
    r"|の(?:引き?落(?:とし)?|口座振替|お?振込み?)(?:から|より|以降))"
)
_WITH_DE = re.compile(r"^\s*(?:で|に)(?!は|も)")
_DEADLINE = re.compile(r"^\s*(?:まで(?:に)?|までの|迄)")
# 「12月29日の朝から」: a time of day may stand between the day and から.
_FROM = re.compile(
    r"^\s*(?:の?(?:朝|午前中?|午後|夕方|夜|昼)\s*(?:\d{1,2}時(?:\d{1,2}分|半)?)?\s*)?(?:から|より|以降)"
)
# 「申請締切が9月18日のため、9月11日までに」: a day in a reason clause explains the request, it is not its day.
# Unless the request then points back to it (「…第2土曜日なので、その日で解約」).
_REASON_AFTER = re.compile(
    r"\s*(?:[(（][^)）]{1,4}[)）])?\s*(?:のため|なので|ですので|につき)(?![、,]?\s*(?:その日|同日|当日|この日|それまで))"
)
# 「年度末のお忙しいところ」「年末のご多忙の折」: a season's greeting, not a day.
_BUSY_GREETING_AFTER = re.compile(r"\s*(?:の|で)\s*(?:お|ご)?(?:忙しい|多忙|繁忙)")
# 「年度末の決算にあたり」「年度末の会計監査に向けて」「年度末決算の関係で」: the customer's own year-end accounts.
_OWN_ACCOUNTS_AFTER = re.compile(r"\s*(?:の)?\s*(?:決算|会計監査|監査|棚卸|締め)")
# 「月末で資金繰り表を作っているので」「月末で社長に報告しないといけないので」: the customer's own work on that day,
# given as why they ask, is not the day asked about.
_OWN_WORK_REASON_AFTER = re.compile(
    r"\s*(?:で|に|には)[^。\n？?]{0,24}?(?:報告|資金繰り|作って|作成|締め|集計|まとめ|予算)[^。\n？?]{0,14}?(?:ので|ため)"
)
# 「月次の締めが5/7なので、それまでに請求書が必要です」: a day the request points back to as its deadline (それまでに)
# is as strong a mark as 付で, even for an intent with no day of its own.
_POINTED_BACK_DEADLINE = re.compile(
    r"[^。\n]{0,20}?(?:ので|ため)[、,]?\s*(?:可能であれば|できれば|なるべく|念のため)?[、,]?\s*それまで"
)
# 「…7月15日だけ、すごく多いです。この日のデータを見たいです」: the request points back to the day.
_POINTED_BACK_DAY = re.compile(r"[^。\n？?]{0,30}[。\n]\s*(?:この|その)日(?:の(?!うち)|は|に|を)")
_METERING_REF_AFTER = re.compile(r"\s*(?:の)?(?:計量|検針)(?:日)?分")
# 「今月末までに解約通知書を出せば」「解約通知書の提出期限は12月31日」: the notice's deadline, not the day the contract
# ends (the cancellation's day is the one it asks for).
_NOTICE_DEADLINE_AFTER = re.compile(r"\s*(?:まで(?:に|には)?|(?:中|内|のうち)?に)[^。\n]{0,4}(?:解約)?通知書")
_NOTICE_DEADLINE_BEFORE = re.compile(r"通知書[^。\n\d]{0,8}(?:期限|締切|締め切り|期日)\s*(?:は|が|:|：)?\s*$")
# 「翌営業日の28日に引き落とされる」「前営業日の5月29日までに」: an alternative to the day named, not that day.
_ALTERNATIVE_BEFORE = re.compile(r"(?:翌営業日|前営業日)の\s*$")
# A day inside 「…」 quoted from the guide or the terms: the rule's example, no day of this customer.
_QUOTED_RULE_BEFORE = re.compile(
    r"(?:ガイド|約款|案内|説明|資料|サイト|ホームページ)(?:に|には|では|で)(?:は)?[^。\n」]{0,4}「[^」\n]{0,24}$"
)
# 「この場合、引落は7日に」: a short topic (引落は) may stand between the case and its day.
_SUPPOSED_BEFORE = re.compile(
    r"(?:(?:その|この)場合|そうなると|だとすると)(?:は|には)?[、,]?\s*(?:[^\d\s。、\n？?]{1,5}(?:は|が)\s*)?"
    r"(?:翌営業日の|翌日の)?$"
)
_RANGE_JOIN = re.compile(r"^\s*(?:から|~|-|より)\s*$")
_SPAN_JOIN = re.compile(r"^\s*[~\-]\s*$")  # 「5/2~6/1」 written as a span, not 「…から…まで」
# 「7月19日から25日までの使用量」: a stretch from one day until another is a period, as a span is.
_UNTIL_AFTER = re.compile(r"\s*(?:まで|迄)")
# A span is a stretch of days: only for work on the site (a shut-down, an outage) does its first day count.
_SPAN_START_INTENTS = frozenset({"pas_open", "equipment_work", "outage"})
_TOPIC_WORDS = re.compile(
    r"解約|やめ|止め|停止|終了|終わら|閉店|閉鎖|閉め|移転|取り壊|解体|変更|変わり|変わる|名義|社名|商号|合併|承継|瞬停|"
    r"譲渡|工事|作業|点検|更新|交換|PAS|開閉器|受電|停電|止ま|落ち|使用量|データ|予定|希望|確定|実施|行い|行う|"
    r"期日|期限|締め|引き?落と|振込|支払|打ち合わせ|打合せ|訪問|返送|提出|使えなく|変え(?:て|たい)"
)
_THANKED = re.compile(r"ありがとう|有難う|お礼申し上げ|感謝(?:いた)?し")
# 「昨日サポートダイヤルに電話したところ…」: the day the customer last contacted the desk.
_CONTACTED = re.compile(
    r"(?:電話|問い?合わせ|問合せ|メール|連絡)(?:を)?(?:した|しました|差し上げ)(?:ところ|が|けど|のですが)"
)
# 「来週火曜の打ち合わせですが…別の日に変更」: the day a meeting is moved away from, to a day not yet named.
_MOVED_AWAY = re.compile(r"(?:別の日|他の日|別日|ほかの日|再来週|翌週|来月)(?:に|へ)?(?:変更|ずら|延期|変え)")
_EXAMPLE = re.compile(r"例えば|例だと|例では|(?i:\bfor example\b|\be\.g\.)")
# A day at the head of each row of a table (「6/8  41,220 kWh …」): a list of days, none the request's.
_TABLE_ROW = re.compile(r"[ \t]+[\d,.]+")
_INCIDENTAL_BEFORE = re.compile(
    r"(?:送信日時|受信日時|作成日|発行日|設立|創業)\s*(?:は|:|：)?\s*$|"
    r"】\s*$"  # 「【電話メモ】9/18」: a note's heading dates the note, not the request
)
# 「日時:」「日付:」 name a mail header only beside the header's other lines; alone they name a schedule.
_HEADER_LABEL_BEFORE = re.compile(r"(?:日時|日付|Date|Sent)\s*[:：]\s*$")
_HEADER_LINES = re.compile(r"差出人|件名|送信者|宛先|From:|Subject:|To:")
# A day that dates a staff change (「8月末で前任者が退職」「4月1日付の人事異動」) is background to an account change;
# a change into another company form (「有限会社から株式会社へ組織変更」「4月1日付で組織変更を行い「株式会社…」となる」)
# changes the customer itself.
_STAFF_CHANGE_AFTER = re.compile(
    r"[^。\n]{0,12}?(?:人事異動|異動|退職|(?<!会社へ)(?<!会社に)組織変更(?![^。\n]{0,30}(?:株式会社|有限会社|合同会社|合資会社|合名会社|商号|社名))|着任|入社|退社|転勤|担当(?:者)?が(?:変|替|代)|担当(?:者)?(?:の)?(?:変更|交代)"
    r"|担当が[^。\n]{0,14}(?:に|へ)(?:交代|変わ|替わ)"
    # 「本日付で前任から担当を引き継ぎました」「本日付で私が担当を引き継ぎ」: a person taking over the account
    r"|前任(?:者)?(?:の[^。\n]{1,6}?)?(?:から|より)|(?:私|わたし|小職)が(?:担当|引き?継)|担当を(?:引き?継|交代))"
)
# 「使用期間4/15~5/14」「10月15日から11月14日までの分」: a billing or metering period, neither end a day.
# A work's period (「工事期間：8月12日～8月16日」) starts on the work's day: only other periods name no day.
_PERIOD_BEFORE = re.compile(r"(?<!工事)(?<!作業)(?<!点検)(?<!停電)期間[^\d\n]{0,6}$")
_PERIOD_AFTER = re.compile(r"\s*(?:まで)?の?(?:計量|検針|使用)?分")
# A start day is background when it lies in the past (「契約開始日は2024年4月1日」), the request when ahead
# (「新会社での契約開始は12月1日から」).
_STARTED_BEFORE = re.compile(r"(?:開始日|契約開始|契約日|適用日)\s*(?:は|が|:|：)?\s*$")
# "解約日は", 「解約の日を」, "工事予定日：" just before a date name it as the day the request is about.
_KEY_DAY_BEFORE = re.compile(
    r"(?:(?:解約|変更|工事|停電|作業|実施|予定|希望|合併|移転|閉店|閉鎖|廃止|切替|切り替え|開始|再開|点検|期限|期日|締切|締め切り|"
    r"開放|投入|送電|復電|引き?渡し|明け渡し|効力発生|発効|承継|引継ぎ?|引き継ぎ)"
    r"の?(?:日|日時|予定日|希望日)|期限|期日|締切|締め切り|〆切)\s*(?:は|を|が|:|：)?\s*$"
    # 「開放：12/29（火）8:00」: an operation named as a label
    r"|(?:開放|解約|停電|工事|作業|点検)\s*[:：]\s*$"
)
# 「20日が締切です」「10/31が期限」: a deadline named after its day, as strong as 「締切は20日」.
_KEY_DAY_AFTER = re.compile(r"\s*(?:が|は)?\s*(?:締切|締め切り|〆切|期限|期日)(?!後)")
# 「10/31の支払処理までに」「4月24日の監査までに」「7/25の支払処理に必要」: the customer's own deadline named by
# what happens that day is as strong a mark as 付で, even for an intent with no day of its own.
_OWN_DEADLINE_AFTER = re.compile(
    r"\s*の[^\d\s。、,\n？?]{1,8}?(?:まで(?:に|には)|に(?:必要|間に合))"
    # 「6月4日までに揃える必要があります」「12日までに提出しなければならず」: a day by which the customer must have
    # something is their own deadline too.
    r"|\s*まで(?:に|には)[^。\n？?]{0,24}?(?:必要が|必要で|揃え|そろえ|提出し|間に合わせ|なければ|ないといけ)"
)
# 「2月20日までにご回答いただけますと」: the day the customer needs the answer by, for a question with no day of its
# own (a bill, a login) the one day it names.
_ANSWER_BY_AFTER = re.compile(
    r"\s*(?:[(（].[)）])?\s*(?:まで|迄)(?:に|には)?[^。\n？?\d]{0,6}?(?:ご|お)?(?:回答|返答|返信|教示|連絡|知らせ)"
)
# 「5月16日から5月23日に変更」: the day after から is the old one, the one the change goes to is the request;
# a correction (「解約の日を4月15日に直して」) is such a change.
_CHANGED_TO_AFTER = re.compile(
    r"\s*(?:[(（][^)）]{1,4}[)）])?\s*(?:\d{1,2}(?::\d{2}|時(?:\d{1,2}分|半)?)\s*(?:から|~)?\s*)?"  # 「14時からに変更」
    r"(?:の(?:朝|午前中?|午後|夕方|夜|昼))?"  # 「1/15(金)の午後に前倒し」
    r"(?:に|へ)(?:\d{1,2}\s*(?:週間|日間?|か月|ヶ月|カ月)\s*)?"  # 「3/21に1週間延期」
    r"(?:変更|延期|変わ|前倒し|繰り上げ|繰り下げ|ずら|ずれ|延び|後ろ倒し|移|直|訂正|修正)"
)
# 「11月1日から御社で電気の供給が始まる」「4/1の供給開始」: for an intent with no day of its own, the day the supply
# or the contract starts is background to the question (a login, a bill).
_SUPPLY_START_AFTER = re.compile(
    r"[^。\n]{0,12}?(?:供給|契約|受電|切り?替え?)(?:が|の|を)?(?:開始|始ま|スタート)|\s*(?:から|より)?(?:の)?(?:供給|契約)開始"
    r"|[^。\n]{0,12}?(?:電気|電力)に切り?替わ"  # 「4/1から御社の電気に切り替わったんですが」
    # 「4月1日に開園予定の「認定こども園 にじのおか」で事務を担当しております」: the site's opening, in a self-introduction
    r"|[^。\n]{0,4}?(?:開園|開業|開店|開所|開院|開校|オープン)予定の"
)
# 「10/1付で承継する予定だったのですが、…11/1にずれる」: the day of a plan given up is no longer the request's.
# 「供給開始は来月4月1日からと伺っております」: the start named before its day.
_SUPPLY_START_BEFORE = re.compile(
    r"(?:供給|受電|契約)(?:の)?開始(?:日)?(?:は|が)?\s*(?:来月|今月|再来月)?\s*の?\s*$"
)
_GIVEN_UP_AFTER = re.compile(
    r"[^。\n]{0,30}?(?:予定|つもり|はず)(?:だった|でした|であった)(?:の|ん)?(?:です)?(?:が|けど|けれど)"
    # 「15時予定でしたが…17時に変更」: only the hour moved, the day stands
    r"(?![^。\n]{0,24}?\d{1,2}(?::\d{2}|時)(?:から|に|へ)?(?:変更|ずれ|延び|遅れ))"
    # 「16日開放と書きましたが…15日に前倒しします」: a day written earlier and now taken back
    r"|[^。\n]{0,16}?(?:と|って)(?:書き|書い|お?伝え|申し上げ|ご?連絡(?:いた)?し|お知らせし)"
    r"(?:ました|ていました|てしまいました|た)(?:が|けど|けれど)"
)
_SENTENCE_END = re.compile(r"[。！!？?\n]")


def _sentence_after(text: str, end: int) -> str:
    m = _SENTENCE_END.search(text, end)
    return text[end : m.start() if m else len(text)]


# 今朝 ("this morning") and さっき ("a moment ago") only ever date something that happened today.
_HAPPENED_TODAY = frozenset({"今朝", "けさ", "さっき", "今しがた", "たった今"})
# 今夜/今晩 ("tonight") name when something will happen, never the day of writing.
_TONIGHT = frozenset({"今夜", "今晩"})
# 「今朝見たところ」「さっき確認したら」: the writer's own look, not an event of the day.
_LOOKED_AFTER = re.compile(
    r"\s*(?:マイページを?)?(?:見た|見ましたら|見ると|確認した|確認しましたら|ダウンロードした)"
)


def _date_score(
    mention: DateMention,
    text: str,
    received: date,
    past_ok: bool,
    background: re.Pattern[str] | None = None,
    example: bool = False,
    own_deadlines: bool = True,
) -> float:
    """How likely ``mention`` is the requested day (``background``: the background-sentence cues;
    ``example``: whether ``text`` cites an example anywhere, so most texts skip that sentence search)."""
    after = text[mention.end : mention.end + 12]
    before = text[max(0, mention.start - 10) : mention.start]
    score = 1.0
    # 本日/今日 is mostly "today I write"; 今朝 ("this morning") only ever dates something that happened.
    today = (
        mention.kind == "relative_day"
        and mention.date == received
        and (mention.text not in _HAPPENED_TODAY or bool(_LOOKED_AFTER.match(text, mention.end)))
        and mention.text not in _TONIGHT
        and not _today_happened(text, mention)
    )
    if today:
        score = 0.2  # 本日/今日 is mostly "today I write", seldom the day the request is about
    elif (
        mention.kind == "relative_day" and mention.date < received and _LOOKED_AFTER.match(text, mention.end)
    ):
        score -= 0.5  # 「きのう見た2/7分の数字」: the day the writer looked loses to a day the look was about
    if _STRONG_AFTER.match(after):
        score += 3.0
    elif _DEADLINE.match(after):
        score += 1.5
    elif _FROM.match(after) or _WITH_DE.match(after):
        score += 1.0
    rest = _sentence_after(text, mention.end)
    if _TOPIC_WORDS.search(rest[:40]):
        score += 1.0
    # a day ahead thanked for is still the plan's day; a day up to today thanked for is an earlier contact
    thanked = mention.date <= received and _THANKED.search(rest)
    if thanked or (mention.date < received and _CONTACTED.search(rest)):
        score -= 2.0  # 「昨日はデータの件ありがとうございました」: the day of an earlier contact
    if _MOVED_AWAY.search(rest) and not _CHANGED_TO_AFTER.match(text, mention.end):
        score -= 3.0
    if example and _EXAMPLE.search(_sentence_around(text, mention.start, mention.start)):
        score -= 5.0  # 「ガイドの例だと10/1変更で8/14まで」: every day of an example
    if _QUOTED_RULE_BEFORE.search(text, max(0, mention.start - 30), mention.start):
        # 「ガイドには「4月1日変更なら2月14日まで」とある」: a rule's example quoted from a guide
        score -= 5.0
    if mention.weekday_checked:
        score += 0.5
    if _KEY_DAY_BEFORE.search(before) or _KEY_DAY_AFTER.match(text, mention.end):
        score += 2.5
    supposed = bool(
        _SUPPOSED_BEFORE.search(text, max(0, mention.start - 18), mention.start)
        or _ALTERNATIVE_BEFORE.search(text, max(0, mention.start - 8), mention.start)
    )
    if own_deadlines and not supposed and _OWN_DEADLINE_AFTER.match(text, mention.end):
        score += 3.0
    if _dates_something_else(mention, text, before, received):
        score -= 5.0
    if _STAFF_CHANGE_AFTER.match(text, mention.end):
        score -= (
            6.0  # even 「4月1日付の人事異動」: the day a person changes is no day of the customer's supply
        )
    if _CHANGED_TO_AFTER.match(text, mention.end):
        score += 1.5
    if _GIVEN_UP_AFTER.match(text, mention.end):
        score -= 3.0
    if _REASON_AFTER.match(text, mention.end) or _OWN_WORK_REASON_AFTER.match(text, mention.end):
        score -= 2.0
    if _BUSY_GREETING_AFTER.match(text, mention.end) or (
        mention.kind == "fiscal_year_end" and _OWN_ACCOUNTS_AFTER.match(text, mention.end)
    ):
        score -= 4.0
    if _NOTICE_DEADLINE_AFTER.match(text, mention.end) or _NOTICE_DEADLINE_BEFORE.search(
        text, max(0, mention.start - 16), mention.start
    ):
        score -= 3.0
    if _METERING_REF_AFTER.match(text, mention.end):
        score -= (
            2.0  # 「3月1日計量分がいつ引き落とされるか」: the meter reading it refers to, not the day asked
        )
    if supposed:
        score -= 2.0  # 「6日は日曜日ですが、その場合は7日に引き落とされますか」: the supposed day, not the day asked about
    if _POINTED_BACK_DEADLINE.match(text, mention.end):
        score += 3.0
    if _POINTED_BACK_DAY.match(text, mention.end):
        score += 1.5  # 「7月15日だけ多いです。この日の30分値を見たい」: the next sentence asks about that day
    if background is not None and background.search(_sentence_around(text, mention.start, mention.end)):
        score -= 4.0
    if _alone_on_line(text, mention):
        score -= 2.0  # a dated letterhead or a date stamp, not the subject
    if mention.date < received and not past_ok:
        score -= 3.0
    if today and not past_ok and not (_STRONG_AFTER.match(after) or _DEADLINE.match(after)):
        score = min(score, 0.2)  # 「本日マイページで変更しました」: the day of writing, not of the request
    return score


# A sentence that only tells of the repair or the power coming back, beside the one that tells of the outage
# (低電: how dictation writes 停電).
_RECOVERY = re.compile(
    r"復旧|復電|交換|修理|直(?:り|っ|し)|戻(?:り|っ)|(?i:\brestored\b|\breplaced\b|\brepaired\b)"
)
_OUTAGE_WORD = re.compile(
    r"停電|低電|瞬停|止ま|落ち|全停|切れ|(?i:\boutage\b|\bpower (?:cut|failure)\b|\bwent (?:down|out|off)\b)"
)

_ON_SITE_INTENTS = frozenset({"pas_open", "equipment_work"})


_ON_SITE_OR_OUTAGE = frozenset({"pas_open", "equipment_work", "outage"})
# A clock time (15:10, 13時40分, 4 pm) in a report: with no day written, a report of work done or of an outage
# that is over speaks of the day it is written.
_CLOCK = re.compile(
    r"(?<![\d/.:])\d{1,2}(?::\d{2}(?![\d/])|時(?:\d{1,2}分|半|頃|ごろ)?|\s*(?i:[ap]\.?m\.?)(?![a-z]))"
)


def _same_day_report(own: str, received: date, intents: Sequence[str]) -> bool:
    """「PAS 13:40 投入完了」 "back on grid at 15:10": with no day written at all, work on the site reported done
    or an outage over, at a clock time, happened on the day the message is written."""
    if not _ON_SITE_OR_OUTAGE & set(intents) or _CLOCK.search(own) is None or _outage_going_on(own, intents):
        return False
    if resolve_dates(own, received=received, folded=True) or english_mentions(own, received=received):
        return False
    cues = [cue for cue in (load_outage_cues()[1], load_done_on_site(), load_today_happened()) if cue]
    for clock in _CLOCK.finditer(own):
        sentence = _sentence_around(own, clock.start(), clock.end())
        if any(cue.search(sentence) for cue in cues):
            return True
    return False


def _done_on_site(sentence: str, intents: Sequence[str]) -> bool:
    """Work on the site reported done (``[date] done_on_site``): its past day is the report's day."""
    cues = load_done_on_site() if _ON_SITE_INTENTS & set(intents) else None
    return bool(cues and cues.search(sentence))


def _today_happened(text: str, mention: DateMention) -> bool:
    """本日 with a clock time or beside an operation reported done (``[date] today_happened``)."""
    cues = load_today_happened()
    return bool(cues and cues.search(_sentence_around(text, mention.start, mention.end)))


def _dates_something_else(mention: DateMention, text: str, before: str, received: date) -> bool:
    """A mail header, a note's heading, a past start day: the label before the date says it is background
    (「【連絡】あすの朝9時」: a relative day after a heading is no date stamp)."""
    heading = before.rstrip().endswith("】")
    # a note's heading is stamped with the day it is written: a day ahead after 【…】 opens the message itself
    # (「【丸越食品 第一工場】6/21(土) PAS開放します」)
    if (
        _INCIDENTAL_BEFORE.search(before)
        and not (heading and (mention.kind == "relative_day" or mention.date > received))
    ) or (mention.date < received and _STARTED_BEFORE.search(before)):
        return True
    return bool(
        _HEADER_LABEL_BEFORE.search(before)
        and _HEADER_LINES.search(text, max(0, mention.start - 200), mention.end + 200)
    )


def _alone_on_line(text: str, mention: DateMention) -> bool:
    left = text.rfind("\n", 0, mention.start) + 1
    right = text.find("\n", mention.end)
    line = text[left : right if right >= 0 else len(text)]
    return line.strip(" \t:：") == text[mention.start : mention.end].strip()


def _choose_date(text: str, received: date, intents: Sequence[str], least: float = 0.5) -> str | None:
    mentions = resolve_dates(text, received=received, folded=True)
    if not mentions:
        return None
    # The end of a range ("12/27から1/4まで") is not the day the request is about: its start is.
    range_ends: set[int] = set()
    for i in range(len(mentions) - 1):
        if _RANGE_JOIN.match(text[mentions[i].end : mentions[i + 1].start]):
            between = text[mentions[i].end : mentions[i + 1].start]
            if (
                _PERIOD_BEFORE.search(text, max(0, mentions[i].start - 12), mentions[i].start)
                or _PERIOD_AFTER.match(text, mentions[i + 1].end)
                or (
                    (_SPAN_JOIN.match(between) or _UNTIL_AFTER.match(text, mentions[i + 1].end))
                    and not _SPAN_START_INTENTS & set(intents)
                )
            ):
                range_ends.update((i, i + 1))
                continue
            changed = _CHANGED_TO_AFTER.match(text, mentions[i + 1].end)
            range_ends.add(i if changed else i + 1)
    background = load_background_sentence()
    example = bool(_EXAMPLE.search(text))
    rows = [i for i, m in enumerate(mentions) if _heads_a_row(text, m)]
    if len(rows) >= 3:
        range_ends.update(rows)
    past_ok_by_intent = bool(_PAST_INTENTS & set(intents))
    own_words = _own_words(intents)
    ongoing = _outage_going_on(text, intents)
    outage_only = "outage" in intents and _only_outage(intents)
    # the outage told in a dated sentence of its own: a dated sentence telling only of the repair is not its day
    outage_told_apart = "outage" in intents and any(
        _OUTAGE_WORD.search(_sentence_around(text, m.start, m.end)) for m in mentions
    )
    season_ends = _season_ends(text, mentions, intents)
    pas_opened = "pas_open" in intents and "cancellation" not in intents
    # a notice of work lists its day under 日時：; a phone memo's 日時： is when the call came (「電話メモ」 above it)
    on_site = bool(_ON_SITE_INTENTS & set(intents)) and "メモ" not in text
    outage_in = "outage" in intents
    best: tuple[float, int] | None = None
    chosen: DateMention | None = None
    for i, mention in enumerate(mentions):
        if (
            i in range_ends
            or _any_months_end(mention, text)
            or not date_allowed_now(mention.date, received, ongoing)
        ):
            continue
        if (
            _far_ahead_without_year(mention, received)
            and not _NEXT_YEAR_BEFORE.search(text, max(0, mention.start - 60), mention.start)
        ) or (
            mention.kind == "month_day"
            and mention.date > received
            and _STATE_SINCE_AFTER.match(text, mention.end)
        ):
            mention = _a_year_earlier(mention)
        sentence = _sentence_around(text, mention.start, mention.end)
        past_ok = past_ok_by_intent or bool(_PAST_WORDS.search(sentence)) or _done_on_site(sentence, intents)
        if not intents and mention.date < received:
            past_ok = bool(re.search(r"停電|電気が(?:止ま|落ち|来)|使用量|データ", sentence))
        # an outage or data of a past day is the request's day; the customer's own report deadline is not
        score = _date_score(
            mention, text, received, past_ok, background, example, own_deadlines=not past_ok_by_intent
        )
        if own_words is not None and own_words.search(_sentence_after(text, mention.end)[:_OWN_WORD_REACH]):
            score += 0.5  # the intent's own word breaks a tie between two days equally marked
        if "payment_due_date" in intents and (
            _HOLIDAY_CLASH_AFTER.match(text, mention.end) or _HOLIDAY_CLASH_IN.search(mention.text)
        ):
            score += 1.5  # 「今月は31日が日曜日です」: the due day named and asked about, not the day it may move to
        if outage_told_apart and _RECOVERY.search(sentence) and not _OUTAGE_WORD.search(sentence):
            # 「今朝までに復旧しております」 after 「昨夜停電」: the outage's day, not the repair's
            score -= 1.0
        if pas_opened and _PAS_OPENING_AFTER.match(text, mention.end):
            score += 1.0
        if on_site and _WORK_DAY_LABEL_BEFORE.search(text, max(0, mention.start - 12), mention.start):
            score += 2.5  # 「・日時：2025年10月19日（日）8:00～14:00」 in a notice of work on the site
        if not outage_in and _MEMO_STAMP_AFTER.match(text, mention.end) and _opens_line(text, mention):
            score -= 4.0
        if outage_in and _memo_of_the_outage(text, mention):
            score += 5.0  # undoes the heading's stamp (_INCIDENTAL_BEFORE): the memo's day is the outage's
        if i in season_ends:
            score -= 1.5  # 「営業は11月30日で終了し…12月8日にPASを開放」: the season's last day, then the operation's
        if outage_only and mention.date > received and _DEADLINE.match(text[mention.end : mention.end + 8]):
            score -= 2.0  # 「報告書を10月30日までに」 in an outage report: an end or a deadline, not the outage's day
        if least >= _STRONG_SCORE and _takes_effect(mention, text, received, sentence):
            score += 1.0
        if (
            least >= _STRONG_SCORE
            and mention.date <= received
            and _FROM.match(text[mention.end : mention.end + 16])
            and _CHANGE_MADE.search(sentence)
        ):
            score -= 1.0  # 「7月1日から代表電話番号が変わりました」: a change already made, background to the request
        if least >= _STRONG_SCORE and mention.date >= received and _ANSWER_BY_AFTER.match(text, mention.end):
            score += 3.0
        if least >= _STRONG_SCORE and (
            _SUPPLY_START_AFTER.match(text, mention.end)
            or _SUPPLY_START_BEFORE.search(text, max(0, mention.start - 16), mention.start)
        ):
            score -= 2.0  # 「11月1日から供給が始まる予定です」 before a login question: background
        if best is None or score > best[0]:
            best, chosen = (score, mention.start), mention
    if chosen is None or best is None or best[0] < least:
        return None
    return chosen.date.isoformat()


# 「10月1日から集約いたします」「以降に発行される請求書は…お送りください」: a plan or a request in the ます form.
_PLANNED = re.compile(r"(?:ます|ください|下さい|たい)(?![^。\n]{0,3}(?:した|でした))")


# 「8月1日から自習室として開放することになりました」: a decision announced is a plan, though it ends in ました.
_DECIDED = re.compile(
    r"ことにな(?:りました|っております|っています|りまして)|ことに(?:決ま|決定|いたし|しました)"
)


# a change told as made (「変わりました」「変更いたしました」「移転しました」)
_CHANGE_MADE = re.compile(r"(?:変わり|変更(?:いた)?し|移転(?:いた)?し|移り)ました")


def _takes_effect(mention: DateMention, text: str, received: date, sentence: str) -> bool:
    """A day ahead from which something is going to change (から/より/以降, and the sentence says what in the
    present ます form or asks for it): for an intent with no day of its own, as strong as 付で. A month's end
    (「月末から」) is a rough time, not such a day."""
    return (
        mention.date >= received
        and mention.kind != "month_end"
        and bool(_FROM.match(text[mention.end : mention.end + 16]))
        and (
            bool(_DECIDED.search(sentence)) or ("ました" not in sentence and bool(_PLANNED.search(sentence)))
        )
    )


# 「6月1日から改修工事で休館しており」: a state going on since a day without its year began on the past one.
_STATE_SINCE_AFTER = re.compile(
    r"\s*(?:[(（][^)）]{1,4}[)）])?\s*(?:から|より)[^。\n]{0,24}?"
    r"(?:(?:休館|休業|休止|停止|閉鎖|開放)して|止めて|閉めて|切って)(?:おり|います|いる|ます|おります)"
)
# 「9/15で終わるので」「11月30日で終了し」「今月いっぱいで織機全部止めて」: the business or the season ends that day.
_SEASON_END_AFTER = re.compile(
    r"\s*(?:[(（][^)）]{1,4}[)）])?\s*(?:の(?:営業|運行|運転|操業|診療)\s*)?(?:で|をもって|を以て|をもちまして)[^。\n、]{0,12}?"
    r"(?:終了|終わり|終わる|終わって|終え|止めて|止める|休止し|クローズし)"
)
# 「翌日の9/16にPASを開放」「4/1の朝に…開放」: the operation named after its day.
_PAS_OPERATION_AFTER = re.compile(r"[^。\n]{0,25}?(?:開放|投入|切|入れ)")
# 「3/3の朝に開放→3/17に投入」「13日の朝8時にPAS開放」: the day the PAS is opened, before any other day is named.
_PAS_OPENING_AFTER = re.compile(r"(?:[^。\n\d]|\d{1,2}(?:時|:\d{2})){0,25}?(?:開放|切り?離|PASを?切)")
# 「10/26 朝礼後 社長より」「5/7 10:20 本社 小松さんから TEL」: the time stamp heading a memo of a call or an
# instruction dates the memo, not what it asks about (an outage memo's stamp may be the outage's own day).
_MEMO_STAMP_AFTER = re.compile(
    r"[ \t　]*(?:[(（].[)）])?[ \t　]*(?:\d{1,2}[:：]\d{2})?[^。\n\d]{0,20}?(?:より|から|→)[ \t　]*"
    r"(?:TEL|Tel|tel|電話|着信|入電|連絡|伝言)?[ \t　]*$",
    re.MULTILINE,
)


def _season_ends(text: str, mentions: Sequence[DateMention], intents: Sequence[str]) -> set[int]:
    """For a PAS operation (not a cancellation, whose day is the end), the days the business or the season
    ends when a later day is the operation's: that one is the request's day."""
    if "pas_open" not in intents or "cancellation" in intents:
        return set()
    ends = [i for i, m in enumerate(mentions) if _SEASON_END_AFTER.match(text, m.end)]
    return {
        i
        for i in ends
        if any(
            _PAS_OPERATION_AFTER.match(text, m.end) for m in mentions[i + 1 :] if m.date > mentions[i].date
        )
    }


_WORK_DAY_LABEL_BEFORE = re.compile(r"(?:^|\n)[・\s]*(?:日時|日程)\s*[:：]\s*$")
_LINE_HEAD = re.compile(r"[ \t　>＞・]*(?:【[^】\n]{1,10}】)?[ \t　]*")
# a clock time or a time of day in the memo's first lines, with the outage told (「・22時頃 工場全停電」)
# another day named in the memo's first lines (「6/25」「昨日」): then the heading's day may not be the outage's
_ANOTHER_DAY = re.compile(r"\d{1,2}\s*(?:/|月)\s*\d{1,2}|昨日|前日|先週")
_MEMO_OUTAGE = re.compile(r"(?:\d{1,2}(?:時|[:：]\d{2})|未明|夜|朝|夕方)[^\n]{0,30}?(?:停電|全停|瞬停)")


def _memo_of_the_outage(text: str, mention: DateMention) -> bool:
    """A memo headed by its day (「【電話メモ】6/26（土）22:10」) whose first lines tell an outage at a time of
    that day and name no other day: it was written the night the outage happened."""
    if not text[: mention.start].rstrip(" \t　").endswith("】") or not _opens_line(text, mention):
        return False
    memo = text[mention.end : mention.end + 160].split("\n\n")[0]
    return bool(_MEMO_OUTAGE.search(memo)) and not _ANOTHER_DAY.search(memo)


def _opens_line(text: str, mention: DateMention) -> bool:
    """Nothing but spaces or a bracketed heading (「【電話メモ】」) stands before the date on its line."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    return _LINE_HEAD.fullmatch(text, line_start, mention.start) is not None


def _heads_a_row(text: str, mention: DateMention) -> bool:
    """The date opens its line and numbers follow it (a row of a table)."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    return not text[line_start : mention.start].strip() and bool(_TABLE_ROW.match(text, mention.end))


# 「12月31日は金融機関が休業なので」「27日が日曜日です」: the due day falls on a day the bank is closed.
_HOLIDAY_CLASH_AFTER = re.compile(
    r"\s*(?:は|が|って)\s*(?:土曜|日曜|祝日|休日|祭日|振替休日|大晦日|金融機関(?:が|の)?(?:休|お休)|銀行(?:が|の)?(?:休|お休))"
)
_HOLIDAY_CLASH_IN = re.compile(r"(?:が|は|って)[土日]曜")
# 「来年の3月で閉めることにしました。なので3月末で解約」: next year said just before, the day far ahead stands.
_NEXT_YEAR_BEFORE = re.compile(r"来年|翌年|再来年")


def _far_ahead_without_year(mention: DateMention, received: date) -> bool:
    """A day without a year more than ``FAR_AHEAD_DAYS`` ahead is a past day written without its year (「7/3の
    請求」): it is read as that past day, which counts only where a past day can (an outage, data asked for)."""
    written_without_year = mention.kind == "month_day" or (
        mention.kind == "month_end"
        and "年" not in mention.text
        and not mention.text.startswith(("今", "来", "再"))
    )
    return written_without_year and (mention.date - received).days > FAR_AHEAD_DAYS


_BARE_MONTH_END_TAKEN = re.compile(r"\s*(?:で|付|まで|を?もって|限り)")


def _any_months_end(mention: DateMention, text: str) -> bool:
    """Bare 「月末」 is this month's end only when something ends then (「月末で解約」); 「月末は土日」
    「月末の資金繰り」「引落日を月末に」 speak of any month's end."""
    return mention.text.strip() in ("月末", "月末日") and not _BARE_MONTH_END_TAKEN.match(text, mention.end)


def _a_year_earlier(mention: DateMention) -> DateMention:
    day = mention.date
    earlier = date(day.year - 1, day.month, min(day.day, 28 if day.month == 2 else day.day))
    if mention.kind == "month_end":
        earlier = date(day.year - 1, day.month, calendar.monthrange(day.year - 1, day.month)[1])
    return DateMention(
        earlier, mention.start, mention.end, mention.kind, mention.text, mention.weekday_checked
    )


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind("。", 0, start), text.rfind("\n", 0, start), text.rfind("？", 0, start)) + 1
    m = _SENTENCE_END.search(text, end)
    return text[left : m.start() if m else len(text)]


# --- cancellation reason -------------------------------------------------------------------------------

CANCEL_REASONS = ("switch", "removal", "other")
ENTITY_RULES_FILE = FAQ_DIR / "entities.toml"
# A reason's sentence ends at Japanese and English stops alike: 「。」, a newline, ? and !, and a full stop
# followed by a space ("…the fee? We are moving the site to another retailer.").
_REASON_SENTENCE_END = re.compile(r"[。\n?!]|\.(?=\s)")


def _reason_sentence(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` around ``start``–``end``, cut at Japanese and English sentence ends."""
    left = max((m.end() for m in _REASON_SENTENCE_END.finditer(text, 0, start)), default=0)
    m = _REASON_SENTENCE_END.search(text, end)
    return text[left : m.start() if m else len(text)]


@dataclass(frozen=True, slots=True)
class ReasonRule:
    """One ``[[cancel_reason]]`` rule of ``faq/entities.toml`` (see the comments there)."""

    reason: str
    rank: int
    pattern: re.Pattern[str]
    needs: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None


def _compile_rule_pattern(path: Path, number: int, field: str, value: object) -> re.Pattern[str]:
    raw = value if isinstance(value, list) else [value]
    items = [item for item in raw if isinstance(item, str) and item]
    if not items or len(items) != len(raw):
        raise InputError(
            f"{path.name}: cancel_reason の{number}番目の規則: {field} は空でない文字列で書いてください"
        )
    for item in items:
        try:
            re.compile(item)
        except re.error as exc:
            raise InputError(
                f"{path.name}: cancel_reason の{number}番目の規則: {field} のパターン「{item}」は正規表現として"
                f"読めません（{exc.msg}、{exc.pos}文字目）"
            ) from exc
    return re.compile("|".join(f"(?:{item})" for item in items))


@lru_cache(maxsize=4)
def rules_file(path: Path = ENTITY_RULES_FILE) -> dict[str, Any]:
    """``path`` parsed once; each loader below reads its own table of it. An unreadable file is an
    :class:`InputError` in plain words. Callers only read the result."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path.name}: ファイルを読めません（{exc}）") from exc


@lru_cache(maxsize=4)
def load_reason_rules(path: Path = ENTITY_RULES_FILE) -> tuple[ReasonRule, ...]:
    """The cancellation-reason rules of ``path``, compiled once; a bad rule is an :class:`InputError` that
    says which rule and why in plain words."""
    data = rules_file(path)
    rules: list[ReasonRule] = []
    for number, item in enumerate(data.get("cancel_reason", []), start=1):
        unknown = set(item) - {"reason", "rank", "patterns", "needs", "unless"}
        if unknown:
            raise InputError(f"{path.name}: cancel_reason の{number}番目の規則: 未知の項目 {sorted(unknown)}")
        if item.get("reason") not in CANCEL_REASONS:
            raise InputError(
                f"{path.name}: cancel_reason の{number}番目の規則: reason は {'/'.join(CANCEL_REASONS)} の"
                f"どれかです（「{item.get('reason')}」）"
            )
        rank = item.get("rank", 1)
        if not isinstance(rank, int):
            raise InputError(f"{path.name}: cancel_reason の{number}番目の規則: rank は整数です")
        rules.append(
            ReasonRule(
                reason=item["reason"],
                rank=rank,
                pattern=_compile_rule_pattern(path, number, "patterns", item.get("patterns")),
                needs=_compile_rule_pattern(path, number, "needs", item["needs"])
                if "needs" in item
                else None,
                unless=(
                    _compile_rule_pattern(path, number, "unless", item["unless"])
                    if "unless" in item
                    else None
                ),
            )
        )
    if not rules:
        raise InputError(f"{path.name}: cancel_reason の規則がありません")
    return tuple(sorted(rules, key=lambda r: r.rank))


def _other_reasons(path: Path, table: str, key: str) -> frozenset[str]:
    """``[table] key`` of the entity rules file: a list of ``other`` reasons, each checked."""
    reasons = rules_file(path).get(table, {}).get(key, [])
    unknown = [r for r in reasons if r not in OTHER_REASONS]
    if unknown:
        raise InputError(
            f"{path.name}: [{table}] {key} の「{'、'.join(map(str, unknown))}」は"
            f"その他の理由（{'/'.join(OTHER_REASONS)}）ではありません"
        )
    return frozenset(reasons)


@lru_cache(maxsize=4)
def load_no_date_reasons(path: Path = ENTITY_RULES_FILE) -> frozenset[str]:
    """The ``other`` reasons whose messages have no requested day (``[date] no_date_when_other``)."""
    return _other_reasons(path, "date", "no_date_when_other")


@lru_cache(maxsize=4)
def load_foreign_account_reasons(path: Path = ENTITY_RULES_FILE) -> frozenset[str]:
    """The ``other`` reasons whose account numbers belong to another company
    (``[identifiers] not_ours_when_other``)."""
    return _other_reasons(path, "identifiers", "not_ours_when_other")


_STRONG_SCORE = 3.0  # a date with a strong mark scores at least this (see _date_score)


@lru_cache(maxsize=4)
def load_dayless_intents(path: Path = ENTITY_RULES_FILE) -> frozenset[str]:
    """``[date] dayless_intents``: intents whose procedure has no day of its own."""
    intents = rules_file(path).get("date", {}).get("dayless_intents", [])
    unknown = [i for i in intents if i not in INTENT_IDS]
    if unknown:
        raise InputError(
            f"{path.name}: [date] dayless_intents の「{'、'.join(map(str, unknown))}」は意図IDではありません"
        )
    return frozenset(intents)


@lru_cache(maxsize=4)
def load_subject_pointer(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[subject] pointed_to``: words with which a body sends the reader to its subject line."""
    cues = rules_file(path).get("subject", {}).get("pointed_to")
    return _compile_rule_pattern(path, 0, "subject.pointed_to", cues) if cues else None


def points_to_subject(body: str) -> bool:
    """True when ``body`` says its subject line is the message (「件名のとおりです」, "see subject")."""
    pointer = load_subject_pointer()
    return bool(pointer and pointer.search(body))


def _dayless(intents: Sequence[str]) -> bool:
    return bool(intents) and set(intents) <= load_dayless_intents()


def english_least(intents: Sequence[str]) -> float:
    """The score :func:`intents.dates_en.requested_date` must reach for ``intents``: for dayless intents
    2.5, a date right after "as of", "effective", "cancel…" (the English reader scores lower)."""
    return 2.5 if _dayless(intents) else 0.5


def site_work(intents: Sequence[str]) -> bool:
    """Work on the site (a shut-down, an outage): a period's first day is the request's day."""
    return bool(_SPAN_START_INTENTS & set(intents))


def may_have_a_date(intents: Sequence[str], other_reason: str | None, text: str = "") -> bool:
    """False for a message that asks nothing of the desk, or that only reports an outage still going on
    (``text``: the sender's own words); see ``[date]`` in ``faq/entities.toml``."""
    if list(intents)[:1] == ["other"] and other_reason in load_no_date_reasons():
        return False
    return not (text and _outage_going_on(text, intents) and _only_outage(intents))


def _date_cues(path: Path, key: str) -> re.Pattern[str] | None:
    """A ``[date]`` cue list of ``path``, compiled; None when the file has none."""
    cues = rules_file(path).get("date", {}).get(key)
    return _compile_rule_pattern(path, 0, f"date.{key}", cues) if cues else None


@lru_cache(maxsize=4)
def load_background_sentence(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[date] background_sentence``: sentences whose date is background (an old account closing)."""
    return _date_cues(path, "background_sentence")


@lru_cache(maxsize=4)
def load_today_happened(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[date] today_happened``: sentences in which 本日 is the day something happened."""
    return _date_cues(path, "today_happened")


_OWN_WORD_REACH = 20


@lru_cache(maxsize=4)
def load_own_words(path: Path = ENTITY_RULES_FILE) -> dict[str, re.Pattern[str]]:
    """``[date.own_words]``: per intent, the words that name it right after its day."""
    table = rules_file(path).get("date", {}).get("own_words", {})
    unknown = [i for i in table if i not in INTENT_IDS]
    if unknown:
        raise InputError(f"{path.name}: [date.own_words] の「{'、'.join(unknown)}」は意図IDではありません")
    return {
        intent: _compile_rule_pattern(path, 0, f"date.own_words.{intent}", cue)
        for intent, cue in table.items()
    }


def _own_words(intents: Sequence[str]) -> re.Pattern[str] | None:
    """The own words of the message's main intent, if it has any."""
    return load_own_words().get(intents[0]) if intents else None


@lru_cache(maxsize=4)
def load_done_on_site(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[date] done_on_site``: sentences reporting work on the site as done."""
    return _date_cues(path, "done_on_site")


def date_allowed(day: date, received: date, intents: Sequence[str], text: str) -> bool:
    """While the power is still off, a day up to today is the outage's own, which has none: only a day
    ahead (equipment work, a visit) can be another request's day."""
    return date_allowed_now(day, received, _outage_going_on(text, intents))


def date_allowed_now(day: date, received: date, outage_going_on: bool) -> bool:
    """:func:`date_allowed` once it is known whether the outage is still going on: so a day ahead (「明朝9時に
    PASを投入」) is chosen over 「本日13時頃」 rather than lost with it."""
    return day > received or not outage_going_on


def _only_outage(intents: Sequence[str]) -> bool:
    return set(intents) <= {"outage"} | load_dayless_intents()


@lru_cache(maxsize=4)
def load_outage_cues(path: Path = ENTITY_RULES_FILE) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``[date] outage_ongoing`` and ``outage_over``, compiled."""
    data = rules_file(path).get("date", {})
    return (
        _compile_rule_pattern(path, 0, "date.outage_ongoing", data.get("outage_ongoing")),
        _compile_rule_pattern(path, 0, "date.outage_over", data.get("outage_over")),
    )


@lru_cache(maxsize=4)
def load_outage_still(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[date] outage_still``: the power is still off now, whatever happened first (a dip, a restart)."""
    return _date_cues(path, "outage_still")


def _outage_going_on(text: str, intents: Sequence[str]) -> bool:
    """An outage report that says the power is still off: in so many words (「今も停電してます」), or without
    ever saying it came back."""
    if "outage" not in intents:
        return False
    still = load_outage_still()
    if still is not None and still.search(text):
        return True
    ongoing, over = load_outage_cues()
    return bool(ongoing.search(text)) and not over.search(text)


def _first_mention(rule: ReasonRule, text: str) -> int | None:
    """Where ``rule`` first applies in ``text`` (its needs met and no unless in the sentence), or None."""
    for m in rule.pattern.finditer(text):
        if rule.needs is None and rule.unless is None:
            return m.start()
        sentence = _reason_sentence(text, m.start(), m.end())
        if rule.needs is not None and not rule.needs.search(sentence):
            continue
        if rule.unless is not None and rule.unless.search(sentence):
            continue
        return m.start()
    return None


@lru_cache(maxsize=4)
def load_options_marker(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[cancel_reason_options] marker``: words that make two reasons in one sentence a comparison."""
    marker = rules_file(path).get("cancel_reason_options", {}).get("marker")
    return _compile_rule_pattern(path, 0, "cancel_reason_options.marker", marker) if marker else None


def _compares_cases(text: str, first: dict[str, int], marker: re.Pattern[str] | None) -> bool:
    """Two reasons first named in one sentence that has a comparing word (「だと」, "if")."""
    if marker is None or len(first) < 2:
        return False
    low, high = min(first.values()), max(first.values())
    if _REASON_SENTENCE_END.search(text, low, high):
        return False
    return bool(marker.search(_reason_sentence(text, low, high)))


# An English paragraph wrapped at a fixed width ("…agreement with another\nelectricity supplier"): a line break
# between two words is a space, so a reason's sentence is not cut in two.
_SOFT_WRAP = re.compile(r"(?<=[A-Za-z,])[ \t]*\n(?=[ \t]*[a-z])")


def _unwrap(text: str) -> str:
    return _SOFT_WRAP.sub(" ", text)


def _first_mentions(rules: Iterable[ReasonRule], text: str) -> dict[str, int]:
    """Per reason, where its earliest applying rule among ``rules`` first applies in ``text``."""
    first: dict[str, int] = {}
    for rule in rules:
        at = _first_mention(rule, text)
        if at is not None and (rule.reason not in first or at < first[rule.reason]):
            first[rule.reason] = at
    return first


def _cancel_reason(
    text: str, rules: tuple[ReasonRule, ...] | None = None, marker: re.Pattern[str] | None = None
) -> str | None:
    if rules is None:
        rules, marker = load_reason_rules(), load_options_marker()
    for rank in sorted({r.rank for r in rules}):
        first = _first_mentions((r for r in rules if r.rank == rank), text)
        if first:
            if _compares_cases(text, first, marker):
                return None
            # Power bought from another retailer is the reason even beside a move or a closure; otherwise
            # the reason first mentioned last is the one the message ends up on (background, then reason).
            return "switch" if "switch" in first else max(first, key=lambda reason: first[reason])
    return None


@lru_cache(maxsize=4)
def load_options_negation(path: Path = ENTITY_RULES_FILE) -> re.Pattern[str] | None:
    """``[cancel_reason_options] negation``: words that make a ruled-out reason a denied one."""
    negation = rules_file(path).get("cancel_reason_options", {}).get("negation")
    return _compile_rule_pattern(path, 0, "cancel_reason_options.negation", negation) if negation else None


def _denied(rule: ReasonRule, text: str, negation: re.Pattern[str]) -> bool:
    """Whether ``rule`` matches in a sentence its ``unless`` rules out and that denies (「切り替えではなく」)."""
    if rule.unless is None:
        return False
    for m in rule.pattern.finditer(text):
        sentence = _reason_sentence(text, m.start(), m.end())
        if rule.unless.search(sentence) and negation.search(sentence):
            return True
    return False


def reason_withheld(text: str) -> bool:
    """Whether the rules saw a reason's words in ``text`` and decided on none: the sentence denies it
    (``negation``), or two reasons were compared (「閉店なら？他社なら？」). The reason model must not name a
    reason there; it reads words, not the denial around them."""
    low = _unwrap(text).lower()
    rules, marker, negation = load_reason_rules(), load_options_marker(), load_options_negation()
    if _cancel_reason(low, rules, marker) is not None:
        return False
    if negation is not None and any(_denied(rule, low, negation) for rule in rules):
        return True
    return _compares_cases(low, _first_mentions(rules, low), marker)


# --- public --------------------------------------------------------------------------------------------


def set_desk_phones(numbers: Iterable[str]) -> None:
    """Tell the extractor the desk's own numbers (from the settings), so a signature or a quoted reply of
    the desk never becomes the customer's contact number."""
    global DESK_PHONES
    DESK_PHONES = tuple(_digits(fold_width(n)) for n in numbers if _digits(fold_width(n)))


def extract_entities(
    text: str,
    *,
    received: date,
    intents: Sequence[str] = (),
    form: dict[str, str] | None = None,
    other_reason: str | None = None,
) -> dict[str, str]:
    """Entities found in ``text`` (keys from ``intents.model.ENTITY_KEYS``, only those found, normalised).

    ``form`` is the parsed portal form when the message is one (parsed here when None; an empty dict says
    the text was already parsed and is no form); its
    お電話番号 and メールアドレス are the customer's own, and only its お問い合わせ内容 is searched for the
    rest. ``intents`` (main first) decide whether ``cancel_reason`` applies and whether a past date can be
    the one the request is about; ``other_reason`` (why the main intent is ``other``) whether a date can be
    one at all. Never raises: malformed text yields fewer entities, not an error.
    """
    try:
        return _extract(text, received=received, intents=intents, form=form, other_reason=other_reason)
    except Exception:
        return {}


def _extract(
    text: str,
    *,
    received: date,
    intents: Sequence[str],
    form: dict[str, str] | None,
    other_reason: str | None,
) -> dict[str, str]:
    text = text[:MAX_CHARS] if isinstance(text, str) else ""
    if form is None:
        form = parse_form(text)
    source = form["body"] if form and form.get("body") else text
    own, quoted = split_quoted(source)
    if quoted and _RELAYED.search(own):
        # A partner or colleague relays a customer's mail: the customer's own words are the forwarded part.
        own, quoted = f"{own}\n{quoted}", ""
    parts = _Text(fold_width(own), fold_width(quoted))

    found = _identifiers(parts.own)
    if form and form.get("body") and source is not text:
        # A form's extra lines above お問い合わせ内容 (契約番号：, 供給地点特定番号：) name the customer's
        # contract as the body would.
        head = fold_width(text[: text.find(form["body"])] if form["body"] in text else "")
        for key, value in _identifiers(head).items():
            if key in _QUOTED_KINDS:
                found.setdefault(key, value)
    if parts.quoted:
        # Quoted mail is often the desk's own reply: its numbers can be ours, so only identifiers of a
        # contract are taken from it, and only when the new text lacks them.
        for key, value in _identifiers(parts.quoted).items():
            if key in _QUOTED_KINDS:
                found.setdefault(key, value)
    if form:
        # The form's お客さま番号 field is the customer's own statement of it.
        customer = _digits(fold_width(form.get("customer_no", "")))
        if len(customer) == 8:
            found["customer_no"] = customer
        phone = _digits(fold_width(form.get("phone", "")))
        # The field is the sender's own statement (even a toll-free line); only a placeholder is refused.
        if len(phone) in (10, 11) and phone not in DESK_PHONES and not _placeholder(phone):
            found["phone"] = phone
    email = _email(fold_width(form["email"])) if form and form.get("email") else None
    email = email or _email(parts.own)
    if email:
        found["email"] = email

    english = detect_language(parts.own) == "en"
    # Intents with no day of their own (a login, a bill) name one only with a strong mark (付で, まで, a
    # labelled day, "effective"); a date merely mentioned there is background.
    least = _STRONG_SCORE if _dayless(intents) else 0.5
    written = (
        requested_date(
            parts.own,
            received=received,
            least=english_least(intents),
            background=load_background_sentence(),
            site_work=site_work(intents),
        )
        if english
        else None
    )
    day = written.isoformat() if written else None
    if day is None:
        day = _choose_date(parts.own, received, intents, least)
    if day is None and _same_day_report(parts.own, received, intents):
        day = received.isoformat()
    if day is None and parts.quoted:
        day = _choose_date(parts.quoted, received, intents, least)
    if (
        day
        and may_have_a_date(intents, other_reason, parts.own)
        and date_allowed(date.fromisoformat(day), received, intents, parts.own)
    ):
        found["date"] = day

    if list(intents)[:1] == ["other"] and other_reason in load_foreign_account_reasons():
        # mail meant for the water bureau or another company: its account numbers are theirs, never ours
        for key in ("customer_no", "contract_no"):
            found.pop(key, None)

    if "cancellation" in intents:
        reason = _cancel_reason(_unwrap(parts.own).lower())  # 「PPS」 and "PPA" as the rules write them
        if reason is None and parts.quoted:
            reason = _cancel_reason(parts.quoted.lower())
        if reason:
            found["cancel_reason"] = reason
    return found
