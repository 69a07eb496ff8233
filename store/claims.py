"""Claiming outbox rows when several sender processes share one database.

A sender claims due rows (``queued → sending``) in one transaction with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite has one writer at a time and ignores the clause), so concurrent senders take different rows instead of
racing for the same ones. Each claim carries a lease: a send is bounded by the SMTP/Slack timeouts, so a row
still ``sending`` after its lease belongs to a sender that died. Only such rows are recovered; a row another
live process is sending right now is never touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from store.models import Outbox, OutboxStatus


def _due(channel: str, now: dt.datetime) -> object:
    return (
        select(Outbox.id)
        .where(Outbox.channel == channel, Outbox.status == OutboxStatus.QUEUED)
        .where(or_(col(Outbox.next_attempt_at).is_(None), col(Outbox.next_attempt_at) <= now))
        .order_by(col(Outbox.id))
    )


def claim_due(
    session: Session,
    *,
    channel: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int = 20,
    after_id: int = 0,
    message_id: Callable[[], str] | None = None,
) -> list[int]:
    """Move up to ``limit`` due rows of ``channel`` with ids above ``after_id`` to ``sending`` under a lease.

    Returns their ids; the caller commits. ``after_id`` lets one pass go forward only, so a row retried in
    this pass waits for the next one. ``message_id`` gives a row without one its Message-ID (kept across
    retries).
    """
    due = _due(channel, now).where(col(Outbox.id) > after_id)  # type: ignore[attr-defined]
    stmt = due.limit(limit).with_for_update(skip_locked=True)
    ids = [int(i) for i in session.exec(stmt).all() if i is not None]
    return [i for i in ids if claim_one(session, outbox_id=i, now=now, lease=lease, message_id=message_id)]


def claim_one(
    session: Session,
    *,
    outbox_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
    message_id: Callable[[], str] | None = None,
) -> bool:
    """Compare-and-set one row ``queued → sending``: only one sender can win it. The caller commits."""
    values: dict[str, object] = {
        "status": OutboxStatus.SENDING,
        "attempts": Outbox.attempts + 1,
        "lease_until": now + lease,
    }
    if message_id is not None:
        current = session.exec(select(Outbox.message_id).where(Outbox.id == outbox_id)).first()
        values["message_id"] = current or message_id()
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == OutboxStatus.QUEUED)
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def abandoned(session: Session, *, channel: str, now: dt.datetime) -> list[Outbox]:
    """Rows left ``sending`` by a sender that is gone: lease expired (or from before leases existed)."""
    stmt = (
        select(Outbox)
        .where(Outbox.channel == channel, Outbox.status == OutboxStatus.SENDING)
        .where(or_(col(Outbox.lease_until).is_(None), col(Outbox.lease_until) < now))
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(stmt).all())
