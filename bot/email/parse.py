"""Raw RFC 5322 bytes to :class:`desk.message.IncomingMessage`: pure functions that never raise.

Decisions worth knowing:

* **Form mail and identity.** The portal's inquiry form arrives from the portal's system address; the
  customer's address is whatever someone typed into the form's メールアドレス field, so it proves nothing.
  A form message gets ``channel=form``, ``sender``/``reply_to`` = the typed address (lower-cased) and
  ``sender_kind=UNKNOWN``: the pipeline may answer general questions to that address but never treats it
  as a verified contact, so contract data is only disclosed after staff confirm who wrote. A message is a
  form message when ``intents.form.parse_form`` recognises its body *and* its From is one of
  ``ParseOptions.form_senders``. Anyone can write a mail laid out like the form, so the layout alone never
  decides identity: a form-shaped mail from any other sender (every one while no form sender is configured)
  is plain mail from its From address.
* Plain mail: ``sender`` = lower-cased From address, ``sender_kind=CUSTOMER_EMAIL``, ``reply_to`` =
  Reply-To (first address) or From.
* Header values are stripped of control characters (CR, LF, NUL, …) after decoding, so an encoded newline
  in a display name can never become a header in a reply; addresses that do not look like one address
  are dropped.
* ``external_id`` is the Message-ID, or ``sha256:<hex of the raw bytes>`` when it is missing.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from bot.email.authresults import verdict
from bot.email.charset import decode_text, jp_policy
from bot.email.kinds import classify
from desk import trust
from desk.message import Attachment, Channel, IncomingMessage, SenderKind
from store.models import InquiryKind

FormParser = Callable[[str], "dict[str, str] | None"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9.\-\[\]:]+$")
_MSGID = re.compile(r"<[^<>\s]+>")
_TICKET = re.compile(r"\[#\s*(\d{1,9})\]")
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|table|pre|ul|ol)\s*>")
_BLANK_RUN = re.compile(r"\n{3,}")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True, slots=True)
class ParseOptions:
    desk_address: str = ""  # our own From address; its domain marks "own" mail
    form_senders: tuple[str, ...] = ()  # lower-cased system addresses the portal's form mail comes from
    max_bytes: int = 25 * 1024 * 1024  # above this: stored and flagged "oversize", body not parsed
    max_attachment_bytes: int = 10 * 1024 * 1024  # a larger attachment is flagged for staff
    max_recipients: int = 50  # more To/Cc addresses than this: flagged (a mass mailing, not an inquiry)
    authserv_id: str = ""  # the desk's receiving server's Authentication-Results id ("": not checked)
    form_parser: FormParser | None = None  # default: intents.form.parse_form when it exists


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """The parse result: the message for the pipeline plus the header details the CLI shows."""

    message: IncomingMessage
    from_addr: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    reason: str = ""  # why kind is unparseable/oversize (Japanese, shown to staff)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, file: str) -> dict[str, Any]:
        m = self.message
        out: dict[str, Any] = {
            "file": file,
            "kind": m.kind,
            "from": self.from_addr,
            "reply_to": m.reply_to,
            "subject": m.subject,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "text": m.text,
            "form": m.form,
            "attachments": [attachment_json(a) for a in m.attachments],
        }
        if self.reason:
            out["reason"] = self.reason
        return out


def attachment_json(a: Attachment) -> dict[str, Any]:
    return {"filename": a.filename, "content_type": a.content_type, "size": a.size}


def parse_email(
    raw: bytes,
    *,
    options: ParseOptions | None = None,
    internaldate: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ParsedEmail:
    """Parse one message. Never raises: anything unexpected gives ``kind="unparseable"`` with a reason."""
    opts = options or ParseOptions()
    now = now or dt.datetime.now(dt.UTC)
    try:
        if len(raw) > opts.max_bytes:
            return _parse_oversize(raw, opts, internaldate, now)
        msg = email.message_from_bytes(raw, policy=jp_policy)
        assert isinstance(msg, EmailMessage)
        return _scrubbed(_parse_message(raw, msg, opts, internaldate, now))
    except Exception as exc:  # the stdlib parser has many edge cases; nothing may stop intake
        return _scrubbed(
            _unparseable(raw, internaldate, now, f"解析できませんでした（{type(exc).__name__}）")
        )


def _unescape(value: str) -> str:
    """Text without the surrogate escapes the stdlib uses for raw 8-bit header bytes (which no database
    driver can encode: a UnicodeEncodeError would stop the message from being stored)."""
    if not _SURROGATE.search(value):
        return value
    return decode_text(value.encode("utf-8", "surrogateescape"), None)


def _scrubbed(parsed: ParsedEmail) -> ParsedEmail:
    """Every text the pipeline stores, free of surrogate escapes, whatever header they came from."""
    m = parsed.message
    message = replace(
        m,
        external_id=_unescape(m.external_id),
        sender=_unescape(m.sender),
        reply_to=_unescape(m.reply_to),
        subject=_unescape(m.subject),
        sender_name=_unescape(m.sender_name),
        text=_unescape(m.text),
        thread_ids=tuple(_unescape(t) for t in m.thread_ids),
    )
    return replace(
        parsed,
        message=message,
        from_addr=_unescape(parsed.from_addr),
        message_id=_unescape(parsed.message_id),
        in_reply_to=_unescape(parsed.in_reply_to),
        references=tuple(_unescape(r) for r in parsed.references),
    )


def _parse_message(
    raw: bytes, msg: EmailMessage, opts: ParseOptions, internaldate: dt.datetime | None, now: dt.datetime
) -> ParsedEmail:
    heads = _Headers.read(msg)
    text = clean_text(_body_text(msg))
    form = _form(text, heads.from_addr, opts)
    if not heads.from_addr:
        return _unparseable(raw, internaldate, now, "差出人（From）のアドレスを読み取れません", heads, msg)
    kind = classify(
        msg,
        from_addr=heads.from_addr,
        subject=heads.subject,
        desk_address=opts.desk_address,
        is_form=form is not None,
    )
    attachments = _attachments(msg)
    message = _incoming(raw, heads, internaldate or heads.date or now, text, form, kind, attachments)
    flags = _trust_flags(msg, heads, opts, attachments)
    if flags:
        message = replace(message, flags=flags)
    return ParsedEmail(message, heads.from_addr, heads.message_id, heads.in_reply_to, heads.references)


def _trust_flags(
    msg: EmailMessage, heads: _Headers, opts: ParseOptions, attachments: tuple[Attachment, ...]
) -> tuple[str, ...]:
    """What staff must know about the sender and the message's size (see desk.trust)."""
    flags: list[str] = []
    if trust.has_non_ascii_local_part(heads.from_addr):
        flags.append(trust.SUSPICIOUS_SENDER)
    auth = verdict(msg, authserv_id=opts.authserv_id, from_addr=heads.from_addr)
    if auth is not None:
        flags.append(auth)
    if any(a.size > opts.max_attachment_bytes for a in attachments):
        flags.append(trust.OVERSIZE_ATTACHMENT)
    recipients = getaddresses([_header(msg, "to"), _header(msg, "cc")])
    if len([a for _, a in recipients if a]) > opts.max_recipients:
        flags.append(trust.TOO_MANY_RECIPIENTS)
    return tuple(flags)


