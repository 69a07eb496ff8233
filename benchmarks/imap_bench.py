"""IMAP intake benchmark against a private Dovecot (root + ``apt-get install dovecot-imapd dovecot-lmtpd``).

Phase 1 (throughput): N messages are APPENDed, then intake starts; time until every one is stored, filed
in Processed and checkpointed. Phase 2 (latency under IDLE): intake is idling; messages are APPENDed one
at a time and the time from APPEND completion to "stored" (or "drafted" with ``--pipeline``) is recorded.

    .venv/bin/python benchmarks/imap_bench.py [--messages 2000] [--latency 100] [--pipeline]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.email.intake import ImapIntake
from bot.email.parse import ParseOptions
from bot.settings import Settings
from desk.message import IncomingMessage
from store.db import make_engine, migrate
from tests.bot.email.helpers import client, imap_settings, plain_mail, store_handler
from tests.services.dovecot import Dovecot


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--latency", type=int, default=100, help="messages for the IDLE latency phase")
    ap.add_argument("--pipeline", action="store_true", help="hand messages to the real pipeline (drafts)")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="madoguchi-bench-"))
    root.chmod(0o755)
    server = Dovecot(root / "dovecot")
    server.configure()
    server.start()
    engine = make_engine(f"sqlite:///{root / 'bench.db'}")
    migrate(engine)
    done: dict[str, float] = {}
    if args.pipeline:
        from bot.wiring import build_pipeline

        process: Any = build_pipeline(Settings(), engine).process
    else:
        process = store_handler(engine)

    async def handle(m: IncomingMessage) -> Any:
        result = await process(m)
        done[m.external_id] = time.monotonic()
        return result

    try:
        c = client(server)
        t0 = time.monotonic()
        for n in range(args.messages):
            c.append("INBOX", plain_mail(n))
        print(f"appended {args.messages} messages in {time.monotonic() - t0:.1f}s")
        reader = ImapIntake(
            engine=engine, settings=imap_settings(server), handle=handle, options=ParseOptions(), timeout=30
        )
        t1 = time.monotonic()
        task = asyncio.create_task(reader.run())
        while reader.processed < args.messages:
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - t1
        print(
            f"throughput: {args.messages} messages processed in {elapsed:.1f}s = {args.messages / elapsed:.1f} msg/s"
        )

        latencies: list[float] = []
        await asyncio.sleep(1.0)  # idling now
        for n in range(args.messages, args.messages + args.latency):
            raw = plain_mail(n)
            await asyncio.to_thread(c.append, "INBOX", raw)
            appended = time.monotonic()
            key = f"<m{n}@example.com>"
            while key not in done:
                await asyncio.sleep(0.005)
            latencies.append(done[key] - appended)
            await asyncio.sleep(0.05)
        what = "drafted" if args.pipeline else "stored"
        print(
            f"IDLE latency append->{what} over {len(latencies)} messages: "
            f"median {statistics.median(latencies):.3f}s, p95 {p95(latencies):.3f}s, max {max(latencies):.3f}s"
        )
        reader.stop()
        await task
        c.logout()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
