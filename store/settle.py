"""Fill the derived columns the managers' reports read, so a report over a year is a plain index scan.

Two kinds of derived data, both computed from rows already in the store and never typed by anyone:

- ``inquiry.first_response_minutes`` / ``resolution_minutes``: whole business minutes from arrival to the
  first answer and to resolution, under the desk hours in the settings. Computing them per row at report time (holiday
  calendar, lunch break, time zone) was most of a yearly report's cost; here each is computed once.
- ``draft.report_intent`` / ``received_at`` / ``edited``: the intent the bot drafted for, the inquiry's
  arrival and whether staff changed the text, so draft quality over a range needs no join and no JSON.

A row needs settling when a duration is missing for an instant that is set, or when ``draft.edited`` is
NULL; the model events in :mod:`store.models` clear a derived value whenever its source changes, and two
partial indexes list exactly those rows, so a settle with nothing to do costs two index probes.
When the desk hours change (the fingerprint in ``report_basis`` differs), every duration is recomputed.
Finally the per-day rollups (:mod:`store.rollups`) fold the days whose rows changed.

Durations are written only where the instants still hold the values they were computed from, so an answer
recorded concurrently is never given a stale duration; it is simply settled next time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from desk.business_hours import BusinessClock, DeskHours, clock_for
from store.models import UNSETTLED_DRAFT, UNSETTLED_INQUIRY, Draft, Inquiry, ReportBasis, utcnow
from store.rollups import refresh

__all__ = ["SettleResult", "settle"]

INQ = cast(Table, Inquiry.__table__)  # type: ignore[attr-defined]
DRAFT = cast(Table, Draft.__table__)  # type: ignore[attr-defined]
BASIS = cast(Table, ReportBasis.__table__)  # type: ignore[attr-defined]

DESK_HOURS = "desk_hours"
_BATCH = 5000

_UNSETTLED = sql_text(UNSETTLED_INQUIRY)

# Guarded by the instants it was computed from (IS NOT DISTINCT FROM, so NULL matches NULL).
_WRITE_DURATIONS = (
    update(INQ)
    .where(
        INQ.c.id == bindparam("row_id"),
        INQ.c.first_response_at.is_not_distinct_from(
            bindparam("first_at", type_=INQ.c.first_response_at.type)
        ),
        INQ.c.resolved_at.is_not_distinct_from(bindparam("resolved_at_", type_=INQ.c.resolved_at.type)),
    )
    .values(
        first_response_minutes=bindparam("first_minutes"), resolution_minutes=bindparam("resolution_minutes_")
    )
)


@dataclass(frozen=True)
class SettleResult:
    inquiries: int  # inquiries whose durations were (re)computed
    drafts: int  # drafts whose report fields were filled
    rebased: bool  # the desk hours had changed, so every duration was recomputed
    rollup_days: int = 0  # local days whose rollups were recomputed (-1: all of them, rebuilt)


def settle(engine: Engine, hours: DeskHours) -> SettleResult:
    """Bring every derived report column up to date (before a report's snapshot, so the report's own
    transaction never writes). Durations are settled in short transactions of ``_BATCH`` rows, so a full
    recompute never holds row locks that would keep staff's approvals waiting."""
    try:
        with engine.begin() as conn:
            rebased = _rebase(conn, hours)
    except IntegrityError:  # another process recorded the same basis first
        rebased = False
    inquiries, after = 0, 0
    while True:
        with engine.begin() as conn:
            done, after = _settle_durations(conn, hours, after)
        inquiries += done
        if done < _BATCH:
            break
    drafts = 0
    while True:
        with engine.begin() as conn:
            done = _settle_drafts(conn)
        drafts += done
        if done < _BATCH:
            break
    # Last: the rollups count the durations and draft fields just written (store/rollups.py).
    return SettleResult(inquiries, drafts, rebased, refresh(engine, hours.timezone))


def _rebase(conn: Connection, hours: DeskHours) -> bool:
    """Clear every duration when the desk hours differ from the ones they were computed under."""
    key = hours.fingerprint()
    stored = conn.execute(select(BASIS.c.value).where(BASIS.c.name == DESK_HOURS)).scalar_one_or_none()
    if stored == key:
        return False
    conn.execute(
        update(INQ)
        .where(or_(INQ.c.first_response_minutes.is_not(None), INQ.c.resolution_minutes.is_not(None)))
        .values(first_response_minutes=None, resolution_minutes=None)
    )
    if stored is None:
        conn.execute(BASIS.insert().values(name=DESK_HOURS, value=key, updated_at=utcnow()))
    else:
        conn.execute(update(BASIS).where(BASIS.c.name == DESK_HOURS).values(value=key, updated_at=utcnow()))
    return stored is not None


def _settle_durations(conn: Connection, hours: DeskHours, after: int) -> tuple[int, int]:
    """Settle up to ``_BATCH`` rows with ids above ``after``; returns how many and the last id."""
    clock = clock_for(hours)
    rows = conn.execute(
        select(INQ.c.id, INQ.c.received_at, INQ.c.first_response_at, INQ.c.resolved_at)
        .where(_UNSETTLED, INQ.c.id > after)
        .order_by(INQ.c.id)
        .limit(_BATCH)
    ).all()
    params: list[dict[str, Any]] = []
    # The columns' type reads instants back timezone-aware on every backend.
    for row_id, received, first_at, resolved_at in rows:
        params.append(
            {
                "row_id": row_id,
                "first_at": first_at,
                "resolved_at_": resolved_at,
                "first_minutes": _minutes(clock, received, first_at),
                "resolution_minutes_": _minutes(clock, received, resolved_at),
            }
        )
    if params:
        conn.execute(_WRITE_DURATIONS, params)
    return len(params), (params[-1]["row_id"] if params else after)


def _minutes(clock: BusinessClock, start: dt.datetime, end: dt.datetime | None) -> int | None:
    """Business minutes, rounded to the nearest (half to even, as Python's ``round``)."""
    return None if end is None else round(clock.seconds_between(start, end) / 60)


def _settle_drafts(conn: Connection) -> int:
    """Up to ``_BATCH`` drafts in one UPDATE: the first drafted intent (else the inquiry's), its arrival,
    and the edit flag. A settled draft leaves the partial index, so the next batch finds the next ones."""
    batch = select(DRAFT.c.id).where(sql_text(UNSETTLED_DRAFT)).order_by(DRAFT.c.id).limit(_BATCH)
    ids = list(conn.execute(batch).scalars())
    if not ids:
        return 0
    inquiry = INQ.alias("owner")
    of_owner = inquiry.c.id == DRAFT.c.inquiry_id
    fallback = select(inquiry.c.primary_intent).where(of_owner).scalar_subquery()
    arrival = select(inquiry.c.received_at).where(of_owner).scalar_subquery()
    edited = case(
        (and_(DRAFT.c.edited_text.is_not(None), DRAFT.c.edited_text != DRAFT.c.text), True), else_=False
    )
    result = conn.execute(
        update(DRAFT)
        .where(DRAFT.c.id.in_(ids), DRAFT.c.edited.is_(None))
        .values(
            report_intent=func.coalesce(DRAFT.c.intents[0].as_string(), fallback),
            received_at=arrival,
            edited=edited,
        )
    )
    return int(result.rowcount)
