"""IMAP intake against a real Dovecot: storing, filing, checkpoints, IDLE and faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.backoff import Backoff
from bot.email.intake import MAX_HANDLE_FAILURES, ImapIntake, load_checkpoint
from bot.email.parse import ParseOptions
from desk.message import IncomingMessage
from store.models import MailboxCheckpoint
from tests.bot.email.helpers import (
    append,
    folder_uids,
    imap_settings,
    inquiries,
    plain_mail,
    store_handler,
    wait_for,
)
from tests.services.dovecot import Dovecot

CORPUS = Path(__file__).with_name("corpus")
OPTIONS = ParseOptions(desk_address="support@desk.example.jp", form_senders=("form@portal.egmkt.co.jp",))
FAST = Backoff(base=0.1, max_delay=0.5, jitter=0)


def intake(engine: Engine, server: Dovecot, handle, **overrides) -> ImapIntake:  # type: ignore[no-untyped-def]
    return ImapIntake(
        engine=engine,
        settings=imap_settings(server, **overrides),
        handle=handle,
        options=OPTIONS,
        backoff=FAST,
        timeout=5,
    )


@contextlib.asynccontextmanager
async def running(reader: ImapIntake) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(reader.run())
    try:
        yield task
    finally:
        reader.stop()
        await asyncio.wait_for(task, timeout=15)


async def test_new_mail_is_stored_then_marked_read_moved_and_checkpointed(
    engine: Engine, imap_server: Dovecot
) -> None:
    raws = [
        (CORPUS / n).read_bytes()
        for n in ("05_iso2022jp_nec_body.eml", "30_form_portal_utf8.eml", "21_auto_submitted.eml")
    ]
    append(imap_server, *raws)
    reader = intake(engine, imap_server, store_handler(engine))
    assert await reader.run_once() == 3
    rows = inquiries(engine)
    assert [(r.channel, r.kind, r.sender) for r in rows] == [
        ("email", "inquiry", "yamada@example.com"),
        ("form", "inquiry", "sugiyama@fujimi-seiko.co.jp"),
        ("email", "auto_reply", "yamada@example.com"),
    ]
    assert rows[0].text == "①請求書の件\n㈱山田商事　№12\n期間：4月～6月\nⅢ号棟\n"
    assert folder_uids(imap_server, "INBOX") == {}
    processed = folder_uids(imap_server, "Processed")
    assert len(processed) == 3 and all(b"\\Seen" in flags for flags in processed.values())
    checkpoint = load_checkpoint(engine, "INBOX")
    assert checkpoint is not None and checkpoint.last_uid == 3


async def test_received_at_comes_from_internaldate(engine: Engine, imap_server: Dovecot) -> None:
    append(imap_server, (CORPUS / "01_utf8_8bit.eml").read_bytes())
    seen: list[IncomingMessage] = []

    async def handle(m: IncomingMessage) -> None:
        seen.append(m)

    await intake(engine, imap_server, handle).run_once()
    # The Date header says 2025-06-03; the server stamped the APPEND with today's date.
    assert seen[0].received_at.year >= 2026 or seen[0].received_at.date().isoformat() != "2025-06-03"
    assert seen[0].received_at.tzinfo is not None


async def test_crash_after_store_commit_before_flag_processes_nothing_twice(
    engine: Engine, imap_server: Dovecot
) -> None:
    append(imap_server, plain_mail(1), plain_mail(2))
    store = store_handler(engine)

    async def commit_then_die(m: IncomingMessage) -> None:
        await store(m)
        raise KeyboardInterrupt  # the process "dies" right after the pipeline's commit

    with pytest.raises(KeyboardInterrupt):
        await intake(engine, imap_server, commit_then_die).run_once()
    assert len(inquiries(engine)) == 1
    assert len(folder_uids(imap_server, "INBOX")) == 2  # nothing was flagged or moved

    calls: list[str] = []
    assert await intake(engine, imap_server, store_handler(engine, calls)).run_once() == 2
    assert calls == ["<m1@example.com>", "<m2@example.com>"]  # m1 handed over again ...
    assert [r.external_id for r in inquiries(engine)] == calls  # ... but stored once
    assert folder_uids(imap_server, "INBOX") == {}


async def test_handler_error_leaves_message_unfiled_for_retry(engine: Engine, imap_server: Dovecot) -> None:
    append(imap_server, plain_mail(1))

    async def failing(m: IncomingMessage) -> None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        await intake(engine, imap_server, failing).run_once()
    flags = folder_uids(imap_server, "INBOX")
    assert len(flags) == 1 and all(b"\\Seen" not in f for f in flags.values())
    cp = load_checkpoint(engine, "INBOX")
    assert cp is not None and cp.last_uid == 0


async def test_new_uidvalidity_restarts_from_the_first_uid(engine: Engine, imap_server: Dovecot) -> None:
    with Session(engine) as s:
        s.add(MailboxCheckpoint(mailbox="INBOX", uidvalidity=1, last_uid=500))
        s.commit()
    append(imap_server, plain_mail(1))
    assert await intake(engine, imap_server, store_handler(engine)).run_once() == 1
    cp = load_checkpoint(engine, "INBOX")
    assert cp is not None and cp.uidvalidity != 1 and cp.last_uid == 1


async def test_idle_picks_up_mail_arriving_while_running(engine: Engine, imap_server: Dovecot) -> None:
    reader = intake(engine, imap_server, store_handler(engine))
    async with running(reader):
        await asyncio.sleep(0.5)
        append(imap_server, plain_mail(7))
        await wait_for(lambda: len(inquiries(engine)) == 1)
    assert inquiries(engine)[0].external_id == "<m7@example.com>"


async def test_polling_mode_for_a_server_without_idle(
    engine: Engine, imap_server: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dovecot always offers IDLE; the client is made to see a server that does not.
    original = IMAPClient.has_capability
    monkeypatch.setattr(IMAPClient, "has_capability", lambda self, cap: cap != "IDLE" and original(self, cap))
    reader = intake(engine, imap_server, store_handler(engine), poll_seconds=0.3)
    async with running(reader):
        append(imap_server, plain_mail(8))
        await wait_for(lambda: len(inquiries(engine)) == 1)
    assert inquiries(engine)[0].external_id == "<m8@example.com>"


async def test_server_restart_mid_idle_reconnects_and_continues(engine: Engine, imap_server: Dovecot) -> None:
    reader = intake(engine, imap_server, store_handler(engine))
    async with running(reader):
        append(imap_server, plain_mail(1))
        await wait_for(lambda: len(inquiries(engine)) == 1)
        await asyncio.sleep(0.5)  # now in IDLE
        await asyncio.to_thread(imap_server.restart)
        append(imap_server, plain_mail(2))
        await wait_for(lambda: len(inquiries(engine)) == 2)
    assert [r.external_id for r in inquiries(engine)] == ["<m1@example.com>", "<m2@example.com>"]
    assert folder_uids(imap_server, "INBOX") == {}


class DroppingProxy:
    """A TCP proxy in front of Dovecot that cuts the connection the first time a client sends FETCH."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.drops = 0
        self.armed = True
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, watch: bool) -> None:
            try:
                while data := await src.read(65536):
                    if watch and self.armed and b"FETCH" in data.upper():
                        self.armed = False
                        self.drops += 1
                        break
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for w in (writer, up_w):
                    w.close()

        await asyncio.gather(pipe(reader, up_w, True), pipe(up_r, writer, False))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_connection_cut_during_fetch_loses_nothing(engine: Engine, imap_server: Dovecot) -> None:
    proxy = DroppingProxy(imap_server.port)
    port = await proxy.start()
    append(imap_server, plain_mail(1), plain_mail(2))
    calls: list[str] = []
    reader = intake(engine, imap_server, store_handler(engine, calls), port=port)
    try:
        async with running(reader):
            await wait_for(lambda: len(inquiries(engine)) == 2)
            await wait_for(lambda: folder_uids(imap_server, "INBOX") == {})
    finally:
        await proxy.close()
    assert proxy.drops == 1
    assert [r.external_id for r in inquiries(engine)] == ["<m1@example.com>", "<m2@example.com>"]
    assert len(folder_uids(imap_server, "Processed")) == 2


async def test_message_failing_repeatedly_is_left_unread_and_does_not_block_the_next(
    engine: Engine, imap_server: Dovecot
) -> None:
    append(imap_server, plain_mail(1), plain_mail(2))
    store = store_handler(engine)

    async def poison_first(m: IncomingMessage) -> None:
        if m.external_id == "<m1@example.com>":
            raise RuntimeError("pipeline bug")
        await store(m)

    reader = intake(engine, imap_server, poison_first)
    for _ in range(MAX_HANDLE_FAILURES - 1):
        with pytest.raises(RuntimeError):
            await reader.run_once()
    assert inquiries(engine) == []
    assert await reader.run_once() == 2
    assert [r.external_id for r in inquiries(engine)] == ["<m2@example.com>"]
    inbox = folder_uids(imap_server, "INBOX")
    assert list(inbox) == [1] and b"\\Seen" not in inbox[1]  # left for a person, unread
    assert len(folder_uids(imap_server, "Processed")) == 1
