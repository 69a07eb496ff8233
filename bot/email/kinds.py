"""What kind of mail this is, before anyone tries to understand it: an inquiry, an auto-reply, a bounce
or the desk's own mail. Only ``inquiry`` is ever answered, so every rule here errs on the side of *not*
classifying a customer's question away (e.g. a bare 不在 in a subject is a customer topic, not an
out-of-office notice)."""

from __future__ import annotations

import re
from email.message import EmailMessage

from store.models import InquiryKind

_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTO_SUBJECT = re.compile(
    r"不在(?:通知|連絡|のお知らせ|のご連絡|にしております|にします|のため)|[【\[(（]\s*不在\s*[】\])）]|^\s*不在[\s:：]"
    r"|自動応答|自動返信|自動送信メール"
    r"|out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto[\s-]?reply|autoreply|^\s*auto:",
    re.IGNORECASE,
)
_BOUNCE_LOCALPARTS = frozenset({"mailer-daemon", "postmaster"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery\s+status\s+notification|returned\s+mail|delivery\s+failure|mail\s+delivery\s+failed"
    r"|配信不能|配送不能|配信エラー|宛先不明",
    re.IGNORECASE,
)


def is_bounce(msg: EmailMessage, from_addr: str, subject: str) -> bool:
    """A delivery status notification: a multipart/report, or a message from MAILER-DAEMON/postmaster,
    or a typical bounce subject with the null return path ``<>``."""
    if msg.get_content_type() == "multipart/report":
        return True
    if any(part.get_content_type() == "message/delivery-status" for part in msg.walk()):
        return True
    if from_addr.split("@", 1)[0].lower() in _BOUNCE_LOCALPARTS:
        return True
    return_path = str(msg.get("return-path", "") or "").strip()
    return return_path in ("<>", "") and bool(_BOUNCE_SUBJECT.search(subject)) and "return-path" in msg


def is_auto_reply(msg: EmailMessage, subject: str) -> bool:
    """RFC 3834 ``Auto-Submitted`` (anything but ``no``), ``Precedence``, the vendor headers, or an
    out-of-office subject."""
    auto = _header(msg, "auto-submitted").split(";", 1)[0].strip().lower()
    if auto and auto != "no":
        return True
    if _header(msg, "precedence").strip().lower() in _AUTO_PRECEDENCE:
        return True
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress"):
        if _header(msg, name).strip():
            return True
    return bool(_AUTO_SUBJECT.search(subject))


def is_own(from_addr: str, desk_address: str) -> bool:
    """Mail from the desk's address or domain (our own replies and acknowledgements seen again)."""
    if not from_addr or not desk_address:
        return False
    domain = desk_address.rsplit("@", 1)[-1].lower()
    return from_addr == desk_address.lower() or from_addr.rsplit("@", 1)[-1] == domain


def classify(msg: EmailMessage, *, from_addr: str, subject: str, desk_address: str, is_form: bool) -> str:
    """The InquiryKind value of a parsed message (oversize/unparseable are decided by the parser)."""
    if is_bounce(msg, from_addr, subject):
        return InquiryKind.BOUNCE
    # The portal sends form mail from a system address (possibly in our domain) and may mark it as
    # machine-generated; the person behind it still expects an answer.
    if is_form:
        return InquiryKind.INQUIRY
    if is_own(from_addr, desk_address):
        return InquiryKind.OWN
    if is_auto_reply(msg, subject):
        return InquiryKind.AUTO_REPLY
    return InquiryKind.INQUIRY


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop classification
        return "?"
    return "" if value is None else str(value)
