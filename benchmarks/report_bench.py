"""Time the managers' reports on PostgreSQL with 1,000,000 inquiries.

    .venv/bin/python benchmarks/report_bench.py postgresql://postgres@127.0.0.1:5432/test [--rows 1000000]

Creates (and drops first) the schema ``report_bench``, migrates it, fills it with COPY — inquiries spread over
two years (2025-2026, about 1,370 a day), one draft for 90 % of them (12 % edited, 5 % re-routed, 3 %
rejected), an audit event per re-route, 1 % failed outbox rows — then computes the derived report columns once (``store.settle``, timed: the
first report after an upgrade does this) and prints the time of each measure and of the whole report for a
month, a quarter and a year. ``--keep`` leaves the data for a second run
(``--reuse``); ``--rebuild-rollups`` times a full rebuild of the per-day rollups (store/rollups.py) first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, text
from sqlalchemy.engine import Engine

from desk.business_hours import DeskHours
from store import reports
from store.db import make_engine, migrate
from store.models import AuditEvent, Draft, Inquiry, Outbox
from store.settle import settle

SCHEMA = "report_bench"
JST = ZoneInfo("Asia/Tokyo")
INTENTS = ["bill_inquiry", "password_reset", "mypage_login", "usage_data", "invoice_download",
           "payment_due_date", "cancellation", "contract_power", "name_change", "outage", "other"]  # fmt: skip
WEIGHTS = [20, 12, 10, 9, 8, 7, 5, 5, 4, 2, 18]
OTHER_TEXTS = ["請求書の宛名を英語表記にできますか", "停電時の連絡先を教えてください", "見積りをお願いしたい",
               "領収書を発行してほしい", "担当者が異動します", "打ち合わせの日程を変更したい"]  # fmt: skip
START = dt.datetime(2025, 1, 1, tzinfo=JST)
SPAN = (dt.datetime(2027, 1, 1, tzinfo=JST) - START).total_seconds()


def _copy(engine: Engine, table: Table, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY rows into ``table`` through psycopg; NOT NULL columns not listed get their plain default."""
    extra = [c for c in table.columns if not c.nullable and not c.primary_key and c.name not in columns]
    fill = tuple(_blank(c) for c in extra)
    names = ", ".join([*columns, *(c.name for c in extra)])
    count = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row((*row, *fill))
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def _blank(column: Any) -> Any:
    kind = type(column.type).__name__
    if kind == "JSON":
        return "[]" if column.name in {"intents", "attachments", "contract_ids", "flags", "thread_ids",
                                       "missing", "notes"} else "{}"  # fmt: skip
    if kind == "Boolean":
        return False
    if kind in {"Integer", "BigInteger"}:
        return 0
    return ""


def _arrival(i: int, n: int) -> dt.datetime:
    """Inquiry ``i``'s arrival, give or take the minute of jitter ``_inquiries`` adds."""
    return START + dt.timedelta(seconds=SPAN * (i - 1) / n)


