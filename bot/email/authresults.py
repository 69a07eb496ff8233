"""Sender authentication from the desk's own receiving server (RFC 8601 ``Authentication-Results``).

Which header counts: only an ``Authentication-Results`` whose authserv-id is the configured one
(``imap.authserv_id``) *and* that sits in the top block of trace headers the receiving servers prepended
(Received, Authentication-Results, ARC-*, Return-Path, Delivered-To, …). Headers with any other id, and any
header below the first header the sender wrote (From, Subject, Message-ID, …), are ignored; of the headers that
remain the topmost counts, because our server prepends its result above everything the sender sent. The MTA
should also strip incoming headers carrying its id (RFC 8601 §5; OpenDMARC and rspamd do).

The verdict, as one flag of :mod:`desk.trust`:

* ``sender_auth_fail`` — ``dmarc=fail``;
* ``sender_auth_pass`` — ``dmarc=pass`` for the From domain, or (DMARC not failed) an SPF or DKIM pass whose
  domain has the From domain's organisational domain (relaxed alignment, RFC 7489 §3.1);
* ``sender_auth_unaligned`` — results present, but no aligned pass;
* ``sender_auth_missing`` — no header from our server.

With no authserv-id configured nothing is checked and no flag is set (development default; documented in
docs/security.md).
"""

from __future__ import annotations

import re
from email.message import Message
from functools import lru_cache

import authres
from publicsuffixlist import PublicSuffixList

from desk import trust

_TRACE = re.compile(
    r"^(received|authentication-results|arc-[a-z-]+|return-path|delivered-to|x-original-to|received-spf"
    r"|x-spam[a-z-]*|x-virus[a-z-]*|x-envelope-[a-z-]+|x-rspamd[a-z-]*|x-originating-ip)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # the list ships with the package: no download


def org_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    return _psl().privatesuffix(domain) or domain


def _domain_of(value: str) -> str:
    return value.rsplit("@", 1)[-1].strip().strip("<>").lower()


def our_header(msg: Message, authserv_id: str) -> str | None:
    """The raw value of the Authentication-Results our server added, or None."""
    want = authserv_id.strip().lower()
    for name, value in msg.raw_items():
        if not _TRACE.match(name):
            return None  # the sender's own headers start here: nothing below counts
        if name.lower() != "authentication-results":
            continue
        head = str(value).split(";", 1)[0].strip().split()
        if head and head[0].lower() == want:
            return str(value)
    return None


def verdict(msg: Message, *, authserv_id: str, from_addr: str) -> str | None:
    """The desk.trust flag for this message's sender authentication; None when not configured."""
    if not authserv_id.strip():
        return None
    raw = our_header(msg, authserv_id)
    if raw is None:
        return trust.AUTH_MISSING
    try:
        parsed = authres.AuthenticationResultsHeader.parse_value(" ".join(raw.split()))
    except Exception:  # a header our parser cannot read proves nothing
        return trust.AUTH_UNALIGNED
    from_domain = _domain_of(from_addr)
    from_org = org_domain(from_domain)
    aligned_pass = False
    for result in parsed.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        props = {f"{p.type}.{p.name}".lower(): str(p.value) for p in (result.properties or [])}
        if method == "dmarc":
            header_from = _domain_of(props.get("header.from", from_domain))
            if outcome == "fail":
                return trust.AUTH_FAIL
            if outcome == "pass" and header_from == from_domain:
                aligned_pass = True
        elif method in ("dkim", "spf") and outcome == "pass":
            key = "header.d" if method == "dkim" else "smtp.mailfrom"
            domain = _domain_of(props.get(key, "") or props.get("header.i", ""))
            if domain and org_domain(domain) == from_org:
                aligned_pass = True
    return trust.AUTH_PASS if aligned_pass else trust.AUTH_UNALIGNED
