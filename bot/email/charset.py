"""Japanese-aware decoding for the stdlib ``email`` package.

Windows/Outlook-era mailers label mail ``ISO-2022-JP`` but write CP932 characters inside ``ESC $ B``
(NEC row 13: ①, ㈱, №; NEC-selected IBM extensions: 髙; ～ as 0x2141), i.e. CP50220/CP50221/CP50222.
None of Python's ``iso2022_jp*`` codecs accept them, so JIS is converted to Shift_JIS and decoded with
``cp932``. :data:`jp_policy` plugs that into ``policy.default`` for bodies and encoded-word headers.
Missing or wrong labels fall back to UTF-8, then to charset-normalizer's guess.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.policy
import re
from email.contentmanager import ContentManager, raw_data_manager
from email.message import EmailMessage
from typing import Any

from charset_normalizer import from_bytes

_ESC = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|&@\x1b\$B)")
_JIS = frozenset(
    {
        "iso-2022-jp",
        "iso2022-jp",
        "iso_2022_jp",
        "iso2022jp",
        "csiso2022jp",
        "iso-2022-jp-ms",
        "cp50220",
        "cp50221",
        "cp50222",
        "iso-2022-jp-1",
        "iso-2022-jp-2",
        "iso-2022-jp-3",
        "iso-2022-jp-ext",
    }
)
_SJIS = frozenset(
    {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932"}
)
_EUC = frozenset({"euc-jp", "eucjp", "x-euc-jp", "euc_jp", "cseucpkdfmtjapanese"})


def _jis_to_sjis(j1: int, j2: int) -> tuple[int, int]:
    s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = (j2 + (0x1F if j2 <= 0x5F else 0x20)) if j1 & 1 else j2 + 0x7E
    return s1, s2


def decode_iso2022jp_ms(data: bytes, errors: str = "strict") -> str:
    """Decode ISO-2022-JP as Windows writes it (CP50220/50221/50222), NEC and IBM extensions included."""
    out = bytearray()
    mode = "ascii"
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x1B:
            m = _ESC.match(data, i)
            if m:
                mode = {b"(B": "ascii", b"(J": "ascii", b"(I": "kana"}.get(m.group(1), "jis")
                i = m.end()
                continue
        if b == 0x0E:  # SO (CP50222 half-width kana)
            mode, i = "kana", i + 1
            continue
        if b == 0x0F:  # SI
            mode, i = "ascii", i + 1
            continue
        if b in (0x0A, 0x0D):
            out.append(b)
        elif mode == "jis" and i + 1 < n and 0x21 <= b <= 0x7E and 0x21 <= data[i + 1] <= 0x7E:
            out.extend(_jis_to_sjis(b, data[i + 1]))
            i += 2
            continue
        elif mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(b + 0x80)
        else:
            out.append(b)
        i += 1
    return out.decode("cp932", errors)


def _guess(data: bytes) -> str:
    # Japanese legacy encodings first: charset-normalizer alone mistakes short EUC-JP for Korean.
    # EUC-JP is tried before CP932 because CP932 bytes are rarely valid EUC-JP, while EUC-JP bytes
    # often decode as CP932 half-width katakana.
    for codec in ("euc_jp", "cp932"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def decode_text(data: bytes, charset: str | None, errors: str = "replace") -> str:
    """Bytes of a text part to str, trusting a Japanese label but never raising.

    An unknown label, a missing one on non-ASCII bytes, or a label the bytes contradict (strict decoding
    fails) falls back to UTF-8 and then to charset-normalizer's detection.
    """
    cs = (charset or "").strip().strip('"').lower()
    if b"\x1b$" in data and cs not in _JIS:
        cs = "iso-2022-jp"  # escape sequences are unambiguous, whatever the label says
    try:
        if cs in _JIS:
            return decode_iso2022jp_ms(data, "strict")
        if cs in _SJIS:
            return data.decode("cp932")
        if cs in _EUC:
            try:
                return data.decode("euc_jp")
            except UnicodeDecodeError:
                return data.decode("euc_jis_2004")
        if cs and cs not in ("us-ascii", "ascii"):
            codecs.lookup(cs)
            return data.decode(cs)
        return data.decode("utf-8")
    except (LookupError, UnicodeDecodeError, ValueError):
        pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _guess(data)


def _get_text(msg: EmailMessage, errors: str = "replace") -> str:
    payload = msg.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    return decode_text(data, msg.get_content_charset(), errors)


def _content_manager() -> ContentManager:
    cm = ContentManager()
    cm.get_handlers = dict(raw_data_manager.get_handlers)  # type: ignore[attr-defined]
    cm.set_handlers = dict(raw_data_manager.set_handlers)  # type: ignore[attr-defined]
    cm.add_get_handler("text", _get_text)
    return cm


# One run of adjacent ISO-2022-JP (or Shift_JIS) encoded words becomes one UTF-8 encoded word; joining
# the bytes first repairs a JIS sequence that a mailer split across two words.
_LABELS = r"iso-2022-jp[^?*]*|csiso2022jp|cp5022[012]|shift[_-]jis|sjis|cp932|windows-31j"
_EW = rf"=\?({_LABELS})(?:\*[^?]*)?\?([bq])\?([^?]*)\?="
_EW_RUN = re.compile(rf"{_EW}(?:\s*{_EW})*", re.I)
_ONE = re.compile(_EW, re.I)


def _ew_bytes(kind: str, text: str) -> bytes:
    try:
        if kind.lower() == "b":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.replace("_", " ").encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return text.encode("ascii", "replace")


def _transcode(m: re.Match[str]) -> str:
    raw = b""
    label = ""
    for ew in _ONE.finditer(m.group(0)):
        label = label or ew.group(1)
        raw += _ew_bytes(ew.group(2), ew.group(3))
    text = decode_text(raw, label)
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


class JapanesePolicy(email.policy.EmailPolicy):
    """``policy.default`` plus CP5022x/CP932 decoding of encoded words in headers."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if "=?" in value and not hasattr(value, "name"):
            value = _EW_RUN.sub(_transcode, value)
        return super().header_fetch_parse(name, value)


jp_policy = JapanesePolicy(content_manager=_content_manager())
