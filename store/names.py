"""Normalisation of the keys customers write: company names, e-mail addresses, phone numbers and the
identifiers the store is looked up by.

Every writer and every lookup goes through these functions, so that what is stored and what is searched
for always compare equal. Identifiers are accepted the way people write them (full-width, lower case,
hyphens or spaces inside) and rejected with :class:`desk.errors.InputError` when they cannot be one.
"""

from __future__ import annotations

import re
import unicodedata

from desk.errors import InputError

# Legal-form markers, longest first so that 株式会社 wins over 会社. NFKC has already turned ㈱ into (株)
# and full-width brackets into ASCII ones by the time these run.
_LEGAL_FORMS = (
    "一般社団法人",
    "公益社団法人",
    "一般財団法人",
    "公益財団法人",
    "特定非営利活動法人",
    "社会福祉法人",
    "医療法人社団",
    "医療法人財団",
    "医療法人",
    "学校法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
)
_ABBREVIATIONS = "株有同資名医財社学福"
_ABBREVIATION_RE = re.compile(r"\((?:[" + _ABBREVIATIONS + r"])\)")
_HONORIFIC_RE = re.compile(r"(?:御中|様|殿|さま)$")
_NOT_WORD_RE = re.compile(r"[\W_]+")
# Old and new forms of kanji common in company and family names; people write either.
_ITAIJI = str.maketrans("髙﨑濱濵邊邉齋齊櫻澤廣國會關萬冨嶋", "高崎浜浜辺辺斎斉桜沢広国会関万富島")
_NOT_DIGIT_RE = re.compile(r"\D+")
_SEPARATOR_RE = re.compile(r"[\s\-‐‑‒–—―−ー－]+")

CUSTOMER_NO_RE = re.compile(r"\d{8}")
CONTRACT_NO_RE = re.compile(r"EG\d{8}")
SUPPLY_POINT_RE = re.compile(r"(0[1-9]|10)\d{20}")


def name_key(name: str) -> str:
    """The comparable form of a company name.

    Width is unified (NFKC), legal-form words and their abbreviations — ㈱, (株), （株）, 株式会社,
    有限会社, (有) … — are dropped wherever they stand, as are honorifics at the end (御中, 様), spaces and
    punctuation; old kanji forms become the common ones (髙 → 高); Latin letters are lower-cased:
    ``name_key("㈱ 山田製作所") == name_key("山田製作所株式会社")``.
    """
    text = unicodedata.normalize("NFKC", name).strip().translate(_ITAIJI)
    text = _HONORIFIC_RE.sub("", text.replace(" ", "").replace("\u3000", ""))
    text = _ABBREVIATION_RE.sub("", text)
    for form in _LEGAL_FORMS:
        text = text.replace(form, "")
    return _NOT_WORD_RE.sub("", text).lower()


def normalise_email(email: str) -> str:
    """Trim, unify width, drop a surrounding ``<…>`` and lower-case; raise InputError if it is no address."""
    text = unicodedata.normalize("NFKC", email).strip().strip("<>").strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text):
        raise InputError(f"メールアドレスの形式が正しくありません: {email!r}")
    return text


def phone_digits(phone: str) -> str:
    """The digits of a Japanese phone number, ``+81`` turned back into the leading ``0``."""
    text = unicodedata.normalize("NFKC", phone).strip()
    international = text.startswith("+81")
    digits = _NOT_DIGIT_RE.sub("", text)
    if international:
        rest = digits[2:]
        digits = rest if rest.startswith("0") else "0" + rest
    return digits


def parse_phone(phone: str) -> str:
    """Like :func:`phone_digits`, but raise InputError unless 10 or 11 digits starting with 0 remain."""
    digits = phone_digits(phone)
    if not (digits.startswith("0") and 10 <= len(digits) <= 11):
        raise InputError(f"電話番号の形式が正しくありません: {phone!r}")
    return digits


def _compact(text: str) -> str:
    return _SEPARATOR_RE.sub("", unicodedata.normalize("NFKC", text).strip()).upper()


def parse_customer_no(text: str, *, pattern: re.Pattern[str] = CUSTOMER_NO_RE) -> str:
    """お客さま番号 as stored (8 digits by default): ``"３００１-２３４５"`` → ``"30012345"``."""
    value = _compact(text)
    if not pattern.fullmatch(value):
        raise InputError(f"お客さま番号の形式が正しくありません（8桁の数字です）: {text!r}")
    return value


def parse_contract_no(text: str, *, pattern: re.Pattern[str] = CONTRACT_NO_RE) -> str:
    """契約番号 as stored (``EG`` + 8 digits by default): ``"ｅｇ－２０２４０１２３"`` → ``"EG20240123"``."""
    value = _compact(text)
    if not pattern.fullmatch(value):
        raise InputError(f"契約番号の形式が正しくありません（EG＋8桁の数字です）: {text!r}")
    return value


def parse_supply_point_id(text: str, *, pattern: re.Pattern[str] = SUPPLY_POINT_RE) -> str:
    """供給地点特定番号 as stored (22 digits starting with the grid area code 01–10)."""
    value = _compact(text)
    if not pattern.fullmatch(value):
        raise InputError(
            f"供給地点特定番号の形式が正しくありません（エリアコード01～10で始まる22桁の数字です）: {text!r}"
        )
    return value
