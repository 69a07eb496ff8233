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
from collections import defaultdict
from collections.abc import Iterable

import idna
from confusable_homoglyphs import confusables
from publicsuffixlist import PublicSuffixList
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


def _psl() -> PublicSuffixList:
    global _PSL
    if _PSL is None:
        _PSL = PublicSuffixList()  # the list ships with the package: no download
    return _PSL


_PSL: PublicSuffixList | None = None


def split_domain(domain: str) -> tuple[str, str]:
    """(name, public suffix) of a domain: "fujimi-seiko.co.jp" → ("fujimi-seiko", "co.jp"),
    "mail.fujimi-seiko.co.jp" → ("mail.fujimi-seiko", "co.jp")."""
    domain = domain.strip().lower().rstrip(".")
    suffix = _psl().publicsuffix(domain) or ""
    label = domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain
    return label, suffix


def _tail(name: str) -> str:
    """The last three characters of a name's first DNS label ("hokuto-foods.example" → "ods"): the last
    three of the whole name would be shared by every "<company>.example" and index nothing."""
    first = name.split(".", 1)[0]
    return first[-3:] if len(first) >= 6 else name[-3:]


class DomainWatch:
    """The registered contacts' domains, and whether another domain imitates one of them.

    Compared as name + public suffix (``fujimi-seiko`` + ``co.jp``). A domain imitates a registered one
    when it is not registered itself and

    * it has the same skeleton (homoglyphs, IDN, ``rn``/``m``, ``0``/``o``), or
    * it has the same name under another suffix (``fujimi-seiko.com`` for ``fujimi-seiko.co.jp``), or
    * its name is one edit away (an extra, missing, changed or two swapped characters; OSA distance 1) from a
      registered name of at least 4 characters.

    One edit leaves either the first three characters or the last three of the first label of a name of 8 or
    more intact, so the candidates come from two small indexes instead of a scan of every domain;
    names of up to 8 characters are also kept by length and first / last character (one edit keeps one).
    """

    def __init__(self, domains: Iterable[str]) -> None:
        self._orgs: dict[str, tuple[str, str]] = {}
        for d in domains:
            d = d.strip().lower()
            if d and "." in d:
                label, suffix = split_domain(d)
                self._orgs[f"{label}.{suffix}" if suffix else label] = (label, suffix)
        self._skeletons = {skeleton(org): org for org in self._orgs}
        self._by_label: dict[str, list[str]] = defaultdict(list)
        self._head: dict[str, list[str]] = defaultdict(list)
        self._tail: dict[str, list[str]] = defaultdict(list)
        self._short: dict[tuple[int, str], list[str]] = defaultdict(list)
        for org, (label, _) in self._orgs.items():
            self._by_label[label].append(org)
            if len(label) >= 8:
                self._head[label[:3]].append(label)
                self._tail[_tail(label)].append(label)
            if len(label) <= 8:  # one edit keeps the first or the last character
                self._short[(len(label), "^" + label[0])].append(label)
                self._short[(len(label), label[-1] + "$")].append(label)

    def imitated(self, domain: str) -> str | None:
        """The registered domain that ``domain`` looks like, or None."""
        if not domain.strip():
            return None
        label, suffix = split_domain(domain)
        org = f"{label}.{suffix}" if suffix else label
        if org in self._orgs:
            return None
        twin = self._skeletons.get(skeleton(org))
        if twin is not None:
            return twin
        if label in self._by_label:  # the same name under another suffix
            return self._by_label[label][0]
        if len(label) < 4:
            return None  # very short names are one edit from many unrelated ones
        candidates: set[str] = set()
        if len(label) >= 8:
            candidates.update(self._head.get(label[:3], ()), self._tail.get(_tail(label), ()))
        if len(label) <= 9:
            for n in (len(label) - 1, len(label), len(label) + 1):
                candidates.update(self._short.get((n, "^" + label[0]), ()))
                candidates.update(self._short.get((n, label[-1] + "$"), ()))
        best = (
            process.extractOne(label, candidates, scorer=OSA.distance, score_cutoff=1) if candidates else None
        )
        if best is None:
            return None
        return self._by_label[str(best[0])][0]
