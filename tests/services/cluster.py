"""Several real ``madoguchi serve`` processes on one PostgreSQL database, with a real Dovecot, an SMTP sink and
the fake Slack Web API: what a desk runs when one process is not enough. Used by the worker test and by
``benchmarks/workers_bench.py``."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.db import make_engine, migrate
from tests.bot.slack.conftest import SIGNING_SECRET, SlackSim
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.services.dovecot import Dovecot, free_port
from tests.services.smtp import SmtpSink

STAFF = "USTAFF1"
TRIAGE = "CTRIAGE"


def inquiry_mail(n: int, run: str) -> bytes:
    """An inquiry from its own (unregistered) sender, so each reply can be matched to its inquiry."""
    msg = EmailMessage()
    msg["From"] = f"お客さま {n} <c{n}@cust-{run}.example>"
    msg["To"] = "support@desk.example.jp"
    msg["Subject"] = f"パスワードの再設定 {n}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<q{n}.{run}@cust.example>"
    msg.set_content(f"マイページのパスワードを忘れてしまいました。再設定の方法を教えてください。（{n}）\n")
    return bytes(msg)


@dataclass
class Worker:
    index: int
    health_port: int = field(default_factory=free_port)
    slack_port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    log: Path | None = None

    @property
    def slack_url(self) -> str:
        return f"http://127.0.0.1:{self.slack_port}/slack/events"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None


@dataclass
class Cluster:
    """``start(n)`` starts n serve processes on a database of their own (dropped by ``stop``)."""

    admin_url: str  # a PostgreSQL URL whose database may CREATE DATABASE
    root: Path
    imap: Dovecot
    smtp: SmtpSink
    slack: FakeSlack
    lease_seconds: float = 5.0
    workers: list[Worker] = field(default_factory=list)
    database: str = field(default_factory=lambda: f"madoguchi_w_{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        return make_url(self.admin_url).set(database=self.database).render_as_string(hide_password=False)

    def create_database(self) -> None:
        admin = make_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        engine = make_engine(self.url)
        migrate(engine)  # once, before the workers start (each would otherwise race to migrate)
        engine.dispose()

    def drop_database(self) -> None:
        admin = make_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()

    def env(self, worker: Worker) -> dict[str, str]:
        return {
            **os.environ,
            "MADOGUCHI_DATABASE_URL": self.url,
            "MADOGUCHI_HEALTH_PORT": str(worker.health_port),
            "MADOGUCHI_SLACK__MODE": "http",
            "MADOGUCHI_SLACK__BOT_TOKEN": BOT_TOKEN,
            "MADOGUCHI_SLACK__SIGNING_SECRET": SIGNING_SECRET,
            "MADOGUCHI_SLACK__API_URL": self.slack.api_url,
            "MADOGUCHI_SLACK__HTTP_PORT": str(worker.slack_port),
            "MADOGUCHI_SLACK__TRIAGE_CHANNEL": TRIAGE,
            "MADOGUCHI_SLACK__STAFF_USER_IDS": f'["{STAFF}"]',
            "MADOGUCHI_IMAP__HOST": self.imap.host,
            "MADOGUCHI_IMAP__PORT": str(self.imap.port),
            "MADOGUCHI_IMAP__SECURITY": "plain",
            "MADOGUCHI_IMAP__USERNAME": self.imap.user,
            "MADOGUCHI_IMAP__PASSWORD": self.imap.password,
            "MADOGUCHI_IMAP__POLL_SECONDS": "0.5",
            "MADOGUCHI_SMTP__HOST": self.smtp.host,
            "MADOGUCHI_SMTP__PORT": str(self.smtp.port),
            "MADOGUCHI_SMTP__SECURITY": "plain",
            "MADOGUCHI_SMTP__LEASE_SECONDS": str(self.lease_seconds),
            "MADOGUCHI_DESK__EMAIL": "support@desk.example.jp",
            # 1,000 inquiries from one domain within minutes is a load test here, not a flood to hold.
            "MADOGUCHI_LIMITS__DRAFTS_PER_DOMAIN": "0",
        }

    async def start(self, n: int) -> None:
        self.create_database()
        self.workers = [Worker(i) for i in range(n)]
        # One after the other, so the first one is the mailbox reader and the others stand by.
        async with aiohttp.ClientSession() as session:
            for worker in self.workers:
                worker.log = self.root / f"worker{worker.index}.log"
                with open(worker.log, "wb") as log:
                    worker.process = await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "bot.cli.main",
                        "serve",
                        cwd=self.root,
                        env=self.env(worker),
                        stdout=log,
                        stderr=log,
                    )
                await self._ready(session, worker)
                await self._reading(worker)

    async def _reading(self, worker: Worker) -> None:
        """Until the worker's mailbox reader has either taken the lock or is standing by (first pass)."""
        if worker.index > 0:
            return
        async with asyncio.timeout(30):
            while "took the imap:" not in self.log_of(worker):
                assert worker.alive, self.log_of(worker)
                await asyncio.sleep(0.1)

    async def _ready(self, session: aiohttp.ClientSession, worker: Worker) -> None:
        async with asyncio.timeout(120):
            while True:
                assert worker.alive, self.log_of(worker)
                try:
                    async with session.get(f"http://127.0.0.1:{worker.health_port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)

    def log_of(self, worker: Worker) -> str:
        return worker.log.read_text(errors="replace")[-4000:] if worker.log and worker.log.exists() else ""

    async def kill(self, index: int) -> None:
        """SIGKILL: no clean-up, no goodbye, as when a machine dies."""
        worker = self.workers[index]
        assert worker.process is not None
        worker.process.send_signal(signal.SIGKILL)
        await worker.process.wait()

    async def stop(self) -> None:
        for worker in self.workers:
            if worker.alive:
                assert worker.process is not None
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.workers:
            if worker.process is not None and worker.process.returncode is None:
                try:
                    async with asyncio.timeout(60):
                        await worker.process.wait()
                except TimeoutError:
                    worker.process.kill()
                    await worker.process.wait()
        self.drop_database()

    async def approve(self, session: aiohttp.ClientSession, inquiry_id: int, draft_id: int, n: int) -> None:
        """Click 承認 through a live worker, like a load balancer: a dead worker's request goes to the next."""
        from bot.slack import cards

        live = [w for w in self.workers if w.alive]
        for attempt in range(len(self.workers) * 3):
            worker = live[(n + attempt) % len(live)]
            try:
                reply = await SlackSim(worker.slack_url, session).click(
                    cards.APPROVE,
                    user=STAFF,
                    card=f"{TRIAGE}:1.{inquiry_id}",
                    value=f"{inquiry_id}:{draft_id}",
                )
                if reply.status == 200:
                    return
            except aiohttp.ClientConnectionError:
                live = [w for w in self.workers if w.alive] or live
            await asyncio.sleep(0.1)
        raise AssertionError(f"no worker took the approval of inquiry {inquiry_id}")
