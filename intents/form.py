"""Parser for the portal's inquiry form as it arrives by e-mail (``label：value`` or ``【label】value``)."""

from __future__ import annotations

import re

from intents.cleanup import fold_width

FORM_KEYS: tuple[str, ...] = (
    "name",
    "email",
    "address",
    "phone",
    "contact_method",
    "contact_hours",
    "category",
    "body",
    "customer_no",
)

# Label spellings → key (the portal's English labels too: Name, Address, Phone, Contact method, Inquiry
# type, Inquiry details). Matched after width folding and with spaces removed; "様/さま" and "問い合わせ /
# 問合せ / 問い合せ" variants are folded by the patterns themselves.
_LABELS: tuple[tuple[str, str], ...] = (
    ("customer_no", r"(?:お客(?:様|さま)番号|顧客番号|お客(?:様|さま)ID)"),
    ("email_confirm", r"(?:ご登録)?メール(?:アドレス)?[(（]?(?:確認|再入力|確認用)(?:用)?[)）]?"),
    ("email", r"(?:ご登録)?(?:メールアドレス|Eメール|E-?mail|メール)"),
    (
        "name",
        r"(?:お名前|氏名|ご氏名|お客(?:様|さま)名|ご担当者(?:様|さま)?名|ご担当者(?:様|さま)?(?:お名前)?|担当者名"
        r"|(?:full |your |contact )?name)",
    ),
    ("address", r"(?:ご住所|住所|ご所在地|所在地|address)"),
    (
        "phone",
        r"(?:お電話番号|電話番号|ご連絡先電話番号|ご連絡先(?:お)?電話番号|TEL|電話|(?:tele)?phone(?: ?number| ?no\.?)?)",
    ),
    (
        "contact_method",
        r"(?:ご希望の)?(?:ご連絡方法|連絡方法|ご希望の連絡方法|ご回答方法|回答方法)|contact (?:method|by)|preferred contact",
    ),
    (
        "contact_hours",
        r"(?:ご連絡可能(?:な)?時間(?:帯)?|連絡可能(?:な)?時間(?:帯)?|ご連絡(?:希望)?時間(?:帯)?)",
    ),
    (
        "category",
        r"(?:お問(?:い)?合(?:わ)?せ(?:の)?(?:区分|種別|カテゴリ|項目)|問(?:い)?合(?:わ)?せ区分|区分|カテゴリ"
        r"|inquiry (?:category|type)|category)",
    ),
    (
        "body",
        r"(?:お問(?:い)?合(?:わ)?せ(?:の)?(?:内容|本文)|問(?:い)?合(?:わ)?せ内容|ご相談内容|ご用件|内容"
        r"|inquiry (?:details|content)(?: ?[(（][^)）]{0,20}[)）])?)",
    ),
)
_LABEL_ALT = "|".join(f"(?P<{key}>{pattern})" for key, pattern in _LABELS)
_SP = r"[ \t]*"
# 【label】value, [label] value, ■label：value, label：value, label: value (value may be empty: it then
# continues on the next lines).
_BULLET = rf"^{_SP}(?:[■◆●・*\-]{_SP})?"
_LABEL_B = _LABEL_ALT.replace("?P<", "?P<b_")
_FIELD = re.compile(
    rf"{_BULLET}(?:【{_SP}(?:{_LABEL_ALT}){_SP}】|\[{_SP}(?:{_LABEL_B}){_SP}\])"
    rf"{_SP}[:：]?{_SP}(?P<v1>.*)$"
    rf"|{_BULLET}(?:{_LABEL_ALT.replace('?P<', '?P<c_')}){_SP}[:：]{_SP}(?P<v2>.*)$",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"^[ \t]*(?:[-=_━─―*＊~]{4,}|※?(?:この|本)メールは|※(?:本|この)メール|このメッセージは|"
    r"お問(?:い)?合(?:わ)?せ(?:いただき)?ありがとうございま|送信日時[:：]|受付日時[:：]|受付番号[:：])"
)
_MIN_LABELS = 3
# Every form has お問い合わせ内容 or お問い合わせ区分 (or a spelling of them); texts without one are skipped.
_FORM_HINT = re.compile(r"問(?:い)?合(?:わ)?せ|相談内容|ご用件|区分|内容")
_MULTILINE = frozenset({"address", "name"})


# (index in Match.groups(), key) of every label group, in group order: the first that matched names the field
_LABEL_GROUPS: tuple[tuple[int, str], ...] = tuple(
    (index - 1, name.removeprefix("b_").removeprefix("c_"))
    for name, index in sorted(_FIELD.groupindex.items(), key=lambda item: item[1])
    if name not in ("v1", "v2")
)


def _match_key(m: re.Match[str]) -> str | None:
    groups = m.groups()  # a tuple: cheaper than building groupdict() for every line
    for index, key in _LABEL_GROUPS:
        if groups[index] is not None:
            return key
    return None


def _finish(key: str, lines: list[str]) -> str:
    parts = [x.strip() for x in lines]
    while parts and not parts[-1]:
        parts.pop()
    while parts and not parts[0]:
        parts.pop(0)
    if key == "body":
        return "\n".join(parts)
    value = " ".join(p for p in parts if p)
    if key in ("email", "email_confirm"):
        value = fold_width(value).strip().lower()
    return value


def parse_form(text: str) -> dict[str, str] | None:
    """The form's fields (keys ``FORM_KEYS``, missing ones ``""``), or None when fewer than three known
    labels appear or neither お問い合わせ内容 nor お問い合わせ区分 does (then the text is not a form e-mail).
    ``body`` runs to the end or to a footer line; ``address`` and ``name`` may span several lines."""
    if not _FORM_HINT.search(text):
        return None
    values: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = fold_width(raw)
        # Inside the body a label line is text, not a field (see below): no need to look for one there.
        m = _FIELD.match(line) if current != "body" and len(line) < 400 else None
        key = _match_key(m) if m else None
        if m is not None and key is not None and key not in values and current != "body":
            group = "v1" if m.group("v1") is not None else "v2"
            values[key] = [raw[m.start(group) :]]
            current = key
            continue
        if current is None:
            continue
        if current == "body":
            if _FOOTER.match(line) and any(x.strip() for x in values["body"]):
                current = None
            else:
                values["body"].append(raw)
            continue
        has_value = any(x.strip() for x in values[current])
        if not line.strip():
            if has_value:
                current = None
        elif _FOOTER.match(line):
            current = None
        elif not has_value or current in _MULTILINE:
            values[current].append(raw)
    if len(values) < _MIN_LABELS or not ({"body", "category"} & values.keys()):
        return None
    result = {key: _finish(key, values.get(key, [])) for key in FORM_KEYS}
    if not result["email"] and "email_confirm" in values:
        result["email"] = _finish("email", values["email_confirm"])
    return result