def _incoming(
    raw: bytes,
    heads: _Headers,
    received_at: dt.datetime,
    text: str,
    form: dict[str, str] | None,
    kind: str,
    attachments: tuple[Attachment, ...],
) -> IncomingMessage:
    channel, sender, sender_kind, name, reply_to = (
        Channel.EMAIL,
        heads.from_addr,
        SenderKind.CUSTOMER_EMAIL,
        heads.from_name,
        heads.reply_to or heads.from_addr,
    )
    if form is not None:
        typed = clean_address(form.get("email", ""))
        channel, sender, sender_kind, reply_to = Channel.FORM, typed, SenderKind.UNKNOWN, typed
        name = clean_header(form.get("name", "")) or name
    return IncomingMessage(
        channel=channel,
        external_id=heads.message_id or external_id_for(raw),
        sender=sender,
        received_at=_aware(received_at),
        text=text,
        subject=heads.subject,
        sender_name=name,
        sender_kind=sender_kind,
        reply_to=reply_to,
        thread_ids=heads.thread_ids,
        ticket_no=ticket_number(heads.subject),
        form=form,
        attachments=attachments,
        kind=kind,
        raw=raw,
    )


def parse_oversize_header(
    header: bytes,
    *,
    size: int,
    options: ParseOptions | None = None,
    internaldate: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ParsedEmail:
    """A message the server says is over the size limit, from its header alone (never raises)."""
    opts = options or ParseOptions()
    now = now or dt.datetime.now(dt.UTC)
    try:
        return _scrubbed(_parse_oversize(header, opts, internaldate, now, size=size, body_kept=False))
    except Exception as exc:
        return _scrubbed(
            _unparseable(header, internaldate, now, f"解析できませんでした（{type(exc).__name__}）")
        )


def _parse_oversize(
    raw: bytes,
    opts: ParseOptions,
    internaldate: dt.datetime | None,
    now: dt.datetime,
    *,
    size: int | None = None,
    body_kept: bool = True,
) -> ParsedEmail:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head = raw[: end if 0 <= end < 256 * 1024 else 256 * 1024]
    msg = BytesHeaderParser(policy=jp_policy).parsebytes(head)
    assert isinstance(msg, EmailMessage)
    heads = _Headers.read(msg)
    size = len(raw) if size is None else size
    reason = f"サイズ上限（{opts.max_bytes:,} バイト）を超えたため本文を解析していません（{size:,} バイト）"
    if not body_kept:
        reason += "。本文と添付ファイルはダウンロードせず、メールサーバーの処理済みフォルダに残しています"
    message = _incoming(raw, heads, internaldate or heads.date or now, "", None, InquiryKind.OVERSIZE, ())
    if trust.has_non_ascii_local_part(heads.from_addr):
        message = replace(message, flags=(trust.SUSPICIOUS_SENDER,))
    return ParsedEmail(
        message, heads.from_addr, heads.message_id, heads.in_reply_to, heads.references, reason=reason
    )


def _unparseable(
    raw: bytes,
    internaldate: dt.datetime | None,
    now: dt.datetime,
    reason: str,
    heads: _Headers | None = None,
    msg: EmailMessage | None = None,
) -> ParsedEmail:
    h = heads or _Headers()
    text = ""
    if msg is not None:
        try:
            text = clean_text(_body_text(msg))
        except Exception:
            text = ""
    message = IncomingMessage(
        channel=Channel.EMAIL,
        external_id=h.message_id or external_id_for(raw),
        sender="",
        received_at=_aware(internaldate or h.date or now),
        text=text,
        subject=h.subject,
        sender_name=h.from_name,
        sender_kind=SenderKind.UNKNOWN,
        reply_to="",
        thread_ids=h.thread_ids,
        kind=InquiryKind.UNPARSEABLE,
        raw=raw,
    )
    return ParsedEmail(message, "", h.message_id, h.in_reply_to, h.references, reason=reason)


@dataclass(slots=True)
class _Headers:
    from_addr: str = ""
    from_name: str = ""
    reply_to: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    date: dt.datetime | None = None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        ids = [*self.references, *([self.in_reply_to] if self.in_reply_to else [])]
        return tuple(dict.fromkeys(ids))

    @classmethod
    def read(cls, msg: Message) -> _Headers:
        name, addr = _first_address(msg, "from")
        if not addr:
            name2, addr = _first_address(msg, "sender")
            name = name or name2
        _, reply_to = _first_address(msg, "reply-to")
        ids = _MSGID.findall(_header(msg, "message-id"))
        in_reply_to = _MSGID.findall(_header(msg, "in-reply-to"))
        return cls(
            from_addr=addr,
            from_name=name,
            reply_to=reply_to,
            subject=clean_header(_header(msg, "subject")),
            message_id=ids[0][:512] if ids else "",
            in_reply_to=in_reply_to[0][:512] if in_reply_to else "",
            references=tuple(r[:512] for r in _MSGID.findall(_header(msg, "references")))[-50:],
            date=_date(_header(msg, "date")),
        )


def _header(msg: Message, name: str) -> str:
    """A header's decoded value; on a header the stdlib cannot parse, its raw text."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:
        for key, raw_value in msg.raw_items():
            if key.lower() == name:
                return str(raw_value)
        return ""


def _first_address(msg: Message, name: str) -> tuple[str, str]:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses is not None:
            pairs = [(a.display_name, a.addr_spec) for a in addresses]
        else:
            pairs = getaddresses([_header(msg, name)]) if header is not None else []
    except Exception:
        pairs = getaddresses([_header(msg, name)])
    for display, addr in pairs:
        cleaned = clean_address(_address_text(addr))
        if cleaned:
            return clean_header(display), cleaned
    return "", ""


def _address_text(addr: str) -> str:
    """An address whose raw 8-bit bytes (kept by the stdlib as surrogate escapes) are decoded: the local
    part stays as written (and is flagged by the caller), an 8-bit domain becomes its IDNA (punycode) form."""
    if not _SURROGATE.search(addr or ""):
        return addr
    local, _, domain = _unescape(addr).rpartition("@")
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return f"{local}@{domain}" if local else domain


def clean_address(value: str) -> str:
    """One lower-cased address, or "" when the value is not exactly one plausible address."""
    addr = (value or "").strip().lower()
    if len(addr) > 254 or not _ADDRESS.match(addr) or _HEADER_CONTROL.search(addr):
        return ""
    return addr


def clean_header(value: str) -> str:
    """A header value safe to show and to reuse in a reply: no control characters, one line.

    Raw 8-bit header bytes (which the stdlib keeps as surrogate escapes) are decoded like a body."""
    value = value or ""
    if _SURROGATE.search(value):
        value = decode_text(value.encode("utf-8", "surrogateescape"), None)
    return _SPACES.sub(" ", _HEADER_CONTROL.sub(" ", value)).strip(" ")[:1000]


def clean_text(value: str) -> str:
    """Body text with LF line ends only, no NULs or other control characters (tabs kept)."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def ticket_number(subject: str) -> int | None:
    m = _TICKET.search(subject or "")
    return int(m.group(1)) if m else None


def external_id_for(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return _aware(parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _body_text(msg: EmailMessage) -> str:
    text = _part_text(msg)
    for part in _forwarded(msg):
        inner = part.get_payload(0) if part.is_multipart() else None
        if isinstance(inner, EmailMessage):
            text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + _forward_block(inner)
    return text


def _part_text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if body.get_content_subtype() == "html" else content


def _forwarded(msg: EmailMessage) -> list[EmailMessage]:
    if not msg.is_multipart():
        return []
    return [
        p
        for p in msg.iter_parts()
        if isinstance(p, EmailMessage) and p.get_content_type() == "message/rfc822"
    ]


def _forward_block(inner: EmailMessage) -> str:
    heads = _Headers.read(inner)
    lines = [
        "---------- 転送されたメッセージ ----------",
        f"From: {heads.from_name} <{heads.from_addr}>" if heads.from_name else f"From: {heads.from_addr}",
        f"Date: {clean_header(_header(inner, 'date'))}",
        f"Subject: {heads.subject}",
        "",
        _part_text(inner),
    ]
    return "\n".join(lines)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: block ends become line breaks, scripts and styles are dropped."""
    tree = LexborHTMLParser(_BLOCK_END.sub(lambda m: m.group(0) + "\n", html))
    tree.strip_tags(["script", "style", "head", "title"])
    root = tree.body or tree.root
    text = root.text(separator="") if root is not None else ""
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip() + "\n"


def _attachments(msg: EmailMessage) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart() or not isinstance(part, EmailMessage):
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment(clean_header(filename or "")[:255], part.get_content_type(), size))
    return tuple(found)


def _form(text: str, from_addr: str, opts: ParseOptions) -> dict[str, str] | None:
    if from_addr not in opts.form_senders:
        return None
    parser = opts.form_parser or _default_form_parser()
    if parser is None or not text.strip():
        return None
    try:
        form = parser(text)
    except Exception:  # a parser bug must not lose the message; it is then a plain email
        return None
    if not form:
        return None
    return {str(k): clean_text(str(v)) for k, v in form.items()}


def _default_form_parser() -> FormParser | None:
    try:
        from intents.form import parse_form
    except ImportError:
        return None
    return parse_form
