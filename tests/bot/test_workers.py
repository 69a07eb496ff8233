"""Several real ``serve`` processes on one store, with a real Dovecot and a real SMTP receiver: every message
is stored once, every approved reply is received once, and the death of the worker reading the mailbox loses
nothing (another takes the mailbox over). On PostgreSQL three workers run and the mailbox reader is SIGKILLed
half-way; on SQLite, single-process by design, one worker runs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import urllib.parse
from pathlib import Path

import aiohttp
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from desk import actions
from store.models import Draft, Inquiry, InquiryMessage, Outbox
from tests.bot.email.helpers import append, plain_mail
from tests.bot.test_runtime import free_port, get_health
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink

FIRST, SECOND = 40, 40  # messages before and after the kill
ROOT = Path(__file__).resolve().parents[2]


def _serve_url(url: str, schema: str | None) -> str:
    """The store URL a separate process can use: on PostgreSQL the test's own schema as its search path."""
    if schema is None:
        return url
    return url + ("&" if "?" in url else "?") + "options=" + urllib.parse.quote(f"-csearch_path={schema}")


async def _start(env: dict[str, str], port: int, tmp_path: Path) -> asyncio.subprocess.Process:
    log = open(tmp_path / f"worker-{port}.log", "wb")  # noqa: SIM115 - the child writes to it until it ends
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.main", "serve",
            cwd=tmp_path, env={**env, "MADOGUCHI_HEALTH_PORT": str(port)}, stdout=log, stderr=log,
        )  # fmt: skip
    finally:
        log.close()


def _count(engine: Engine, stmt: object) -> int:
    with Session(engine) as session:
        return int(session.exec(stmt).one())  # type: ignore[call-overload]


async def _until(predicate: object, timeout: float, what: str) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await asyncio.to_thread(predicate):  # type: ignore[arg-type]
                await asyncio.sleep(0.3)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what} (worker logs in the test's tmp dir)") from None


async def test_workers_store_every_message_once_and_send_every_approved_reply_once(
    engine: Engine,
    db_url_and_schema: tuple[str, str | None],
    imap_server: Dovecot,
    smtp_server: SmtpSink,
    tmp_path: Path,
) -> None:
    url, schema = db_url_and_schema
    workers = 3 if schema is not None else 1
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")},
        "PYTHONPATH": str(ROOT),
        "MADOGUCHI_DATABASE_URL": _serve_url(url, schema),
        "MADOGUCHI_IMAP__HOST": imap_server.host,
        "MADOGUCHI_IMAP__PORT": str(imap_server.port),
        "MADOGUCHI_IMAP__SECURITY": "plain",
        "MADOGUCHI_IMAP__USERNAME": imap_server.user,
        "MADOGUCHI_IMAP__PASSWORD": imap_server.password,
        "MADOGUCHI_SMTP__HOST": smtp_server.host,
        "MADOGUCHI_SMTP__PORT": str(smtp_server.port),
        "MADOGUCHI_SMTP__SECURITY": "plain",
    }
    append(imap_server, *(plain_mail(n) for n in range(FIRST)))
    ports = [free_port() for _ in range(workers)]
    processes = {port: await _start(env, port, tmp_path) for port in ports}
    stored = select(func.count()).select_from(InquiryMessage)
    try:
        async with aiohttp.ClientSession() as http:
            await _until(lambda: _count(engine, stored) >= FIRST, 180, "first half stored")
            if workers > 1:
                # The worker reading the mailbox dies without any chance to clean up.
                reader = None
                for port in ports:
                    answer = await get_health(http, port)
                    if answer and answer[1]["components"]["email_intake"]["state"] == "running":
                        reader = port
                assert reader is not None
                processes[reader].send_signal(signal.SIGKILL)
                await processes[reader].wait()
                del processes[reader]
            append(imap_server, *(plain_mail(n) for n in range(FIRST, FIRST + SECOND)))
            total = FIRST + SECOND
            drafted = select(func.count()).select_from(Inquiry).where(col(Inquiry.status) == "drafted")
            await _until(lambda: _count(engine, drafted) >= total, 180, "every message drafted")

            with Session(engine) as session:
                inquiries = session.exec(select(Inquiry)).all()
                for inquiry in inquiries:
                    draft = actions.current_draft(session, inquiry.id or 0)
                    assert draft is not None
                    actions.approve(session, draft_id=draft.id or 0, actor="cli:test")
                session.commit()
            sent = select(func.count()).select_from(Outbox).where(col(Outbox.status) == "sent")
            await _until(lambda: _count(engine, sent) >= total, 180, "every reply sent")
            await asyncio.sleep(1.0)  # nothing more may arrive

        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            codes = [await p.wait() for p in processes.values()]
        assert codes == [0] * len(codes)
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.kill()
                await process.wait()

    with Session(engine) as session:
        ids = session.exec(select(InquiryMessage.external_id)).all()
        drafts = session.exec(select(func.count()).select_from(Draft)).one()
    assert sorted(ids) == sorted(f"<m{n}@example.com>" for n in range(total))  # each stored once
    assert drafts == total
    replied_to = [m.message["In-Reply-To"] for m in smtp_server.messages]
    assert sorted(replied_to) == sorted(f"<m{n}@example.com>" for n in range(total))  # each sent once
