"""SQLModel tables. Column names are English; the glossary in the README maps them to the Japanese terms.

Money is integer yen; unit prices and kW are exact decimals (``Numeric``), never floats, because the
penalty and overage rules round once, at the end, and binary floats lose a yen.
Enumerations are stored as short strings (not database enums) so that adding a value needs no migration.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Numeric, UniqueConstraint, event
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_list() -> list[Any]:
    """``default_factory=list`` costs ~0.3 ms per row built: pydantic inspects the factory's signature on
    every construction, and ``inspect.signature`` of a builtin is slow. A plain function inspects fast."""
    return []


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes, stored as UTC on every backend and read back aware.

    SQLite has no time zone type: without this, a value written with +09:00 comes back naive and is later
    mistaken for UTC. Naive values are refused on the way in, so no caller can store an ambiguous time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware values only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _tz() -> Any:
    return Column(UtcDateTime(), nullable=True)


class GridArea(StrEnum):
    """The ten grid areas; the value is the two-digit code that starts a supply point id."""

    HOKKAIDO = "01"
    TOHOKU = "02"
    TOKYO = "03"
    CHUBU = "04"
    HOKURIKU = "05"
    KANSAI = "06"
    CHUGOKU = "07"
    SHIKOKU = "08"
    KYUSHU = "09"
    OKINAWA = "10"


class Voltage(StrEnum):
    HIGH = "high"  # 高圧
    EXTRA_HIGH = "extra_high"  # 特別高圧


class Scheme(StrEnum):
    JITSURYO = "jitsuryo"  # 実量制 (under 500 kW): contract power follows 12 months of max demand
    KYOGI = "kyogi"  # 協議制 (500 kW and over): contract power agreed, overage charged


class SupplyMethod(StrEnum):
    FULL = "full"  # 全量供給
    PARTIAL = "partial"  # 部分供給 (together with the local utility)


class PaymentMethod(StrEnum):
    DEBIT = "debit"  # 口座引落
    TRANSFER = "transfer"  # 銀行振込


class ContractStatus(StrEnum):
    ACTIVE = "active"
    CANCELLATION_REQUESTED = "cancellation_requested"
    ENDED = "ended"


class Customer(SQLModel, table=True):
    """A corporate customer (法人)."""

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(max_length=8, unique=True, index=True)  # お客さま番号 = portal login id
    name: str = Field(max_length=200)
    name_kana: str = Field(default="", max_length=200)
    # Name with legal-form markers, width and spacing removed; indexed for exact and prefix lookups.
    name_key: str = Field(default="", max_length=200, index=True)
    phone: str = Field(default="", max_length=32)
    phone_digits: str = Field(default="", max_length=20, index=True)
    postal_code: str = Field(default="", max_length=8)
    address: str = Field(default="", max_length=300)
    billing_address: str = Field(default="", max_length=300)  # representative billing address (代表送付先)
    billing_addressee: str = Field(default="", max_length=200)
    contact_person: str = Field(default="", max_length=100)


class ContactEmail(SQLModel, table=True):
    """A registered contact address of a customer. Only these prove a sender's identity."""

    __tablename__ = "contact_email"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    email: str = Field(max_length=254, index=True)  # stored lower-cased
    person: str = Field(default="", max_length=100)


class Contract(SQLModel, table=True):
    """One supply contract per facility (需要場所)."""

    id: int | None = Field(default=None, primary_key=True)
    contract_no: str = Field(max_length=10, unique=True, index=True)  # 契約番号, "EG" + 8 digits
    supply_point_id: str = Field(max_length=22, unique=True, index=True)  # 供給地点特定番号
    customer_id: int = Field(foreign_key="customer.id", index=True)
    facility_name: str = Field(max_length=200)
    facility_address: str = Field(default="", max_length=300)
    grid_area: str = Field(max_length=2)  # GridArea value
    voltage: str = Field(default=Voltage.HIGH, max_length=16)
    scheme: str = Field(default=Scheme.JITSURYO, max_length=16)
    contract_power_kw: Decimal = Field(sa_column=Column(Numeric(10, 1), nullable=False))
    basic_unit_price: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))  # 円/kW/月
    energy_unit_price: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))  # 円/kWh
    energy_unit_price_summer: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 2)))
    power_factor: int = Field(default=100)  # percent
    supply_method: str = Field(default=SupplyMethod.FULL, max_length=16)
    supply_start: dt.date
    applied_on: dt.date  # 契約適用日: start, price change, power increase, move to 協議制
    last_power_increase_on: dt.date | None = None
    metering_day: int = Field(ge=1, le=31)  # 計量日
    payment_method: str = Field(default=PaymentMethod.DEBIT, max_length=16)
    billing_address: str = Field(default="", max_length=300)
    billing_addressee: str = Field(default="", max_length=200)
    consolidated_group: str | None = Field(default=None, max_length=32, index=True)  # おまとめ請求
    status: str = Field(default=ContractStatus.ACTIVE, max_length=32)


