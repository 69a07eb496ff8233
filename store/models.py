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
    CLOSED = "closed"  # a non-inquiry (thanks, sales, phishing) staff closed as needing no reply
    IGNORED = "ignored"  # auto-replies, bounces, own mail: recorded, never answered
    FAILED = "failed"  # the pipeline could not process it; staff must look


# Rows store.settle has still to fill: the partial indexes below and settle's queries share these texts, so
# the planner can always match the query to its index.
UNSETTLED_INQUIRY = (
    "(first_response_at IS NOT NULL AND first_response_minutes IS NULL)"
    " OR (resolved_at IS NOT NULL AND resolution_minutes IS NULL)"
)
UNSETTLED_DRAFT = "edited IS NULL"
# Approved or sent after a staff edit: the drafts whose edit distance the reports sample (store.reports).
EDITED_ANSWERED_DRAFT = "edited AND status IN ('approved', 'sent')"
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
        # Abuse limits count one sender's / one domain's recent inquiries (desk.limits) on every message.
        Index("ix_inquiry_sender_created", "sender", "created_at"),
        Index("ix_inquiry_domain_created", "sender_domain", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=512)
    kind: str = Field(default=InquiryKind.INQUIRY, max_length=16)
    status: str = Field(default=InquiryStatus.RECEIVED, max_length=16, index=True)
    sender: str = Field(default="", max_length=320)
    sender_domain: str = Field(default="", max_length=255)  # lower-cased domain of an email sender
    sender_name: str = Field(default="", max_length=200)
    sender_kind: str = Field(default="unknown", max_length=32)
    reply_to: str = Field(default="", max_length=512)
    subject: str = Field(default="", max_length=1000)
    text: str = ""  # full text as received (quotes, signature), for staff
    received_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))
    intents: list[dict[str, Any]] = Field(default_factory=new_list, sa_column=Column(JSON, nullable=False))
    primary_intent: str = Field(default="other", max_length=32, index=True)
    entities: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the customer already said in the thread (intents.questions: metering day, notice sent, reason…),
    # so a later reply is not asked again. None before the first draft.
    said: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # What the reply is written in ("ja" | "en"), and why the primary intent is "other" (intents.model
    # OTHER_REASONS: sales, phishing, thanks, complaint, misdirected, out_of_scope, unclear); None for a
    # procedure. ``candidates`` are the intents the classifier hesitated between when it abstained
    # (reason "unclear"): [{"intent", "score"}], best first; None otherwise (migration 0010_other_reasons).
    language: str = Field(default="ja", max_length=8)
    other_reason: str | None = Field(default=None, max_length=16)
    candidates: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
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
    # Staff put the inquiry aside until then (no reminders); the customer writing again ends it early.
    snoozed_until: dt.datetime | None = Field(default=None, sa_column=_tz())
    error: str | None = None
    first_response_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    resolved_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    # Whole business minutes from received_at to the two instants above, under the desk hours in
    # ReportBasis. Derived data for the managers' reports: store.settle fills them, and changing an instant
    # clears its duration (the events at the end of this module), so they never disagree with the instants.
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))
    # When `madoguchi privacy erase` removed the personal data (texts, addresses, names, raw mail); the row
    # itself stays so that counts and durations in the managers' reports still add up.
    erased_at: dt.datetime | None = Field(default=None, sa_column=_tz())


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
    MERGED = "merged"  # replaced by the copy its outage incident sent (desk/incidents.py); not a re-route


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
        # The edited drafts of a range (~12 % of them), so sampling their edit distances reads no others.
        Index(
            "ix_draft_edited_received",
            "received_at",
            "id",
            "report_intent",
            postgresql_where=sql_text(EDITED_ANSWERED_DRAFT),
            sqlite_where=sql_text(EDITED_ANSWERED_DRAFT),
        ),
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
    # Our Message-ID, fixed before the first attempt; indexed so mail answering ours is recognised.
    message_id: str = Field(default="", max_length=512, index=True)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    # While ``sending``: the claiming sender holds the row until then (store/claims.py); after it, it is gone.
    lease_until: dt.datetime | None = Field(default=None, sa_column=_tz())
    last_error: str | None = None
    sent_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime()))


class IncidentStatus(StrEnum):
    OPEN = "open"  # grouping reports; waits for staff to approve one text
    APPROVED = "approved"  # text approved and sent; later reports join and wait for a one-click send
    CLOSED = "closed"  # no report within the window any more; the next report opens a new incident


# At most one incident per grid area takes new reports: concurrent pipelines cannot open two for one outage.
_ACTIVE_INCIDENT = "status IN ('open', 'approved')"


class Incident(SQLModel, table=True):
    """An outage reported by several customers of one grid area within a short window (desk/incidents.py).

    Staff approve one text (``approved_text``) once; each member inquiry gets its own copy, rendered for its
    customer, through the normal outbox."""

    __table_args__ = (
        Index(
            "ix_incident_active_area",
            "grid_area",
            unique=True,
            postgresql_where=sql_text(_ACTIVE_INCIDENT),
            sqlite_where=sql_text(_ACTIVE_INCIDENT),
        ),
        Index("ix_incident_opened", "opened_at"),  # the managers' report counts incidents of a period
    )
    id: int | None = Field(default=None, primary_key=True)
    grid_area: str = Field(max_length=2)  # GridArea value
    utility: str = Field(default="", max_length=100)  # the area's local utility, as the card shows it
    status: str = Field(default=IncidentStatus.OPEN, max_length=16)
    opened_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    first_report_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    latest_report_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    approved_text: str | None = None  # the notice staff approved, shared by every copy
    approved_text_en: str | None = None  # the same notice for English inquiries
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    closed_at: dt.datetime | None = Field(default=None, sa_column=_tz())
    slack_card: str | None = Field(default=None, max_length=64)  # "channel:ts" of the incident card


