"""What the rollup triggers cost a writer: single-row transactions on PostgreSQL, with and without them.

    .venv/bin/python benchmarks/rollup_marks_bench.py postgresql://postgres@127.0.0.1:5432/test [--rows 2000] [--rounds 3]

Creates (and drops) the schema ``marks_bench``, migrates it, then times ``--rows`` inquiry inserts and as
many re-routes (``UPDATE … SET primary_intent``), one transaction each as the intake and staff do, first with
the triggers of migration 0005 (each write also inserts a mark into ``report_dirty``) and with the triggers
disabled, in alternating rounds. Prints the median over rounds of the mean time per transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.db import make_engine, migrate

SCHEMA = "marks_bench"
TABLES = ("inquiry", "draft")


def _writes(engine: Engine, rows: int, tag: str) -> tuple[float, float]:
    base = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    insert = text(
        "INSERT INTO inquiry (channel, external_id, kind, status, sender, sender_name, sender_kind, reply_to, "
        "subject, text, received_at, intents, primary_intent, entities, attachments, contract_ids, "
        "identity_verified, urgent, flags, thread_ids) VALUES ('email', :ext, 'inquiry', 'received', '', '', "
        "'unknown', '', '', '', :at, '[]', 'other', '{}', '[]', '[]', false, false, '[]', '[]') RETURNING id"
    )
    ids = []
    t0 = time.perf_counter()
    for i in range(rows):
        with engine.begin() as conn:
            at = base + dt.timedelta(minutes=i)
            ids.append(conn.execute(insert, {"ext": f"<{tag}{i}>", "at": at}).scalar_one())
    inserts = (time.perf_counter() - t0) / rows
    reroute = text("UPDATE inquiry SET primary_intent = 'outage' WHERE id = :id")
    t0 = time.perf_counter()
    for row_id in ids:
        with engine.begin() as conn:
            conn.execute(reroute, {"id": row_id})
    return inserts, (time.perf_counter() - t0) / rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(url, schema=SCHEMA)
    try:
        migrate(engine)
        # Alternating rounds, so a neighbour's burst of load does not land on one side only.
        results: dict[str, list[tuple[float, float]]] = {"with marks": [], "without": []}
        for round_no in range(args.rounds):
            for label, switch in (("with marks", "ENABLE"), ("without", "DISABLE")):
                with engine.begin() as conn:
                    for table in TABLES:
                        conn.execute(text(f"ALTER TABLE {table} {switch} TRIGGER USER"))
                results[label].append(_writes(engine, args.rows, f"{switch}{round_no}-"))
        for label, runs in results.items():
            ins = statistics.median(r[0] for r in runs)
            upd = statistics.median(r[1] for r in runs)
            print(f"{label:<12} insert {ins * 1000:6.2f} ms   re-route {upd * 1000:6.2f} ms  per transaction")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