class MonthlyUsage(SQLModel, table=True):
    """One month of a contract's metered usage and its bill components (yen, each rounded down)."""

    __tablename__ = "monthly_usage"
    __table_args__ = (UniqueConstraint("contract_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    month: dt.date  # first day of the usage month
    kwh: int
    max_demand_kw: Decimal = Field(sa_column=Column(Numeric(10, 1), nullable=False))
    power_factor: int = 100
    contract_power_kw: Decimal = Field(sa_column=Column(Numeric(10, 1), nullable=False))
    fuel_adjustment_unit: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))  # 円/kWh
    renewable_unit: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))  # 円/kWh
    basic_charge: int
    energy_charge: int
    fuel_adjustment: int
    renewable_surcharge: int
    island_adjustment: int = 0
    total: int


class Invoice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "billing_month"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    billing_month: dt.date  # first day of the 請求年月
    amount: int
    due_date: dt.date
    paid: bool = False


class InquiryKind(StrEnum):
    INQUIRY = "inquiry"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OWN = "own"  # the desk's own outgoing mail seen again
    UNPARSEABLE = "unparseable"
    OVERSIZE = "oversize"


class InquiryStatus(StrEnum):
    RECEIVED = "received"  # stored, not yet drafted
    DRAFTED = "drafted"  # a draft waits for staff
    APPROVED = "approved"  # queued for sending
    ANSWERED = "answered"  # reply sent / posted
    REJECTED = "rejected"  # staff decided not to send the draft
    IGNORED = "ignored"  # auto-replies, bounces, own mail: recorded, never answered
    FAILED = "failed"  # the pipeline could not process it; staff must look


# Rows store.settle has still to fill: the partial indexes below and settle's queries share these texts, so
# the planner can always match the query to its index.
UNSETTLED_INQUIRY = (
    "(first_response_at IS NOT NULL AND first_response_minutes IS NULL)"
    " OR (resolved_at IS NOT NULL AND resolution_minutes IS NULL)"
)
UNSETTLED_DRAFT = "edited IS NULL"
# Must list store.reports.OPEN_STATUSES: the queue measure reads the waiting inquiries from this index alone.
_OPEN_INQUIRY = "kind = 'inquiry' AND status IN ('received', 'drafted', 'failed')"


class Inquiry(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inquiry_status_received", "status", "received_at"),
        # Managers' reports read a date range of inquiries from this index alone (index-only scan).
        Index(
            "ix_inquiry_kind_received",
            "kind",
            "received_at",
            postgresql_include=[
                "primary_intent",
                "channel",
                "identity_verified",
                "first_response_at",
                "resolved_at",
                "first_response_minutes",
                "resolution_minutes",
                "id",
            ],
        ),
        Index(
            "ix_inquiry_open",
            "assignee",
            "received_at",
            postgresql_where=sql_text(_OPEN_INQUIRY),
            sqlite_where=sql_text(_OPEN_INQUIRY),
        ),
        # The few answered inquiries whose durations store.settle has not computed yet.
        Index(
            "ix_inquiry_unsettled",
            "id",
            postgresql_where=sql_text(UNSETTLED_INQUIRY),
            sqlite_where=sql_text(UNSETTLED_INQUIRY),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=512)
    kind: str = Field(default=InquiryKind.INQUIRY, max_length=16)
    status: str = Field(default=InquiryStatus.RECEIVED, max_length=16, index=True)
    sender: str = Field(default="", max_length=320)
    sender_name: str = Field(default="", max_length=200)
    sender_kind: str = Field(default="unknown", max_length=32)
    reply_to: str = Field(default="", max_length=512)
    subject: str = Field(default="", max_length=1000)
    text: str = ""  # full text as received (quotes, signature), for staff
    received_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    intents: list[dict[str, Any]] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    primary_intent: str = Field(default="other", max_length=32, index=True)
    entities: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the reply is written in ("ja" | "en"), and why the primary intent is "other" (intents.model
    # OTHER_REASONS: sales, phishing, thanks, complaint, misdirected, unclear); None for a procedure.
    language: str = Field(default="ja", max_length=8)
    other_reason: str | None = Field(default=None, max_length=16)
    form: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    attachments: list[dict[str, Any]] = Field(
        default_factory=new_list, sa_column=Column(JSON, nullable=False)
    )
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    contract_ids: list[int] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    customer_hint: str | None = Field(default=None, max_length=8)  # customer_no of a mapped Slack channel
    identity_verified: bool = False
    urgent: bool = False
    flags: list[str] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    thread_ids: list[str] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    assignee: str | None = Field(default=None, max_length=64)
    slack_card: str | None = Field(default=None, max_length=64)  # "channel:ts" of the triage card
    error: str | None = None
    first_response_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    resolved_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    # Whole business minutes from received_at to the two instants above, under the desk hours in
    # ReportBasis. Derived data for the managers' reports: store.settle fills them, and changing an instant
    # clears its duration (the events at the end of this module), so they never disagree with the instants.
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))


