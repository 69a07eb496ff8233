"""Personal data held about customers: export everything about one customer, erase on request or after the
retention period (Japan's APPI: disclosure, deletion and "no longer than necessary").

Erasure keeps every row and blanks what identifies or quotes a person, so the managers' reports still add up:

* inquiry: sender, name, reply address, subject, text, form fields, attachment names, extracted entities,
  thread ids → empty; ``erased_at`` set. Kind, channel, status, intents, timestamps, durations, flags and the
  customer link (a company account, not a person) stay, so every count and duration is unchanged;
* inquiry_message: text, raw mail, sender → empty;
* draft: subject, facts, notes, missing → empty; text → empty, or for a draft staff edited, two stand-in
  strings of placeholder characters with the same edit distance (:func:`stand_ins`), so "edited or not" and
  the mean edit distance in the report are unchanged; a rejection reason becomes a marker;
* outbox: recipient, subject, body → empty.

The audit log is append-only and is not touched: its rows hold ids, actions and staff ids; reasons staff
type (reject, re-route) are the desk's own records.

Core UPDATE statements on purpose: the ORM's "text changed → re-settle" events must not fire, because the
settled report fields are exactly what erasure keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import String, Table, and_, case, cast, literal, or_, select, update
from sqlalchemy.engine import Connection, Engine

from store.models import (
    AuditEvent,
    ContactEmail,
    Contract,
    Customer,
    Draft,
    Inquiry,
    InquiryMessage,
    Invoice,
    MonthlyUsage,
    Outbox,
)

ERASED = "（削除済み）"
STAND_IN_LENGTH = 1000


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


INQ, MSG, DRAFT, OUTBOX = _t(Inquiry), _t(InquiryMessage), _t(Draft), _t(Outbox)
CUSTOMER, EMAIL, CONTRACT, AUDIT = _t(Customer), _t(ContactEmail), _t(Contract), _t(AuditEvent)
INVOICE, USAGE = _t(Invoice), _t(MonthlyUsage)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Erasure:
    inquiries: int
    messages: int
    drafts: int
    outbox: int


def stand_ins(distance: float) -> tuple[str, str]:
    """Two texts of pure placeholder characters whose normalised edit distance is ``distance`` (to 1/1000,
    never 0): what an erased edited draft keeps, so the managers' "how much staff changed the bot's text"
    stays what it was while no word of the original remains."""
    changed = max(1, min(STAND_IN_LENGTH, round(distance * STAND_IN_LENGTH)))
    return "□" * STAND_IN_LENGTH, "■" * changed + "□" * (STAND_IN_LENGTH - changed)


def customer_inquiry_ids(conn: Connection, customer_no: str) -> list[int] | None:
    """Ids of the inquiries about a customer: linked to it, or sent from one of its registered addresses
    (None when the customer number is unknown)."""
    customer_id = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.customer_no == customer_no)).scalar()
    if customer_id is None:
        return None
    emails = [e for (e,) in conn.execute(select(EMAIL.c.email).where(EMAIL.c.customer_id == customer_id))]
    where = INQ.c.customer_id == customer_id
    if emails:
        where = or_(where, INQ.c.sender.in_(emails), INQ.c.reply_to.in_(emails))
    return [int(i) for (i,) in conn.execute(select(INQ.c.id).where(where).order_by(INQ.c.id))]


def expired_inquiry_ids(conn: Connection, before: dt.datetime) -> list[int]:
    """Ids of the not yet erased inquiries received before ``before``."""
    stmt = select(INQ.c.id).where(INQ.c.received_at < before, INQ.c.erased_at.is_(None)).order_by(INQ.c.id)
    return [int(i) for (i,) in conn.execute(stmt)]


def erase(conn: Connection, inquiry_ids: list[int], *, now: dt.datetime) -> Erasure:
    """Blank the personal data of these inquiries and everything hanging off them (caller commits)."""
    counts = [0, 0, 0, 0]
    for start in range(0, len(inquiry_ids), _CHUNK):
        ids = inquiry_ids[start : start + _CHUNK]
        counts[0] += conn.execute(
            update(INQ)
            .where(INQ.c.id.in_(ids))
            .values(
                sender="",
                sender_domain="",
                sender_name="",
                reply_to="",
                subject="",
                text="",
                form=None,
                attachments=[],
                entities={},
                thread_ids=[],
                external_id=literal("erased:", String) + cast(INQ.c.id, String),
                error=None,
                erased_at=now,
            )
        ).rowcount
        counts[1] += conn.execute(
            update(MSG)
            .where(MSG.c.inquiry_id.in_(ids))
            .values(
                text="",
                raw=None,
                sender="",
                external_id=literal("erased:", String) + cast(MSG.c.id, String),
                thread_key="",
            )
        ).rowcount
        was_edited = and_(DRAFT.c.edited_text.is_not(None), DRAFT.c.edited_text != DRAFT.c.text)
        edited = conn.execute(
            select(DRAFT.c.id, DRAFT.c.text, DRAFT.c.edited_text).where(
                DRAFT.c.inquiry_id.in_(ids), was_edited
            )
        ).all()
        for draft_id, original, changed in edited:
            text, changed_text = stand_ins(Levenshtein.normalized_distance(original or "", changed or ""))
            conn.execute(
                update(DRAFT).where(DRAFT.c.id == draft_id).values(text=text, edited_text=changed_text)
            )
        counts[2] += conn.execute(
            update(DRAFT)
            .where(DRAFT.c.inquiry_id.in_(ids))
            .values(
                subject="",
                text=case((was_edited, DRAFT.c.text), else_=""),
                edited_text=case((was_edited, DRAFT.c.edited_text), else_=None),
                facts={},
                notes=[],
                missing=[],
                rejected_reason=case((DRAFT.c.rejected_reason.is_not(None), ERASED), else_=None),
            )
        ).rowcount
        counts[3] += conn.execute(
            update(OUTBOX).where(OUTBOX.c.inquiry_id.in_(ids)).values(recipient="", subject="", body="")
        ).rowcount
    return Erasure(*counts)


def export_customer(conn: Connection, customer_no: str) -> dict[str, Any] | None:
    """Everything the desk holds about one customer, as JSON-ready data (None when unknown)."""
    row = conn.execute(select(CUSTOMER).where(CUSTOMER.c.customer_no == customer_no)).mappings().first()
    if row is None:
        return None
    customer_id = row["id"]
    inquiry_ids = customer_inquiry_ids(conn, customer_no) or []

    def rows(table: Table, where: Any, *, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        result = conn.execute(select(table).where(where).order_by(table.c.id)).mappings()
        return [{k: v for k, v in r.items() if k not in skip} for r in result]

    contracts = rows(CONTRACT, CONTRACT.c.customer_id == customer_id)
    contract_ids = [c["id"] for c in contracts]
    inquiries = rows(INQ, INQ.c.id.in_(inquiry_ids))
    messages = rows(MSG, MSG.c.inquiry_id.in_(inquiry_ids), skip=("raw",))
    return {
        "customer": dict(row),
        "contact_emails": rows(EMAIL, EMAIL.c.customer_id == customer_id),
        "contracts": contracts,
        "invoices": rows(INVOICE, INVOICE.c.contract_id.in_(contract_ids)),
        "usage": rows(USAGE, USAGE.c.contract_id.in_(contract_ids)),
        "inquiries": inquiries,
        "messages": messages,  # raw mail is summarised by its text; the raw bytes stay with the desk
        "drafts": rows(DRAFT, DRAFT.c.inquiry_id.in_(inquiry_ids)),
        "sent": rows(OUTBOX, OUTBOX.c.inquiry_id.in_(inquiry_ids)),
        "audit": rows(AUDIT, AUDIT.c.inquiry_id.in_(inquiry_ids)),
    }


def record(conn: Connection, *, actor: str, erasure: Erasure, **detail: Any) -> None:
    """One audit event for an erasure run (ids only: what was erased is exactly what is gone)."""
    conn.execute(
        AUDIT.insert().values(
            inquiry_id=None,
            draft_id=None,
            actor=actor,
            action="erased",
            at=dt.datetime.now(dt.UTC),
            detail={
                "inquiries": erasure.inquiries,
                "messages": erasure.messages,
                "drafts": erasure.drafts,
                "outbox": erasure.outbox,
                **detail,
            },
        )
    )


def apply_retention(engine: Engine, *, days: int, now: dt.datetime | None = None) -> Erasure | None:
    """Erase the inquiries received more than ``days`` ago (None when retention is off, ``days`` <= 0)."""
    if days <= 0:
        return None
    now = now or dt.datetime.now(dt.UTC)
    before = now - dt.timedelta(days=days)
    with engine.begin() as conn:
        ids = expired_inquiry_ids(conn, before)
        erasure = erase(conn, ids, now=now)
        if ids:
            record(conn, actor="system", erasure=erasure, reason="retention", before=before.isoformat())
    return erasure
