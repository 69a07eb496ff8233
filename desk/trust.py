"""What the desk trusts about a sender, as flags stored on the inquiry, and the checks behind them.

Adapters set the transport's flags on :class:`~desk.message.IncomingMessage` (the email adapter: sender
authentication from the desk's own server, raw 8-bit addresses, size and recipient limits); the pipeline adds
what only the store can tell (a look-alike of a registered contact's domain). Any flag in
:data:`BLOCKS_IDENTITY` means the sender can never count as proven, whatever the store says.

Pure functions; no transport library is imported here (tests/test_architecture.py).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterable

import idna
from confusable_homoglyphs import confusables
from rapidfuzz import process
from rapidfuzz.distance import OSA

# -- flags (stored on Inquiry.flags) --------------------------------------------------------------------
SUSPICIOUS_SENDER = "suspicious_sender"  # raw 8-bit / non-ASCII local part in From
AUTH_PASS = "sender_auth_pass"  # DMARC pass, or an SPF/DKIM pass aligned with the From domain
AUTH_FAIL = "sender_auth_fail"  # DMARC fail
AUTH_UNALIGNED = "sender_auth_unaligned"  # results present, none passes aligned with From
AUTH_MISSING = "sender_auth_missing"  # no Authentication-Results from the desk's own server
IMPERSONATION = "suspected_impersonation"  # look-alike of a registered contact's domain
OVERSIZE_ATTACHMENT = "attachment_too_large"
TOO_MANY_RECIPIENTS = "too_many_recipients"
RATE_LIMITED = "rate_limited"  # past the per-sender/per-domain limit: no acknowledgement, no draft
REPLY_TO_ACK = "reply_to_our_ack"  # answers our own acknowledgement: never acknowledged again
INVALID_DATE = "invalid_date"  # an impossible date (13月45日, 令和99年) was written

BLOCKS_IDENTITY = frozenset({SUSPICIOUS_SENDER, AUTH_FAIL, AUTH_UNALIGNED, AUTH_MISSING, IMPERSONATION})

LABELS_JA = {
    SUSPICIOUS_SENDER: "差出人アドレスに不正な文字（全角・キリル文字などの8ビット文字）が含まれています。"
    "なりすましの可能性があるため本人確認済みとして扱いません。",
    AUTH_PASS: "送信元認証: 合格（DMARC／ドメイン一致の SPF・DKIM）。",
    AUTH_FAIL: "送信元認証: 不合格（DMARC 失敗）。差出人を詐称したメールの可能性があります。"
    "本人確認済みとして扱いません。",
    AUTH_UNALIGNED: "送信元認証: 差出人ドメインと一致する合格結果がありません。本人確認済みとして扱いません。",
    AUTH_MISSING: "送信元認証: 受信サーバーの認証結果がありません。本人確認済みとして扱いません。",
    IMPERSONATION: "差出人のドメインが登録済みのお客さまのドメインによく似ています（なりすましの疑い）。",
    OVERSIZE_ATTACHMENT: "添付ファイルがサイズ上限を超えています（取り込んでいません）。",
    TOO_MANY_RECIPIENTS: "宛先の数が上限を超えています（一斉送信の可能性）。",
    RATE_LIMITED: "同じ差出人（またはドメイン）からの受信が上限を超えたため、受付メールと返信案の自動作成を"
    "止めています。",
    REPLY_TO_ACK: "当窓口の受付メールへの返信です（自動応答の可能性があるため受付メールは送りません）。",
    INVALID_DATE: "本文にありえない日付が書かれています。お客さまに確認してください。",
}

# ASCII look-alikes that homoglyph tables (which map *to* Latin) do not cover.
_ASCII_CONFUSABLE = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("5", "s"))


def blocks_identity(flags: Iterable[str]) -> bool:
    """True when a flag means the sender must never count as proven."""
    return any(f in BLOCKS_IDENTITY for f in flags)


def notes_for(flags: Iterable[str]) -> list[str]:
    """The Japanese notes staff see for the trust flags of an inquiry (unknown flags are skipped)."""
    return [LABELS_JA[f] for f in dict.fromkeys(flags) if f in LABELS_JA]


_CARD = (
    (SUSPICIOUS_SENDER, "⚠ 差出人アドレスに不正な文字"),
    (IMPERSONATION, "⚠ なりすましの疑い（似たドメイン）"),
    (AUTH_FAIL, "⚠ 送信元認証: 不合格（DMARC）"),
    (AUTH_UNALIGNED, "⚠ 送信元認証: ドメイン不一致"),
    (AUTH_MISSING, "⚠ 送信元認証: 結果なし"),
    (AUTH_PASS, "送信元認証: 合格"),
)


def card_line(flags: Iterable[str]) -> str:
    """One short line for the triage card: the most serious sender-trust finding ("" when none)."""
    present = set(flags)
    return next((text for flag, text in _CARD if flag in present), "")


def has_non_ascii_local_part(address: str) -> bool:
    local = address.rsplit("@", 1)[0]
    return not local.isascii()


def unicode_domain(domain: str) -> str:
    """A domain as people read it: punycode (``xn--``) labels decoded, NFKC, lower case."""
    domain = domain.strip().lower().rstrip(".")
    with contextlib.suppress(idna.IDNAError):  # a broken punycode label is compared as written
        domain = idna.decode(domain) if "xn--" in domain else domain
    return unicodedata.normalize("NFKC", domain).lower()


def skeleton(domain: str) -> str:
    """A domain reduced so that look-alikes become equal: homoglyphs to Latin, then ASCII look-alikes."""
    out: list[str] = []
    for ch in unicode_domain(domain):
        if ch.isascii():
            out.append(ch)
            continue
        found = confusables.is_confusable(ch, preferred_aliases=["latin"], greedy=False)
        latin = ""
        if found:
            for glyph in found[0]["homoglyphs"]:
                if glyph["c"].isascii():
                    latin = glyph["c"].lower()
                    break
        out.append(latin or ch)
    text = "".join(out)
    for seq, repl in _ASCII_CONFUSABLE:
        text = text.replace(seq, repl)
    return text


class DomainWatch:
    """The registered contacts' domains, and whether another domain imitates one of them.

    A domain imitates a registered one when it is not registered itself and either has the same skeleton
    (homoglyphs, IDN, ``rn``/``m``, ``0``/``o``) or is one edit away (an extra, missing, changed or swapped
    character; Damerau/OSA distance 1, run in rapidfuzz's C code over all registered domains).
    """

    def __init__(self, domains: Iterable[str]) -> None:
        self.domains = sorted({d.strip().lower() for d in domains if d and "." in d})
        self._registered = frozenset(self.domains)
        self._skeletons = {skeleton(d): d for d in self.domains}

    def imitated(self, domain: str) -> str | None:
        """The registered domain that ``domain`` looks like, or None."""
        domain = domain.strip().lower()
        if not domain or domain in self._registered:
            return None
        twin = self._skeletons.get(skeleton(domain))
        if twin is not None:
            return twin
        best = process.extractOne(domain, self.domains, scorer=OSA.distance, score_cutoff=1)
        # Very short domains are one edit from many unrelated ones; only flag names with some length.
        if best is not None and len(domain.split(".", 1)[0]) >= 4:
            return str(best[0])
        return None