class InquiryMessage(SQLModel, table=True):
    """Every message of an inquiry's thread, the first one included; raw bytes kept so nothing is lost."""

    __tablename__ = "inquiry_message"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = Field(foreign_key="inquiry.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=512)
    thread_key: str = Field(default="", max_length=512, index=True)
    direction: str = Field(default="in", max_length=3)  # "in" from the customer, "out" from the desk
    sender: str = Field(default="", max_length=320)
    received_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    text: str = ""
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class DraftStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SENT = "sent"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # re-drafted after staff changed the intent


class Draft(SQLModel, table=True):
    __table_args__ = (
        Index("ix_draft_inquiry_id", "inquiry_id", postgresql_include=["status", "intents"]),
        # Staff corrections read the texts of edited drafts only; they have their own small partial index.
        Index(
            "ix_draft_edited",
            "inquiry_id",
            postgresql_where=sql_text("edited_text IS NOT NULL"),
            sqlite_where=sql_text("edited_text IS NOT NULL"),
        ),
        # Draft-quality counts per intent and outcome over a range come from this index alone.
        Index("ix_draft_received", "received_at", "report_intent", "status", "edited", "id"),
        Index(
            "ix_draft_unsettled",
            "id",
            postgresql_where=sql_text(UNSETTLED_DRAFT),
            sqlite_where=sql_text(UNSETTLED_DRAFT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int = Field(foreign_key="inquiry.id")
    version: int = 1
    status: str = Field(default=DraftStatus.PENDING, max_length=16, index=True)
    intents: list[str] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(default="", max_length=1000)
    text: str = ""  # as the bot drafted it
    edited_text: str | None = None  # as staff changed it
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    missing: list[str] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    # Hash of the contract rows the facts were computed from; approval refuses a draft whose rows changed.
    source_digest: str = Field(default="", max_length=64)
    notes: list[str] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))  # staff-only
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    rejected_reason: str | None = None
    sent_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))
    # Derived for the managers' reports by store.settle (never read elsewhere): the intent the bot drafted
    # for, the inquiry's arrival (so a range needs no join), and whether staff changed the text. ``edited``
    # is cleared whenever a text changes, which marks the row for the next settle.
    report_intent: str | None = Field(default=None, max_length=64)
    received_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    edited: bool | None = None

    @property
    def final_text(self) -> str:
        return self.edited_text if self.edited_text is not None else self.text


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_inquiry_at", "inquiry_id", "at"),
        Index("ix_audit_action_at", "action", "at"),  # re-routes of a period, for the reports
    )
    id: int | None = Field(default=None, primary_key=True)
    inquiry_id: int | None = Field(default=None, foreign_key="inquiry.id")
    draft_id: int | None = Field(default=None, foreign_key="draft.id")
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))
    actor: str = Field(max_length=64)  # "system", "slack:U123", "cli:name"
    action: str = Field(max_length=32, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; see bot/email/outbox.py for the crash window
    SENT = "sent"
    FAILED = "failed"


class Outbox(SQLModel, table=True):
    """A message waiting to leave: an approved reply (one row per draft) or an acknowledgement.

    ``dedupe_key`` is unique, so the same reply or acknowledgement can never be queued twice
    ("reply:<draft id>", "ack:<inquiry id>:<date>")."""

    # Failed sends of a period, for the reports (index-only).
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=128, unique=True)
    draft_id: int | None = Field(default=None, foreign_key="draft.id", unique=True)
    inquiry_id: int = Field(foreign_key="inquiry.id", index=True)
    channel: str = Field(max_length=16)  # "email" or "slack"
    kind: str = Field(default="reply", max_length=16)  # "reply" or "ack"
    recipient: str = Field(max_length=512)
    subject: str = Field(default="", max_length=1000)
    body: str = ""
    message_id: str = Field(default="", max_length=512)  # our Message-ID, fixed before the first attempt
    status: str = Field(default=OutboxStatus.QUEUED, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    last_error: str | None = None
    sent_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))


class MailboxCheckpoint(SQLModel, table=True):
    """How far IMAP intake has read a mailbox; reset when UIDVALIDITY changes."""

    __tablename__ = "mailbox_checkpoint"
    mailbox: str = Field(primary_key=True, max_length=200)
    uidvalidity: int
    last_uid: int = 0
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))


class ReportBasis(SQLModel, table=True):
    """What the derived report columns were computed under (``desk_hours``: the desk hours' fingerprint);
    store.settle recomputes every duration when the settings no longer match."""

    __tablename__ = "report_basis"
    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))


# Derived report columns must never outlive the values they were computed from. Core UPDATEs bypass these
# events; none of them touches these columns (desk/pipeline.py writes processing results only).
@event.listens_for(Inquiry.first_response_at, "set")
def _first_response_changed(target: Inquiry, value: Any, old: Any, _initiator: Any) -> None:
    if value != old:
        target.first_response_minutes = None


@event.listens_for(Inquiry.resolved_at, "set")
def _resolved_changed(target: Inquiry, value: Any, old: Any, _initiator: Any) -> None:
    if value != old:
        target.resolution_minutes = None


@event.listens_for(Draft.text, "set")
@event.listens_for(Draft.edited_text, "set")
def _draft_text_changed(target: Draft, value: Any, old: Any, _initiator: Any) -> None:
    if value != old:
        target.edited = None