def _inquiries(n: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        received = _arrival(i, n) + dt.timedelta(seconds=rng.random() * 60)
        kind = "inquiry" if rng.random() > 0.04 else rng.choice(["auto_reply", "bounce"])
        intent = rng.choices(INTENTS, WEIGHTS)[0]
        answered = rng.random() < 0.97
        first = received + dt.timedelta(hours=rng.expovariate(1 / 20)) if answered else None
        resolved = (
            first + dt.timedelta(hours=rng.expovariate(1 / 30)) if first and rng.random() < 0.9 else None
        )
        status = "answered" if answered else rng.choice(["received", "drafted", "failed"])
        assignee = rng.choice([None, "sato", "suzuki", "tanaka"])
        subject = rng.choice(OTHER_TEXTS) if intent == "other" else "お問い合わせ"
        yield (i, "email" if i % 5 else "slack", f"<b{i}@example.com>", kind, status, received,
               intent, json.dumps([{"intent": intent, "score": 0.8}]), rng.random() < 0.7, assignee,
               first, resolved, subject, subject + "。よろしくお願いいたします。")  # fmt: skip


INQUIRY_COLUMNS = ["id", "channel", "external_id", "kind", "status", "received_at", "primary_intent", "intents",
                   "identity_verified", "assignee", "first_response_at", "resolved_at", "subject", "text"]  # fmt: skip


def _drafts(n: int, rng: random.Random, events: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    base = "お問い合わせいただきありがとうございます。ご請求金額についてご案内いたします。" * 4
    draft_id = 0
    for i in range(1, n + 1):
        if rng.random() > 0.9:
            continue
        intent = rng.choices(INTENTS, WEIGHTS)[0]
        roll = rng.random()
        draft_id += 1
        if roll < 0.05:
            target = rng.choice(INTENTS)
            at = _arrival(i, n) + dt.timedelta(minutes=1, hours=rng.expovariate(1 / 4))
            events.append(
                (i, draft_id, at, "slack:U1", "rerouted", json.dumps({"from": [intent], "to": [target]}))
            )
            yield (draft_id, i, "superseded", json.dumps([intent]), base, None)
        elif roll < 0.08:
            yield (draft_id, i, "rejected", json.dumps([intent]), base, None)
        elif roll < 0.20:
            yield (
                draft_id,
                i,
                "sent",
                json.dumps([intent]),
                base,
                base[: rng.randint(40, 200)] + "追記いたします。",
            )
        else:
            yield (draft_id, i, "sent", json.dumps([intent]), base, None)


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


REPORT_INDEXES = (
    "ix_inquiry_kind_received",
    "ix_inquiry_open",
    "ix_draft_received",
    "ix_draft_edited",
    "ix_draft_edited_received",
)


def ensure_report_indexes(engine: Engine) -> None:
    """(Re)build the reports' covering indexes as store/models.py defines them, whether or not the migration
    already has them, then VACUUM so index-only scans need no heap visits (autovacuum's job in production)."""
    tables = [_table(m) for m in (Inquiry, Draft)]
    with engine.begin() as conn:
        for table in tables:
            for index in table.indexes:
                if index.name in REPORT_INDEXES:
                    conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
                    index.create(conn)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for name in ("inquiry", "draft", "audit_event", "outbox", "rollup_census", "rollup_minutes",
                     "rollup_drafts", "report_dirty"):  # fmt: skip
            conn.execute(text(f"VACUUM (ANALYZE) {name}"))


def generate(engine: Engine, n: int) -> None:
    rng = random.Random(20260508)
    tables = {m: _table(m) for m in (Inquiry, Draft, AuditEvent, Outbox)}
    t0 = time.perf_counter()
    _copy(engine, tables[Inquiry], INQUIRY_COLUMNS, _inquiries(n, rng))
    events: list[tuple[Any, ...]] = []
    drafts = _copy(engine, tables[Draft], ["id", "inquiry_id", "status", "intents", "text", "edited_text"],
                   _drafts(n, rng, events))  # fmt: skip
    _copy(
        engine,
        tables[AuditEvent],
        ["inquiry_id", "draft_id", "at", "actor", "action", "detail"],
        iter(events),
    )
    failed = (
        (f"reply:{i}", i, "email", "x@example.com", "failed", _arrival(i, n) + dt.timedelta(hours=20))
        for i in range(1, n + 1, 100)
    )
    columns = ["dedupe_key", "inquiry_id", "channel", "recipient", "status", "created_at"]
    _copy(engine, tables[Outbox], columns, failed)
    with engine.begin() as conn:
        for table in ("inquiry", "draft", "audit_event", "outbox"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
    ensure_report_indexes(engine)
    print(
        f"generated {n:,} inquiries, {drafts:,} drafts, {len(events):,} re-routes in {time.perf_counter() - t0:.1f} s"
    )


def backfill(engine: Engine) -> None:
    """Compute the derived report columns of every row once (what the first report after the upgrade to
    migration 0002, or after a change of desk hours, does), then refresh the planner's statistics."""
    t0 = time.perf_counter()
    result = settle(engine, DeskHours())
    if result.inquiries or result.drafts:
        print(
            f"settle: {result.inquiries:,} inquiry durations and {result.drafts:,} drafts "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        ensure_report_indexes(engine)


def rebuild_rollups(engine: Engine) -> None:
    """Forget the rollups' zone, so the next settle rebuilds every rollup from the raw rows (what the first
    settle after migration 0005 does), and time that settle."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM report_basis WHERE name = 'rollup_zone'"))
    t0 = time.perf_counter()
    result = settle(engine, DeskHours())
    print(f"rollups rebuilt from every row (and vacuumed) in {time.perf_counter() - t0:.1f} s "
          f"(rollup_days={result.rollup_days})")  # fmt: skip


def _time(label: str, func: Callable[[], Any], repeat: int = 3) -> float:
    """Run ``func`` ``repeat`` times; print the median wall time and the median CPU time of this process
    (the rest of the wall time is spent in PostgreSQL or waiting for a shared core)."""
    runs = sorted(_once(func) for _ in range(repeat))
    wall = statistics.median(w for w, _ in runs)
    cpu = statistics.median(c for _, c in runs)
    print(f"  {label:<28} {wall * 1000:8.1f} ms  (python cpu {cpu * 1000:7.1f} ms)")
    return wall


def _once(func: Callable[[], Any]) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - t0, time.process_time() - c0


def _time_fold(engine: Engine, hours: DeskHours, changes: int = 500) -> None:
    """What a settle costs when staff worked in between: ``changes`` inquiries of the last two weeks
    re-routed (a Core UPDATE, so only the triggers see it), then one settle folds their days."""
    with engine.begin() as conn:
        ids = (
            conn.execute(
                text("SELECT id FROM inquiry WHERE received_at >= :since ORDER BY id LIMIT :n"),
                {"since": dt.datetime(2026, 12, 17, tzinfo=JST), "n": changes},
            )
            .scalars()
            .all()
        )
        conn.execute(
            text("UPDATE inquiry SET primary_intent = CASE WHEN primary_intent = 'other' THEN 'outage' "
                 "ELSE 'other' END WHERE id = ANY(:ids)"),
            {"ids": list(ids)},
        )  # fmt: skip
    t0 = time.perf_counter()
    result = settle(engine, hours)
    print(f"  settle after {len(ids)} re-routes     {(time.perf_counter() - t0) * 1000:8.1f} ms  "
          f"({result.rollup_days} days folded)")  # fmt: skip


def run(engine: Engine) -> None:
    hours = DeskHours()
    now = dt.datetime(2026, 12, 31, 12, tzinfo=JST)
    cases = [
        ("month by day (2026-06)", reports.ReportRange(dt.date(2026, 6, 1), dt.date(2026, 6, 30), "day")),
        ("quarter by week (2026 Q2)", reports.ReportRange(dt.date(2026, 4, 1), dt.date(2026, 6, 30), "week")),
        # `madoguchi report --by month` shows the last six months by default.
        (
            "six months by month (2026 H1)",
            reports.ReportRange(dt.date(2026, 1, 1), dt.date(2026, 6, 30), "month"),
        ),
        ("year by month (2026)", reports.ReportRange(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "month")),
    ]
    _time("settle (nothing new)", partial(settle, engine, hours))
    _time_fold(engine, hours)
    for name, rng in cases:
        print(name)
        with engine.connect() as conn:
            _time("volumes", partial(reports.volumes, conn, rng))
            _time(
                "response_times",
                partial(reports.response_times, conn, rng, hours=hours, target_hours=7, now=now),
            )
            _time("draft_quality", partial(reports.draft_quality, conn, rng))
            _time("reroutes", partial(reports.reroutes, conn, rng))
            _time("queue", partial(reports.queue, conn, hours=hours, now=now))
            _time("unmatched_clusters", partial(reports.unmatched_clusters, conn, rng))
            _time("intake", partial(reports.intake, conn, rng))
        whole = partial(reports.build_report, engine, rng, hours=hours, target_hours=7, now=now)
        _time("whole report", whole)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", help="PostgreSQL URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="time an existing report_bench schema")
    parser.add_argument("--keep", action="store_true", help="leave the schema for --reuse")
    parser.add_argument("--reindex", action="store_true", help="with --reuse: rebuild the report indexes")
    parser.add_argument(
        "--rebuild-rollups", action="store_true", help="time a full rebuild of the per-day rollups first"
    )
    args = parser.parse_args()
    url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = make_engine(url)
    if not args.reuse:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(url, schema=SCHEMA)
    try:
        migrate(engine)
        if not args.reuse:
            generate(engine, args.rows)
        backfill(engine)
        if args.reindex:
            ensure_report_indexes(engine)
        if args.rebuild_rollups:
            rebuild_rollups(engine)
        run(engine)
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