class IncidentMember(SQLModel, table=True):
    """One inquiry of an incident; ``outbox_id`` is set once its copy is queued (one copy per inquiry)."""

    __tablename__ = "incident_member"
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    inquiry_id: int = Field(foreign_key="inquiry.id", unique=True)  # an inquiry belongs to one incident
    joined_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    late: bool = False  # joined after the text was approved: sent after staff confirm
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", unique=True)
    blocked: str | None = None  # why the last check refused this member's copy (shown on the card)


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


class ReportDirty(SQLModel, table=True):
    """An arrival instant whose local day's rollups may be out of date. Database triggers (below) add one
    row for every insert, delete or report-relevant change of an inquiry or a draft, whatever code path
    wrote it (ORM, Core UPDATE, COPY); store.rollups folds those days and deletes the rows it read."""

    __tablename__ = "report_dirty"
    id: int | None = Field(default=None, primary_key=True)
    received_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class RollupCensus(SQLModel, table=True):
    """Messages per local day (in the ``rollup_zone`` of ReportBasis) x kind x intent x channel: how many,
    how many from a sender not proven to be the customer, and how many have no first response yet."""

    __tablename__ = "rollup_census"
    day: dt.date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    intent: str = Field(primary_key=True, max_length=32)
    channel: str = Field(primary_key=True, max_length=16)
    inquiries: int = 0
    unverified: int = 0
    unanswered: int = 0


class RollupMinutes(SQLModel, table=True):
    """Histograms of business minutes (part 1: first response, 2: resolution) of inquiries per intent, for
    a local day (level "D"), month ("M", period = its 1st) and year ("Y", period = Jan 1st). A month or year
    row is always the sum of its day rows (store.rollups keeps them in step), so a year's percentiles read
    one period's histogram instead of every day's."""

    __tablename__ = "rollup_minutes"
    level: str = Field(primary_key=True, max_length=1)
    period: dt.date = Field(primary_key=True)
    part: int = Field(primary_key=True)
    intent: str = Field(primary_key=True, max_length=32)
    minutes: int = Field(primary_key=True)
    inquiries: int = 0


class RollupDrafts(SQLModel, table=True):
    """Drafts per local day of their inquiry's arrival x drafted intent x status x edited."""

    __tablename__ = "rollup_drafts"
    day: dt.date = Field(primary_key=True)
    intent: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=16)
    edited: bool = Field(primary_key=True)
    drafts: int = 0


# Columns whose change moves a row between rollup cells: the triggers mark the row's day only for these.
ROLLUP_SOURCES = {
    "inquiry": (
        "kind",
        "received_at",
        "primary_intent",
        "channel",
        "identity_verified",
        "first_response_at",
        "resolved_at",
        "first_response_minutes",
        "resolution_minutes",
    ),
    "draft": ("received_at", "report_intent", "status", "edited"),
}


def rollup_trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements of the triggers that mark a changed row's arrival day in ``report_dirty``
    (migration 0005 runs the same text). Triggers, not ORM events: Core updates, COPY and other processes
    must mark days too, or a rollup would silently keep an old count."""
    out: list[str] = []
    if dialect == "postgresql":
        out.append(
            "CREATE OR REPLACE FUNCTION mark_report_day() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "  IF TG_OP <> 'INSERT' AND OLD.received_at IS NOT NULL THEN\n"
            "    INSERT INTO report_dirty (received_at) VALUES (OLD.received_at);\n"
            "  END IF;\n"
            "  IF TG_OP <> 'DELETE' AND NEW.received_at IS NOT NULL\n"
            "     AND (TG_OP = 'INSERT' OR NEW.received_at IS DISTINCT FROM OLD.received_at) THEN\n"
            "    INSERT INTO report_dirty (received_at) VALUES (NEW.received_at);\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        for table, columns in ROLLUP_SOURCES.items():
            cols = ", ".join(columns)
            old = ", ".join(f"OLD.{c}" for c in columns)
            new = ", ".join(f"NEW.{c}" for c in columns)
            out.append(
                f"CREATE TRIGGER {table}_marks_report_day AFTER INSERT OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mark_report_day()"
            )
            out.append(
                f"CREATE TRIGGER {table}_change_marks_report_day AFTER UPDATE OF {cols} ON {table} "
                f"FOR EACH ROW WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) "
                "EXECUTE FUNCTION mark_report_day()"
            )
        return out
    for table, columns in ROLLUP_SOURCES.items():
        cols = ", ".join(columns)
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        out.append(
            f"CREATE TRIGGER {table}_insert_marks_report_day AFTER INSERT ON {table} "
            "WHEN NEW.received_at IS NOT NULL BEGIN "
            "INSERT INTO report_dirty (received_at) VALUES (NEW.received_at); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_delete_marks_report_day AFTER DELETE ON {table} "
            "WHEN OLD.received_at IS NOT NULL BEGIN "
            "INSERT INTO report_dirty (received_at) VALUES (OLD.received_at); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_change_marks_report_day AFTER UPDATE OF {cols} ON {table} "
            f"WHEN {changed} BEGIN "
            "INSERT INTO report_dirty (received_at) SELECT OLD.received_at WHERE OLD.received_at IS NOT NULL; "
            "INSERT INTO report_dirty (received_at) SELECT NEW.received_at "
            "WHERE NEW.received_at IS NOT NULL AND NEW.received_at IS NOT OLD.received_at; END"
        )
    return out


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
