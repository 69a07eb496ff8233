"""The per-day rollups (store/rollups.py) give exactly the numbers the raw rows give, before and after a
refresh, whatever wrote the rows (ORM, Core UPDATE, DELETE), across month and year boundaries."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from desk.business_hours import DeskHours
from store import reports, rollups
from store.models import Draft, Inquiry, ReportDirty, RollupCensus, RollupDrafts, RollupMinutes
from store.reports import ReportRange
from store.settle import settle
from tests.bot.reporting.history import JST

HOURS = DeskHours()
NOW = dt.datetime(2026, 1, 20, 15, 0, tzinfo=JST)
INTENTS = ["bill_inquiry", "other", "password_reset", "outage"]
RANGES = [
    ReportRange(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "month"),  # a whole year: one year histogram
    ReportRange(dt.date(2025, 12, 1), dt.date(2026, 1, 31), "week"),  # across the new year, partial months
    ReportRange(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "day"),  # holds NOW's overdue instant
    ReportRange(dt.date(2025, 11, 1), dt.date(2026, 2, 28), "month"),
]


def _history(engine: Engine, seed: int) -> None:
    rnd = random.Random(seed)
    start = dt.datetime(2025, 11, 20, tzinfo=JST)
    with Session(engine) as s:
        for i in range(300):
            received = start + dt.timedelta(seconds=rnd.randrange(0, 80 * 86400))
            first = received + dt.timedelta(hours=rnd.expovariate(1 / 20)) if rnd.random() < 0.8 else None
            resolved = (
                first + dt.timedelta(hours=rnd.expovariate(1 / 30)) if first and rnd.random() < 0.7 else None
            )
            inquiry = Inquiry(
                channel=rnd.choice(["email", "slack"]),
                external_id=f"<h{seed}-{i}>",
                kind=rnd.choice(["inquiry"] * 9 + ["auto_reply"]),
                received_at=received,
                primary_intent=rnd.choice(INTENTS),
                identity_verified=rnd.random() < 0.6,
                first_response_at=first,
                resolved_at=resolved,
            )
            s.add(inquiry)
            s.flush()
            if rnd.random() < 0.9:
                text = "お問い合わせありがとうございます。"
                s.add(
                    Draft(
                        inquiry_id=inquiry.id,
                        intents=[rnd.choice(INTENTS)],
                        status=rnd.choice(["pending", "sent", "sent", "rejected", "superseded"]),
                        text=text,
                        edited_text=text + "追記" if rnd.random() < 0.2 else None,
                    )
                )
        s.commit()


def _change_things(engine: Engine, seed: int) -> None:
    """Re-routes, answers, reopenings, a Core UPDATE that bypasses the ORM, a deletion, new arrivals and
    draft decisions, on days spread over the history."""
    rnd = random.Random(seed + 1000)
    with Session(engine) as s:
        rows = s.exec(select(Inquiry).order_by(Inquiry.id)).scalars().all()  # type: ignore[call-overload]
        for row in rnd.sample(rows, 12):
            row.primary_intent = rnd.choice(INTENTS)
            if row.first_response_at is None:
                row.first_response_at = row.received_at + dt.timedelta(hours=3)
            else:
                row.resolved_at = None
            s.add(row)
        drafts = s.exec(select(Draft).where(Draft.status == "pending")).scalars().all()  # type: ignore[call-overload]
        for draft in drafts[:5]:
            draft.status = "sent"
            s.add(draft)
        victim = rows[7]
        for draft in s.exec(select(Draft).where(Draft.inquiry_id == victim.id)).scalars().all():  # type: ignore[call-overload]
            s.delete(draft)
        s.flush()
        s.delete(victim)
        s.add(
            Inquiry(
                channel="email",
                external_id=f"<new{seed}>",
                received_at=dt.datetime(2026, 1, 19, 23, 30, tzinfo=JST),
                primary_intent="outage",
            )
        )
        ids = [r.id for r in rnd.sample(rows[10:], 5)]
        s.commit()
    with engine.begin() as conn:
        conn.execute(
            update(Inquiry).where(Inquiry.id.in_(ids)).values(channel="slack", identity_verified=False)
        )  # type: ignore[attr-defined]


def _measures(engine: Engine, rng: ReportRange) -> tuple[Any, ...]:
    with engine.connect() as conn:
        census = reports.census(conn, rng)
        times = reports.response_times(conn, rng, hours=HOURS, target_hours=7.0, now=NOW)
        quality = reports.draft_quality(conn, rng)
    return {k: v for k, v in census.cells.items() if v != (0, 0)}, times, quality


def _raw_measures(engine: Engine, rng: ReportRange, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    with monkeypatch.context() as m:
        m.setattr(rollups, "view", lambda conn, timezone: None)
        return _measures(engine, rng)


def _tables(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.__tablename__: {tuple(r) for r in conn.execute(select(t.__table__))}  # type: ignore[attr-defined]
            for t in (RollupCensus, RollupMinutes, RollupDrafts)
        }


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_give_the_raw_numbers_before_and_after_a_refresh(
    engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(engine, seed)
    assert settle(engine, HOURS).rollup_days == -1  # first use: built from every row
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)
    _change_things(engine, seed)
    with engine.connect() as conn:
        view = rollups.view(conn, "Asia/Tokyo")
    assert view is not None and len(view.marked) > 5  # the changed days are read raw until folded
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)
    result = settle(engine, HOURS)
    assert 5 < result.rollup_days <= rollups.FULL_REBUILD_DAYS  # folded day by day, not rebuilt
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)
    folded = _tables(engine)
    with engine.begin() as conn:
        rollups._rebuild_all(conn, "Asia/Tokyo")
    assert folded == _tables(engine)  # the day-by-day fold equals a rebuild from scratch


def test_month_and_year_histograms_are_the_sums_of_their_days(engine: Engine) -> None:
    _history(engine, 3)
    settle(engine, HOURS)
    _change_things(engine, 3)
    settle(engine, HOURS)
    with engine.connect() as conn:
        rows = conn.execute(select(RollupMinutes.__table__)).all()  # type: ignore[attr-defined]
    days: Counter[tuple[str, dt.date, int, str, int]] = Counter()
    stored: Counter[tuple[str, dt.date, int, str, int]] = Counter()
    for level, period, part, intent, minutes, n in rows:
        period = rollups._as_date(period)
        assert n > 0  # emptied cells are removed
        if level == rollups.DAY:
            days[("M", period.replace(day=1), part, intent, minutes)] += n
            days[("Y", period.replace(month=1, day=1), part, intent, minutes)] += n
        else:
            stored[(level, period, part, intent, minutes)] += n
    assert stored == days and len(stored) > 100


def test_every_writer_marks_the_day_but_unrelated_columns_do_not(engine: Engine) -> None:
    _history(engine, 4)
    settle(engine, HOURS)

    def marks() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ReportDirty)).scalar_one())

    assert marks() == 0
    with engine.begin() as conn:
        conn.execute(update(Inquiry).where(Inquiry.id == 3).values(status="answered", assignee="sato"))  # type: ignore[arg-type]
    assert marks() == 0  # status and assignee are in no rollup
    with engine.begin() as conn:
        conn.execute(update(Inquiry).where(Inquiry.id == 3).values(primary_intent="outage"))  # type: ignore[arg-type]
    assert marks() == 1
    with engine.begin() as conn:
        conn.execute(update(Draft).where(Draft.id == 2).values(status="rejected"))  # type: ignore[arg-type]
    assert marks() == 2
    settle(engine, HOURS)
    assert marks() == 0


def test_a_report_in_another_time_zone_reads_the_raw_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(engine, 5)
    settle(engine, HOURS)
    rng = ReportRange(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "week", "UTC")
    with engine.connect() as conn:
        assert rollups.view(conn, "UTC") is None
        assert rollups.view(conn, "Asia/Tokyo") is not None
    assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)


def test_a_year_is_read_as_one_histogram_and_ragged_edges_as_months_and_days() -> None:
    assert rollups.decompose(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == [("Y", dt.date(2026, 1, 1))]
    parts = rollups.decompose(dt.date(2026, 3, 30), dt.date(2026, 7, 5))
    assert parts[:2] == [("D", dt.date(2026, 3, 30)), ("D", dt.date(2026, 3, 31))]
    assert parts[2:5] == [("M", dt.date(2026, m, 1)) for m in (4, 5, 6)]
    assert parts[5:] == [("D", dt.date(2026, 7, d)) for d in range(1, 6)]


def test_a_flood_of_marks_rebuilds_everything_and_keeps_the_numbers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(engine, 6)
    settle(engine, HOURS)
    _change_things(engine, 6)
    monkeypatch.setattr(rollups, "MARKS_READ_LIMIT", 3)
    with engine.connect() as conn:
        assert rollups.view(conn, "Asia/Tokyo") is None  # too many marks: the report reads raw rows
    assert settle(engine, HOURS).rollup_days == -1
    with engine.connect() as conn:
        assert rollups.view(conn, "Asia/Tokyo") == rollups.View(JST, frozenset())
    monkeypatch.undo()
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)


def test_a_mark_written_after_the_refresh_read_its_marks_survives_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change committed while a refresh runs may be missing from what it recomputed; its mark must stay
    so that reports read that day raw and the next settle folds it."""
    _history(engine, 7)
    settle(engine, HOURS)
    _change_things(engine, 7)
    late = dt.datetime(2026, 1, 8, 10, 0, tzinfo=JST)
    fold = rollups._refresh_days

    def fold_then_a_new_arrival(conn: Any, zone: str, days: set[dt.date]) -> None:
        fold(conn, zone, days)
        conn.execute(
            Inquiry.__table__.insert().values(  # type: ignore[attr-defined]
                channel="email", external_id="<late>", kind="inquiry", received_at=late,
                primary_intent="outage", intents=[], entities={}, attachments=[], contract_ids=[],
                flags=[], thread_ids=[], status="received",
            )
        )  # fmt: skip

    monkeypatch.setattr(rollups, "_refresh_days", fold_then_a_new_arrival)
    assert settle(engine, HOURS).rollup_days > 0
    monkeypatch.undo()
    with engine.connect() as conn:
        assert rollups.view(conn, "Asia/Tokyo") == rollups.View(JST, frozenset({dt.date(2026, 1, 8)}))
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)
    assert settle(engine, HOURS).rollup_days == 1
    for rng in RANGES:
        assert _measures(engine, rng) == _raw_measures(engine, rng, monkeypatch)


def test_the_migrated_schema_has_every_rollup_trigger(engine: Engine) -> None:
    """A later migration that copies ``inquiry`` or ``draft`` (SQLite batch mode) drops their triggers and
    must create them again (store.models.rollup_trigger_ddl), or the rollups silently go stale."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            found = conn.execute(
                text(
                    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
                )
            ).scalars()
        else:
            found = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        names = set(found)
    expected = {
        f"{table}_{event}_report_day"
        for table in ("inquiry", "draft")
        for event in (
            ("marks", "change_marks")
            if engine.dialect.name == "postgresql"
            else ("insert_marks", "delete_marks", "change_marks")
        )
    }
    assert expected <= names
