"""End to end with 1, 2 and 3 ``madoguchi serve`` processes on one PostgreSQL (the same script for each).

Each run: a fresh database, N workers started, M inquiry mails APPENDed to a private Dovecot, every draft
approved through signed Slack requests spread over the workers, and the clock stops when the SMTP sink has
received every reply. Messages/s = M / (first APPEND → last reply received). Needs root (Dovecot) and a
PostgreSQL that may CREATE DATABASE.

    .venv/bin/python benchmarks/workers_bench.py [--messages 500] [--workers 1 2 3]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlmodel import Session, select

from store.db import make_engine
from store.models import Draft, DraftStatus
from tests.bot.email.helpers import append
from tests.bot.slack.fake_slack import FakeSlack
from tests.services.cluster import Cluster, inquiry_mail
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink


async def one_run(workers: int, messages: int, url: str) -> float:
    root = Path(tempfile.mkdtemp(prefix="madoguchi-wbench-"))
    root.chmod(0o755)
    imap = Dovecot(root / "dovecot")
    imap.configure()
    imap.start()
    smtp = SmtpSink()
    smtp.start()
    slack = FakeSlack()
    await slack.start()
    cluster = Cluster(admin_url=url, root=root, imap=imap, smtp=smtp, slack=slack, lease_seconds=60)
    try:
        await cluster.start(workers)
        engine = make_engine(cluster.url)
        run = uuid.uuid4().hex[:6]
        raws = [inquiry_mail(n, run) for n in range(messages)]
        started = time.perf_counter()
        await asyncio.to_thread(append, imap, *raws)
        clicked: set[int] = set()

        def pending() -> list[tuple[int, int]]:
            with Session(engine) as s:
                stmt = select(Draft.inquiry_id, Draft.id).where(Draft.status == DraftStatus.PENDING)
                return [(int(i), int(d or 0)) for i, d in s.exec(stmt).all()]

        async with aiohttp.ClientSession() as http:
            while len(smtp.messages) < messages:
                batch = [(i, d) for i, d in await asyncio.to_thread(pending) if d not in clicked]
                for start in range(0, len(batch), 8):
                    chunk = batch[start : start + 8]
                    await asyncio.gather(*(cluster.approve(http, i, d, n) for n, (i, d) in enumerate(chunk)))
                    clicked.update(d for _i, d in chunk)
                if not batch:
                    await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        engine.dispose()
        return elapsed
    finally:
        await cluster.stop()
        await slack.stop()
        smtp.stop()
        imap.stop()
        shutil.rmtree(root, ignore_errors=True)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=500)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument(
        "--database-url",
        default=os.environ.get("MADOGUCHI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f}; {args.messages} messages per run")
    for n in args.workers:
        elapsed = await one_run(n, args.messages, args.database_url)
        print(
            f"{n} worker(s): {args.messages} messages in {elapsed:.1f} s = {args.messages / elapsed:.1f} msg/s "
            f"(APPEND → reply received, approvals included; load {os.getloadavg()[0]:.2f})",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
