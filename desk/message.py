"""The one shape every channel reduces an incoming message to before calling the pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    FORM = "form"  # the portal's inquiry form, delivered as an email
    SLACK = "slack"
    CLI = "cli"


class SenderKind(StrEnum):
    """Who wrote the message; decides how identity can be proven."""

    CUSTOMER_EMAIL = "customer_email"  # identity = From address among the customer's registered emails
    CUSTOMER_SLACK = "customer_slack"  # identity = a Slack channel mapped to one customer in settings
    STAFF = "staff"  # a desk member asking on a customer's behalf (trusted, internal)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message as any adapter hands it to :func:`desk.pipeline.process`.

    ``external_id`` is unique per channel (Message-ID, Slack ``channel:ts``); ``thread_ids`` are the ids this
    message replies to (In-Reply-To/References, Slack ``thread_ts``) so a customer's reply joins its inquiry.
    """

    channel: Channel
    external_id: str
    sender: str  # email address (lower-cased) or Slack user id
    received_at: dt.datetime  # timezone-aware
    text: str
    subject: str = ""
    sender_name: str = ""
    sender_kind: SenderKind = SenderKind.UNKNOWN
    reply_to: str = ""  # where a reply goes (email Reply-To/From, or Slack "channel:thread_ts")
    thread_ids: tuple[str, ...] = ()
    ticket_no: int | None = None  # from a "[#000123]" token in the subject
    customer_hint: str | None = None  # customer_no a mapped Slack channel belongs to
    form: dict[str, str] | None = None  # parsed inquiry-form fields, when the message is a form email
    attachments: tuple[Attachment, ...] = ()
    # "inquiry" reaches the classifier; "auto_reply", "bounce", "own", "unparseable", "oversize" are only
    # recorded (see store.models.InquiryKind) and never answered.
    kind: str = "inquiry"
    raw: bytes | None = field(default=None, repr=False)
    # What the adapter found about the sender and the message (see desk.trust): stored on the inquiry and
    # shown to staff; some (desk.trust.BLOCKS_IDENTITY) mean the sender never counts as proven.
    flags: tuple[str, ...] = ()
