"""Claiming outbox rows when several senders share one database: different rows, leases, recovery."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import claims
from store.db import session_scope
from store.models import Inquiry, Outbox, OutboxStatus

NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=2)


def _queued(engine: Engine, n: int) -> list[int]:
    with session_scope(engine) as session:
        inquiry = Inquiry(channel="email", external_id="<c@x>", received_at=NOW)
        session.add(inquiry)
        session.flush()
        rows = [
            Outbox(
                dedupe_key=f"reply:{i}",
                inquiry_id=inquiry.id or 0,
                channel="email",
                recipient="a@example.com",
            )
            for i in range(n)
        ]
        session.add_all(rows)
        session.flush()
        return [r.id or 0 for r in rows]


def test_concurrent_claims_take_different_rows(engine: Engine) -> None:
    ids = _queued(engine, 6)
    if engine.dialect.name != "postgresql":  # SQLite: one writer at a time, claims follow each other
        with session_scope(engine) as a:
            first = claims.claim_due(a, channel="email", now=NOW, lease=LEASE, limit=4)
        with session_scope(engine) as b:
            second = claims.claim_due(b, channel="email", now=NOW, lease=LEASE, limit=4)
    else:  # both transactions open at once: the second skips the rows the first has locked
        with Session(engine) as a, Session(engine) as b:
            first = claims.claim_due(a, channel="email", now=NOW, lease=LEASE, limit=4)
            second = claims.claim_due(b, channel="email", now=NOW, lease=LEASE, limit=4)
            a.commit()
            b.commit()
    assert first == ids[:4] and second == ids[4:]


def test_only_rows_whose_lease_ran_out_are_abandoned(engine: Engine) -> None:
    ids = _queued(engine, 2)
    with session_scope(engine) as session:
        assert claims.claim_one(session, outbox_id=ids[0], now=NOW, lease=LEASE)
        assert claims.claim_one(session, outbox_id=ids[1], now=NOW + dt.timedelta(minutes=5), lease=LEASE)
        assert not claims.claim_one(session, outbox_id=ids[0], now=NOW, lease=LEASE)  # already taken
    with session_scope(engine) as session:
        gone = claims.abandoned(session, channel="email", now=NOW + dt.timedelta(minutes=3))
        assert [r.id for r in gone] == [ids[0]]
        assert all(r.status == OutboxStatus.SENDING for r in gone)
