"""Building outgoing mail: replies threaded under the customer's message, and the 受付 acknowledgement."""

from __future__ import annotations

import datetime as dt
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

import jinja2

import templates
from bot.email.parse import clean_address, clean_header
from desk.errors import PermanentError

_TEMPLATES = Path(templates.__file__).resolve().parent
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_TOKEN = re.compile(r"\s*\[#\s*\d{1,9}\]\s*")


@dataclass(frozen=True, slots=True)
class Envelope:
    """Everything a reply or acknowledgement needs, already decided (no store access here)."""

    recipient: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_submitted: bool = False  # acknowledgements: RFC 3834 "auto-replied"


def ticket_token(inquiry_id: int) -> str:
    return f"[#{inquiry_id:06d}]"


def reply_subject(original: str, inquiry_id: int) -> str:
    """``Re: [#000123] original`` (earlier Re:/Fwd: prefixes and tokens removed, one line)."""
    base = _TOKEN.sub(" ", clean_header(original)).strip()
    base = _REPLY_PREFIX.sub("", base).strip() or "お問い合わせの件"
    return f"Re: {ticket_token(inquiry_id)} {base}"


def new_message_id(desk_address: str) -> str:
    domain = desk_address.rsplit("@", 1)[-1] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def checked_recipient(value: str) -> str:
    """Exactly one plausible address, or :class:`PermanentError` (never "fix" a recipient silently)."""
    if any(c in value for c in "\r\n,;") or not clean_address(value):
        raise PermanentError("宛先メールアドレスが不正です（改行・複数宛先・形式誤り）。送信を中止しました。")
    return clean_address(value)


def render_ack(*, ticket: str, name: str, subject: str, desk: dict[str, str], language: str = "ja") -> str:
    """The acknowledgement text; ``language="en"`` uses ``templates/en/email/ack.j2`` (``desk`` then carries
    the desk's English names)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=False,  # plain-text mail
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    name_of = "en/email/ack.j2" if language == "en" else "email/ack.j2"
    return env.get_template(name_of).render(ticket=ticket, name=name, subject=subject, **desk)


def build(
    envelope: Envelope,
    *,
    from_address: str,
    from_name: str,
    charset: str = "utf-8",
    now: dt.datetime | None = None,
) -> Message:
    """The MIME message. ISO-2022-JP is used only when the whole text fits plain ISO-2022-JP (Python
    cannot encode ①, ～ and other CP932 extensions to it); otherwise UTF-8."""
    recipient = checked_recipient(envelope.recipient)
    if charset.lower() == "iso-2022-jp" and _fits_jis(envelope.subject, envelope.body, from_name):
        msg: Message = _jis_message(envelope, from_address, from_name)
    else:
        msg = _utf8_message(envelope, from_address, from_name)
    msg["To"] = recipient
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = envelope.message_id
    if envelope.in_reply_to:
        msg["In-Reply-To"] = envelope.in_reply_to
    if envelope.references:
        msg["References"] = " ".join(envelope.references)
    if envelope.auto_submitted:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    return msg


def _utf8_message(envelope: Envelope, from_address: str, from_name: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    local, _, domain = from_address.partition("@")
    msg["From"] = Address(clean_header(from_name), local, domain)
    msg["Subject"] = clean_header(envelope.subject)
    msg.set_content(envelope.body, charset="utf-8")
    return msg


def _jis_message(envelope: Envelope, from_address: str, from_name: str) -> Message:
    msg = MIMEText(envelope.body, "plain", "iso-2022-jp")
    msg["From"] = formataddr((str(Header(clean_header(from_name), "iso-2022-jp")), from_address))
    msg["Subject"] = Header(clean_header(envelope.subject), "iso-2022-jp").encode()
    return msg


def _fits_jis(*texts: str) -> bool:
    try:
        for text in texts:
            text.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    return True
