"""Three ``madoguchi serve`` processes on one PostgreSQL, one of them SIGKILLed in the middle of the work.

Real parts throughout: Dovecot delivers the mail, the workers read it (one reader at a time), staff approve
through signed Slack requests spread over the workers like a load balancer would, and an SMTP sink receives
the replies. Every message must be stored once and every approved reply received at most once; a reply whose
sender died between claiming it and recording the result goes to staff as "sent or not: check" (never resent),
and nothing is lost.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from bot.email.outbox import CLAIM_BATCH, UNKNOWN_OUTCOME
from store.db import make_engine
from store.models import Draft, DraftStatus, Inquiry, InquiryMessage, Outbox
from tests.bot.email.helpers import append
from tests.bot.slack.fake_slack import FakeSlack
from tests.conftest import PG_URL
from tests.services.cluster import Cluster, inquiry_mail
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink

MESSAGES = int(os.environ.get("MADOGUCHI_WORKER_TEST_MESSAGES", "1000"))

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="several workers need PostgreSQL: set MADOGUCHI_TEST_DATABASE_URL (CI does)"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def cluster(imap_server: Dovecot, smtp_server: SmtpSink, fake: FakeSlack) -> AsyncIterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="madoguchi-workers-"))
    group = Cluster(admin_url=PG_URL, root=root, imap=imap_server, smtp=smtp_server, slack=fake)
    try:
        yield group
    finally:
        await group.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_three_workers_one_killed_store_every_message_once_and_send_every_reply_at_most_once(
    cluster: Cluster, imap_server: Dovecot, smtp_server: SmtpSink
) -> None:
    run = uuid.uuid4().hex[:6]
    await cluster.start(3)
    engine = make_engine(cluster.url)
    await asyncio.to_thread(append, imap_server, *(inquiry_mail(n, run) for n in range(MESSAGES)))
    assert "took the imap:" in cluster.log_of(cluster.workers[0])  # the first worker reads the mailbox

    def pending() -> list[tuple[int, int]]:
        with Session(engine) as s:
            rows = s.exec(select(Draft.inquiry_id, Draft.id).where(Draft.status == DraftStatus.PENDING)).all()
            return [(int(i), int(d or 0)) for i, d in rows]

    def count(model: type) -> int:
        with Session(engine) as s:
            return int(s.exec(select(func.count()).select_from(model)).one())

    clicked: set[int] = set()
    killed = False
    async with aiohttp.ClientSession() as http, asyncio.timeout(900):
        while len(clicked) < MESSAGES:
            if not killed and count(InquiryMessage) >= MESSAGES // 2:
                await cluster.kill(0)  # the mailbox reader, in the middle of intake and sending
                killed = True
            batch = [(i, d) for i, d in await asyncio.to_thread(pending) if d not in clicked]
            for start in range(0, len(batch), 8):
                chunk = batch[start : start + 8]
                await asyncio.gather(*(cluster.approve(http, i, d, n) for n, (i, d) in enumerate(chunk)))
                clicked.update(d for _i, d in chunk)
            if not batch:
                await asyncio.sleep(0.3)
        # Wait until no reply is queued or sending (a dead sender's rows are recovered after the lease).
        while True:
            with Session(engine) as s:
                open_rows = s.exec(select(func.count()).where(Outbox.status.in_(("queued", "sending")))).one()  # type: ignore[attr-defined]
            if open_rows == 0:
                break
            await asyncio.sleep(0.5)

    assert killed
    with Session(engine) as s:
        inquiries = s.exec(select(Inquiry)).all()
        rows = s.exec(select(Outbox)).all()
        message_ids = s.exec(select(InquiryMessage.external_id)).all()
    engine.dispose()
    # Every message stored exactly once.
    assert len(inquiries) == MESSAGES and len(message_ids) == MESSAGES == len(set(message_ids))
    # One reply per approved draft; every one sent, or (killed in the crash window) handed to staff.
    assert len(rows) == MESSAGES and len({r.inquiry_id for r in rows}) == MESSAGES
    received = Counter(rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos)
    assert max(received.values()) == 1  # nobody got a reply twice
    unknown = [r for r in rows if r.status == "failed"]
    assert all(r.last_error == UNKNOWN_OUTCOME.format(mid=r.message_id) for r in unknown)
    assert len(unknown) <= CLAIM_BATCH  # at most what the killed worker had claimed
    for row in rows:
        if row.status == "sent":
            assert received[row.recipient] == 1, row.recipient
    assert {r.status for r in rows} <= {"sent", "failed"}
    assert sum(received.values()) >= MESSAGES - len(unknown)
    # The survivors kept working: the mail the killed reader had not reached was read by another worker.
    assert any("took the imap:" in cluster.log_of(w) for w in cluster.workers[1:])
