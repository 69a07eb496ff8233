"""Message cleanup: separate what the customer wrote now from quoted earlier mail, greetings and signatures.

The full text is always kept elsewhere for staff; these functions only decide what the classifier and the
entity extractors read.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space fold to half-width one character for one
# character, so spans found in the folded text are spans in the original text too. The table is derived
# from Unicode's own compatibility mappings rather than typed by hand.
_WIDTH_TABLE: dict[int, str] = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = " "
# Dashes customers put inside numbers; folded to "-" so number patterns need one separator class only.
for _dash in "‐‑‒–—―−－":
    _WIDTH_TABLE[ord(_dash)] = "-"
_WIDTH_TABLE[0xFF5E] = "~"  # full-width tilde, used for ranges
_WIDTH_TABLE[0x301C] = "~"  # wave dash 〜


_WIDE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_WIDTH_TABLE)) + "]+")


def _fold_run(m: re.Match[str]) -> str:
    return m.group().translate(_WIDTH_TABLE)


def fold_width(text: str) -> str:
    """Full-width ASCII → half-width, ideographic space → space, dashes → "-"; same length as the input."""
    # Translating only the runs that need it is several times faster than str.translate over everything.
    return _WIDE.sub(_fold_run, text)


_QUOTE_LINE = re.compile(r"^[ \t　]*[>＞|｜]")
_CUT_MARKER = re.compile(
    r"^[ \t　>＞]*(?:"
    r"-{2,}[ \t]*(?:Original Message|Forwarded message|元のメッセージ|転送メッセージ|転送されたメッセージ"
    r"|Reply message|返信元メッセージ)[ \t]*-{2,}"
    r"|Begin forwarded message:?"
    r"|[-=_]{5,}[ \t]*(?:転送|元の?メール|以下、?転送)[^\n]*"
    r")",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"^[ \t　>＞]*(?:On\s.{1,200}\bwrote:|.{1,120}(?:さん|様)?は書きました[:：]?"
    r"|.{1,120}(?:wrote|書きました)[:：])[ \t]*$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^[ \t　>＞]*(?:From|Sent|Date|To|Cc|Subject"
    r"|差出人|送信者|送信日時|日時|日付|宛先|件名)[ \t　]*[:：]",
    re.IGNORECASE,
)
_HEADER_START = re.compile(
    r"^[ \t　>＞]*(?:From|Sent|Date|差出人|送信者|送信日時)[ \t　]*[:：]", re.IGNORECASE
)


# A forward marker (not a reply's "Original Message"): what follows was passed on, not answered.
_FORWARD_MARKER = re.compile(r"転送|forward", re.IGNORECASE)
# 「電話メモを転送します。対応お願いします。」: a note whose only message is that something follows. Then the
# forwarded block below it is the inquiry itself, not earlier mail.
_FORWARDING_NOTE = re.compile(r"転送|forward|fwd|下記|以下|メモ", re.IGNORECASE)
_MAX_FORWARDING_NOTE = 150  # characters, spaces left out


# 「そのまま転送いたします。ご回答いただけましたら…」, "Forwarding the request from our auditors below. Could you
# help?": a note that says it passes something on asks about what it passes on, whatever it adds.
_SAYS_FORWARDED = re.compile(
    # in the present only: 「社内に転送いたしました。ありがとうございました」 thanks for an answer it passed on
    r"転送(?:いた)?します|転送させて(?:いただき|頂き)ます|(?:メモ|メール|通達|質問|依頼)をそのまま|"
    r"\bforwarding\b[^.?!\n]{0,60}\b(?:below|request|question|message|email|mail|note|memo)|\bforwarded (?:it |this )?below\b|"
    # "Please see below a request from our headquarters", "see the question from our auditors below"
    r"\bsee (?:below )?(?:a |the )?(?:request|question|message|note|memo|e-?mail)s? (?:below|from)\b|"
    r"\bsee below (?:a |the )?(?:request|question|message|note|memo|e-?mail)s?\b",
    re.IGNORECASE,
)
_MAX_SAYS_FORWARDED_NOTE = 400  # characters, spaces left out: a greeting, an introduction and a request


def _says_forwarded(own: list[str]) -> bool:
    note = "".join("".join(line.split()) for line in own)
    return len(note) <= _MAX_SAYS_FORWARDED_NOTE and bool(_SAYS_FORWARDED.search("\n".join(own)))


def _only_forwards(own: list[str]) -> bool:
    note = "".join("".join(line.split()) for line in own)
    return (
        len(note) <= _MAX_FORWARDING_NOTE
        and bool(_FORWARDING_NOTE.search(note))
        and "?" not in note
        and "？" not in note
    )


def _cut_index(lines: list[str]) -> int:
    """Index of the first line where unmarked quoted mail begins (len(lines) if none). Lines already
    marked with ">" never cut: text after a ">" block (a bottom-posted reply, a signature) is the sender's,
    and so is text after an "On … wrote:" line once its ">" lines end."""
    for i, line in enumerate(lines):
        if _QUOTE_LINE.match(line):
            continue
        if _CUT_MARKER.match(line):
            return i
        if _HEADER_START.match(line):
            window = lines[i : i + 5]
            if sum(1 for w in window if _HEADER.match(w)) >= 2:
                return i
    return len(lines)


def _mates(ch: str) -> str:
    """The characters re.IGNORECASE lets ``ch`` match (İ ı ſ K are the only non-ASCII mates of ASCII
    letters)."""
    candidates = ch + ch.swapcase() + "\u0130\u0131\u017f\u212a"
    return "".join(dict.fromkeys(c for c in candidates if re.fullmatch(re.escape(ch), c, re.IGNORECASE)))


def _caseless(word: str) -> str:
    return "".join(f"[{m}]" if len(m := _mates(ch)) > 1 else re.escape(ch) for ch in word)


def _caseless_words(words: list[str]) -> re.Pattern[str]:
    """Matches where any of ``words`` matches under re.IGNORECASE, spelled out per letter: an IGNORECASE
    search folds every character of the text and costs several times more. One leading character class,
    then a look-behind picks the word, so the engine can skip to candidate characters."""
    first = "".join(dict.fromkeys("".join(_mates(w[0]) for w in words)))
    branches = "|".join(f"(?<={_caseless(w[0])}){_caseless(w[1:])}" for w in words)
    return re.compile(f"[{first}](?:{branches})")


# Together the same test as one IGNORECASE search for any of these words or a ">" line (several times faster).
_QUOTE_WORDS_EN = _caseless_words(["wrote", "Original", "Forward", "Begin", "From", "Sent", "Date"])
_QUOTE_WORDS_JA = re.compile("書きました|転送|元のメ|返信元|差出人|送信者|送信日時")
_QUOTE_LINE_START = re.compile(r"^[ \t　]*[>＞|｜]", re.MULTILINE)


def _may_quote(text: str) -> bool:
    return bool(
        _QUOTE_WORDS_JA.search(text) or _QUOTE_LINE_START.search(text) or _QUOTE_WORDS_EN.search(text)
    )


# Classification and entity extraction both split the same message: remember the last few answers.
@lru_cache(maxsize=16)
def split_quoted(text: str) -> tuple[str, str]:
    """(what the sender wrote now, the quoted earlier mail with quote marks and mail headers removed)."""
    if not _may_quote(text):
        return text.strip("\n"), ""
    lines = text.splitlines()
    cut = _cut_index(lines)
    note = [x for x in lines[:cut] if not _QUOTE_LINE.match(x)]
    # passed on: a forward marker under a note that only forwards, or a note that says it forwards what follows
    passed_on = _says_forwarded(note) or (
        cut < len(lines) and bool(_FORWARD_MARKER.search(lines[cut])) and _only_forwards(note)
    )
    own: list[str] = []
    quoted: list[str] = []
    for i, line in enumerate(lines):
        if i >= cut or _QUOTE_LINE.match(line):
            body = re.sub(r"^(?:[ \t　]*[>＞|｜])+[ \t]?", "", line)
            if not (_HEADER.match(body) or _CUT_MARKER.match(body) or _WROTE.match(body)):
                quoted.append(body)
        elif ("wrote" in line or "書きました" in line) and _WROTE.match(line):
            continue
        else:
            own.append(line)
    if passed_on:
        return "\n".join([*own, *quoted]).strip("\n"), ""
    return "\n".join(own).strip("\n"), "\n".join(quoted).strip("\n")


def strip_quoted(text: str) -> str:
    """Remove quoted earlier mail: ``>`` lines, Original Message / forwarded blocks, header blocks and
    everything after them, and "On … wrote:" lines."""
    return split_quoted(text)[0].rstrip()


# --- greetings, closings, signatures ------------------------------------------------------------------

# Units of polite padding before よろしくお願いします. The possessive "*+" keeps matching linear: units like
# "以上" + "、" could otherwise be split in many ways and backtrack exponentially on odd input.
_SOFTENER = (
    r"(?:以上|どうぞ|何卒|なにとぞ|引き続き|今後とも|本年も|お手数を(?:お)?かけ(?:いた)?しますが|お手数ですが"
    r"|恐れ入りますが|恐縮ですが|お忙しいところ|申し訳ございませんが|ご確認の(?:ほど)?|ご検討の(?:ほど)?"
    r"|ご対応の(?:ほど)?|ご教示の(?:ほど)?|[、, ])*+"
)
# A formal letter's opening and closing words (頭語・結語): formulas, and hints that a line may be one.
_LETTER_WORDS = r"拝啓|謹啓|拝呈|前略|冠省|敬具|謹白|敬白|草々|早々|不一|かしこ"
_GREETING = re.compile(
    r"(?:"
    r"(?:いつも|平素は|平素より|日頃より|日頃は|新年より|本年も|今年も)?(?:大変|たいへん|格別に|誠に)?お世話に(?:なって)?(?:おります|います|なります|なっております)"
    r"|お疲れ(?:さま|様)です|お疲れ(?:さま|様)でございます"
    r"|(?:新年)?(?:あけまして|明けまして)おめでとうございます"
    r"|(?:謹んで)?新年のお慶びを申し上げます"
    r"|旧年中は.{0,20}(?:お世話になりました|ありがとうございました)"
    r"|平素は.{0,30}(?:御礼申し上げます|ありがとうございます|お礼申し上げます)"
    r"|突然の(?:ご連絡|メール)(?:にて|で)?(?:失礼いたします|失礼します|申し訳ございません)"
    r"|初めてご連絡(?:いたします|差し上げます|します)"
    r"|" + _SOFTENER + r"(?:よろしく|宜しく)お願い(?:いたします|致します|します|申し上げます)"
    r"|以上(?:です|となります)?"
    # a formal letter's opening and closing words (頭語・結語) and its seasonal greeting (時候の挨拶)
    r"|(?:" + _LETTER_WORDS + r")"
    r"|(?:(?:拝啓|謹啓|拝呈)[ 　]*)?(?:[^。]{0,12}の候[、,　 ]*)?(?:貴社|貴殿|皆様|皆さま)?[^。]{0,12}"
    r"(?:ご清栄|ご清祥|ご隆盛|ご盛栄|ご繁栄|ご健勝|ご清福)の?(?:こと|段)?と?[^。]{0,6}(?:お慶び|お喜び|大慶に存じ)[^。]{0,4}(?:申し上げます|ます)"
    r"|[^。]{0,30}(?:ご発展|ご繁栄|ご健勝|ご多幸|ご隆盛)を?[^。]{0,8}お祈り(?:申し上げます|いたします|致します)"
    r")[。！!．.]*",
)
_ORG = (
    r"(?:株式会社|有限会社|合同会社|法人|組合|協会|大学|学園|病院|医院|クリニック|ホテル|商事|工業|製作所"
    r"|[部課室局係]|センター|本部|支店|支社|事業所|工場|店)"
)
_NAME = r"(?:[一-龥々]{1,5}(?:[ 　][一-龥々]{1,5})?|[ァ-ヶー]{2,8})"
_SELF_INTRO = re.compile(
    r"(?:[^。？?]{0,40}"
    + _ORG
    + r"[^。？?]{0,12}[の、,][ 　]?)"
    + _NAME
    + r"[ 　]?(?:です|でございます|と申します)[。．.]*"
    r"|" + _NAME + r"と申します[。．.]*"
)
_MAX_FORMULA = 80  # greetings and self-introductions are short; longer sentences are content
_GREETING_HINT = re.compile(
    r"世話|よろしく|宜しく|疲れ|おめでとう|以上|失礼|平素|旧年|初めて|慶び|喜び|お祈り|大慶|" + _LETTER_WORDS
)
_INTRO_END = re.compile(r"(?:です|でございます|と申します)[。．.]*$")
_ADDRESSEE = re.compile(
    r"^.{0,30}(?:様|さま|御中|各位|ご担当者|ご担当|担当者様|デスク|窓口|サポート|御担当者様)[ 　]*[:：]?$"
)
_SEPARATOR = re.compile(r"^[ \t　]*(?:--[ \t]*|([-‐－―─━=＝_＿*＊~～〜・◆◇■□●○★☆])\1{2,}.*)$")
_CONTACT = re.compile(
    r"(?:TEL|Tel|tel|FAX|Fax|fax|電話|携帯|内線|Mail|mail|MAIL|メール|URL|https?://|〒|@|＠|住所|"
    r"\d{2,5}[-ー－]\d{1,4}[-ー－]\d{3,4})"
)
_ORG_LINE = re.compile(_ORG)
_SENTENCE = re.compile(r"[^。！!？?]*(?:[。！!？?]+|$)")


def _is_signature_line(line: str) -> bool:
    s = line.strip()
    return len(s) <= 60 and "。" not in s and "？" not in s and "?" not in s


# 「----- 電話メモ -----」, or a bare rule above 「内容：…」: a separator that heads a memo or a forwarded note is
# the start of the content, not of a signature.
_MEMO_HEADING = re.compile(r"メモ|転送|伝言|用件|memo|message", re.IGNORECASE)
_MEMO_ANNOUNCED = re.compile(
    r"(?:メモ|下記|以下|転送|伝言)[^。\n]{0,20}(?:お送り|送り|共有|転送|貼り|記載)|(?i:\b(?:memo|note)\b[^.\n]{0,20}\bbelow\b)"
)
_MEMO_LINE = re.compile(r"^[ \t　・]*(?:内容|用件|伝言|相手|お客様|お客さま|要件)[ \t　]*[:：]")


def _heads_memo(lines: list[str], i: int) -> bool:
    # 「社長からの指示をメモのままお送りします。」 then 「---」: the line announcing the memo counts as its heading
    announced = next((x for x in reversed(lines[max(0, i - 3) : i]) if x.strip()), "")
    return (
        bool(_MEMO_HEADING.search(lines[i]))
        or any(_MEMO_LINE.match(x) for x in lines[i + 1 : i + 8])
        or bool(_MEMO_ANNOUNCED.search(announced))
    )


def _drop_signature(lines: list[str]) -> list[str]:
    # A separator line near the end starts a signature.
    for i in range(max(0, len(lines) - 15), len(lines)):
        if (
            i > 0
            and _SEPARATOR.match(lines[i])
            and any(x.strip() for x in lines[:i])
            and not _heads_memo(lines, i)
        ):
            lines = lines[:i]
            break
    # Trailing paragraphs made only of short lines with a company, department or contact line.
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        start = len(lines)
        while start > 0 and lines[start - 1].strip():
            start -= 1
        block = [x for x in lines[start:] if x.strip()]
        if start == 0 or not block or len(block) > 8:
            return lines
        if not all(_is_signature_line(x) for x in block):
            return lines
        if not any(_CONTACT.search(x) or _ORG_LINE.search(x) for x in block):
            return lines
        lines = lines[:start]


def _clean_line(line: str, position: int) -> str:
    kept: list[str] = []
    for sentence in _SENTENCE.findall(line):
        s = sentence.strip(" \t　")
        if not s:
            continue
        if len(s) <= _MAX_FORMULA and _GREETING_HINT.search(s) and _GREETING.fullmatch(s):
            continue
        if position < 6 and len(s) <= _MAX_FORMULA and _INTRO_END.search(s) and _SELF_INTRO.fullmatch(s):
            continue
        kept.append(s)
    return "".join(kept)


def body_for_classification(text: str) -> str:
    """The customer's own words: quotes, addressee, greetings, name-only self-introductions, closing
    formulas and the signature removed; for a portal form, its お問い合わせ内容 cleaned the same way. Never returns less than nothing: if everything looked like
    boilerplate, the quote-stripped text is returned."""
    from intents.form import parse_form  # form.py imports this module's fold_width

    form = parse_form(text)
    if form is not None and form["body"]:
        # A portal form: only お問い合わせ内容 is the customer's text; the labels would mislead a classifier.
        text = form["body"]
    return clean_body(text)


def clean_body(text: str) -> str:
    """:func:`body_for_classification` for a text already known not to be a portal form (or a form's
    お問い合わせ内容)."""
    own = strip_quoted(text)
    lines = _drop_signature(own.splitlines())
    out: list[str] = []
    content_seen = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        if content_seen < 3 and not out and _ADDRESSEE.match(line):
            continue
        cleaned = _clean_line(line, content_seen)
        content_seen += 1
        if cleaned:
            out.append(cleaned)
    result = "\n".join(out).strip()
    return result or own.strip()
