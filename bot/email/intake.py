"""IMAP intake: new mail in the configured mailbox becomes ``IncomingMessage``s handed to the pipeline.

Order of operations for each batch of new UIDs (ascending):

1. FETCH ``BODY.PEEK[]`` + ``INTERNALDATE`` (PEEK: nothing is marked read yet), parse;
2. ``await handle(message)`` (the pipeline stores it in one transaction, idempotent on
   (channel, external_id));
3. only after every handle of the batch returned: STORE ``\\Seen``, MOVE (or COPY + ``\\Deleted`` +
   UID EXPUNGE) to the processed folder;
4. advance the checkpoint (UIDVALIDITY, last UID) in the store.

A crash before 2 completes re-reads the message next time; a crash between 2 and 4 hands it to the
pipeline again, which recognises its external_id and creates nothing new. Nothing is lost, nothing is
duplicated. A new UIDVALIDITY restarts from UID 0 with the same guarantee.

imapclient is synchronous: every IMAP call runs in ``asyncio.to_thread`` on one connection that only one
thread uses at a time. IDLE is re-issued every ``idle_seconds`` (below the 29-minute server limit); servers
without IDLE are polled every ``poll_seconds``. Any connection error reconnects after a jittered
exponential backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.backoff import Backoff
from bot.email.parse import ParseOptions, parse_email, parse_oversize_header
from bot.settings import ImapSettings, Settings
from desk.message import IncomingMessage
from store.leader import Leadership
from store.models import MailboxCheckpoint, utcnow

log = logging.getLogger(__name__)

Handle = Callable[[IncomingMessage], Awaitable[Any]]
BATCH = 50
RECHECK_SECONDS = 5.0  # leave IDLE and search anyway this often (cheap; bounds a missed notification)
STANDBY_SECONDS = 2.0  # how often a standby process tries to take over a mailbox another one reads
MAX_HANDLE_FAILURES = 5  # after this many failures of one message it is left in the mailbox, unread


def parse_options(settings: Settings) -> ParseOptions:
    """The parser options that follow from the settings (shared by intake and ``parse-email``)."""
    return ParseOptions(
        desk_address=settings.desk.email.lower(),
        form_senders=tuple(s.strip().lower() for s in settings.imap.form_senders if s.strip()),
        max_bytes=settings.imap.max_message_bytes,
        max_attachment_bytes=settings.imap.max_attachment_bytes,
        max_recipients=settings.imap.max_recipients,
        authserv_id=settings.imap.authserv_id.strip(),
    )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    uidvalidity: int
    last_uid: int


def load_checkpoint(engine: Engine, mailbox: str) -> Checkpoint | None:
    with Session(engine) as session:
        row = session.get(MailboxCheckpoint, mailbox)
        return Checkpoint(row.uidvalidity, row.last_uid) if row else None


def save_checkpoint(engine: Engine, mailbox: str, checkpoint: Checkpoint) -> None:
    with Session(engine) as session:
        row = session.get(MailboxCheckpoint, mailbox)
        if row is None:
            row = MailboxCheckpoint(mailbox=mailbox, uidvalidity=checkpoint.uidvalidity)
        row.uidvalidity, row.last_uid, row.updated_at = checkpoint.uidvalidity, checkpoint.last_uid, utcnow()
        session.add(row)
        session.commit()


def connect(settings: ImapSettings, timeout: float = 30.0) -> IMAPClient:
    """A logged-in client (blocking; call it in a thread)."""
    use_ssl = settings.security == "ssl"
    context = ssl.create_default_context() if settings.security != "plain" else None
    client = IMAPClient(settings.host, port=settings.port, ssl=use_ssl, ssl_context=context, timeout=timeout)
    try:
        if settings.security == "starttls":
            client.starttls(context)
        client.login(settings.username, settings.password.get_secret_value())
    except BaseException:
        _close(client)
        raise
    client.normalise_times = False  # INTERNALDATE keeps its timezone
    return client


def describe_error(exc: BaseException) -> str:
    """A short, secret-free description of a connection error for /healthz (type and the server's words)."""
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _wakes(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) > 1 and response[1] in (b"EXISTS", b"BYE")


def _missed_exists(client: IMAPClient) -> bool:
    """Whether the server announced new mail (EXISTS) outside IDLE, e.g. in a MOVE or the IDLE start
    response; imaplib parks those in ``untagged_responses`` where ``idle_check`` never looks, and without
    this a message appended between SEARCH and IDLE would wait for the next IDLE renewal."""
    responses = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    return isinstance(responses, dict) and responses.pop("EXISTS", None) is not None


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            log.debug("IMAP connection already gone")


class ImapIntake:
    """Reads one mailbox forever (``run``) or once (``run_once``) and calls ``handle`` per new message."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: ImapSettings,
        handle: Handle,
        options: ParseOptions | None = None,
        backoff: Backoff | None = None,
        timeout: float = 30.0,
        on_state: Callable[[bool | None, str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.handle = handle
        self.options = options or ParseOptions(max_bytes=settings.max_message_bytes)
        self.backoff = backoff or Backoff(base=1.0, max_delay=300.0)
        self.timeout = timeout
        # Told (True, "") once connected, (False, "<error>") on each loss and (None, "") when standing by for
        # another process that holds the mailbox: /healthz and /metrics.
        self.on_state = on_state or (lambda _connected, _error: None)
        self.processed = 0  # messages handed to ``handle`` and filed, since start
        self._failures: dict[tuple[int, int], int] = {}
        self._stop = threading.Event()
        # Several serve processes may share one database: exactly one of them reads this mailbox.
        self.leadership = Leadership(engine, f"imap:{settings.username}@{settings.host}/{settings.mailbox}")
        self.standby = False  # True while another process reads the mailbox

    @property
    def key(self) -> str:
        return self.settings.mailbox

    def stop(self) -> None:
        """Ask ``run`` to return (it finishes the current batch; IDLE wakes within a second)."""
        self._stop.set()

    async def run(self) -> None:
        """Process, then IDLE (or poll), until ``stop()``; reconnect with backoff on any failure.

        Only while this process holds the mailbox's lock; otherwise it stands by and takes over within
        ``STANDBY_SECONDS`` of the holder's death.
        """
        try:
            await self._run()
        finally:
            await asyncio.to_thread(self.leadership.release)

    async def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                leader = await asyncio.to_thread(self.leadership.try_acquire)
            except Exception as exc:  # the database is unreachable: nobody can store mail now anyway
                log.warning("IMAP intake cannot reach the database (%s)", type(exc).__name__)
                leader = False
            if not leader and not self.standby:
                self.on_state(None, "")  # another process reads the mailbox; this one stands by
            self.standby = not leader
            if not leader:
                await self._sleep(STANDBY_SECONDS)
                continue
            client: IMAPClient | None = None
            try:
                client = await asyncio.to_thread(connect, self.settings, self.timeout)
                await asyncio.to_thread(self._prepare, client)
                attempt = 0
                self.on_state(True, "")
                await self._serve(client)
            except Exception as exc:
                attempt += 1
                delay = self.backoff.delay(attempt)
                self.on_state(False, describe_error(exc))
                log.warning("IMAP intake interrupted (%s); reconnecting in %.1fs", type(exc).__name__, delay)
                await self._sleep(delay)
            finally:
                if client is not None:
                    await asyncio.to_thread(_close, client)

    async def run_once(self) -> int:
        """Connect, process everything pending, disconnect; returns how many messages were filed."""
        client = await asyncio.to_thread(connect, self.settings, self.timeout)
        try:
            await asyncio.to_thread(self._prepare, client)
            return await self._process_pending(client)
        finally:
            await asyncio.to_thread(_close, client)

    async def _serve(self, client: IMAPClient) -> None:
        idle = await asyncio.to_thread(client.has_capability, "IDLE")  # may send CAPABILITY
        while not self._stop.is_set() and await asyncio.to_thread(self.leadership.still_held):
            await self._process_pending(client)
            if idle:
                await asyncio.to_thread(self._idle, client)
            else:
                await self._sleep(self.settings.poll_seconds)
                await asyncio.to_thread(client.noop)

    def _prepare(self, client: IMAPClient) -> None:
        folder = self.settings.processed_folder
        if folder and not client.folder_exists(folder):
            client.create_folder(folder)
        client.select_folder(self.settings.mailbox)

    def _idle(self, client: IMAPClient) -> None:
        """Block (in a thread) until the server reports new mail, ``idle_seconds`` pass, or stop."""
        # A safety re-check every RECHECK_SECONDS: in rare runs (about 1 in 100 in the benchmark) an APPEND
        # right around the start of IDLE was never announced, and the message waited for the renewal.
        deadline = time.monotonic() + min(self.settings.idle_seconds, RECHECK_SECONDS)
        if _missed_exists(client):
            return
        client.idle()
        try:
            if _missed_exists(client):  # announced just before the server confirmed IDLE
                return
            while not self._stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
                if any(
                    isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"BYE") for r in responses
                ):
                    break
        finally:
            client.idle_done()

    async def _process_pending(self, client: IMAPClient) -> int:
        done = 0
        while True:
            uids, uidvalidity = await asyncio.to_thread(self._pending_uids, client)
            if not uids:
                return done
            filed = await self._process_batch(client, uidvalidity, uids[:BATCH])
            done += filed
            if filed < len(uids[:BATCH]):
                return done  # a message failed: leave the rest for the next round (after backoff)

    def _pending_uids(self, client: IMAPClient) -> tuple[list[int], int]:
        status = client.select_folder(self.settings.mailbox)
        _missed_exists(client)  # forget announcements the search below covers
        uidvalidity = int(status[b"UIDVALIDITY"])
        checkpoint = load_checkpoint(self.engine, self.key)
        last = checkpoint.last_uid if checkpoint and checkpoint.uidvalidity == uidvalidity else 0
        if checkpoint is None or checkpoint.uidvalidity != uidvalidity:
            save_checkpoint(self.engine, self.key, Checkpoint(uidvalidity, 0))
        # "N:*" always matches the highest UID, even below N, hence the filter.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        return uids, uidvalidity

    def _fetch(self, client: IMAPClient, uids: list[int]) -> dict[int, dict[bytes, Any]]:
        """The batch's messages; one over ``max_message_bytes`` (RFC822.SIZE, asked first) is fetched as
        its header only, so a 30 MB mail is never downloaded. It is still stored, flagged oversize, and
        filed in the processed folder with its body, where staff can open it."""
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        limit = self.options.max_bytes
        big = [u for u in uids if int(sizes.get(u, {}).get(b"RFC822.SIZE", 0) or 0) > limit]
        small = [u for u in uids if u not in big]
        fetched: dict[int, dict[bytes, Any]] = {}
        if small:
            fetched.update(client.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"]))
        if big:
            for uid, data in client.fetch(big, ["BODY.PEEK[HEADER]", "INTERNALDATE"]).items():
                size = int(sizes[uid][b"RFC822.SIZE"])
                fetched[uid] = {
                    b"HEADER": bytes(data.get(b"BODY[HEADER]") or b""),
                    b"RFC822.SIZE": size,
                    b"INTERNALDATE": data.get(b"INTERNALDATE"),
                }
        return fetched

    async def _process_batch(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> int:
        fetched = await asyncio.to_thread(self._fetch, client, uids)
        handled: list[int] = []  # done with: the checkpoint may pass them
        filed: list[int] = []  # handed to the pipeline: marked read and moved
        try:
            for uid in uids:
                data = fetched.get(uid)
                if data is not None and await self._handle_one(uidvalidity, uid, data):
                    filed.append(uid)
                handled.append(uid)  # (no data: expunged meanwhile by someone else)
        finally:  # file what the pipeline already took, even when a later message failed
            await self._finish(client, uidvalidity, handled, filed)
        return len(handled)

    async def _finish(
        self, client: IMAPClient, uidvalidity: int, handled: list[int], filed: list[int]
    ) -> None:
        if handled:
            if filed:
                await asyncio.to_thread(self._file, client, filed)
            await asyncio.to_thread(
                save_checkpoint, self.engine, self.key, Checkpoint(uidvalidity, handled[-1])
            )
            self.processed += len(handled)

    async def _handle_one(self, uidvalidity: int, uid: int, data: dict[bytes, Any]) -> bool:
        """True when the pipeline took the message; False when it was given up after repeated failures
        (raises while retries remain)."""
        internaldate = data.get(b"INTERNALDATE")
        when = internaldate if isinstance(internaldate, dt.datetime) else None
        if b"HEADER" in data:  # over the size limit: only the header was fetched
            parsed = parse_oversize_header(
                data[b"HEADER"], size=int(data[b"RFC822.SIZE"]), options=self.options, internaldate=when
            )
        else:
            parsed = parse_email(bytes(data.get(b"BODY[]") or b""), options=self.options, internaldate=when)
        try:
            await self.handle(parsed.message)
        except Exception:
            failures = self._failures.get((uidvalidity, uid), 0) + 1
            self._failures[(uidvalidity, uid)] = failures
            if failures < MAX_HANDLE_FAILURES:
                # The traceback once, on the first failure; each retry after it is one line.
                log.warning(
                    "handling IMAP UID %s failed (%d); will retry", uid, failures, exc_info=failures == 1
                )
                raise
            # A message the pipeline cannot take must not block the mailbox: it stays unread in the
            # inbox for a person, and intake moves on.
            log.error("IMAP UID %s failed %d times; left unread in the mailbox", uid, failures)
            return False
        return True

    def _file(self, client: IMAPClient, uids: list[int]) -> None:
        """Mark as read and move to the processed folder (or just mark, with no folder configured)."""
        folder = self.settings.processed_folder
        client.add_flags(uids, [b"\\Seen"], silent=True)
        if not folder:
            return
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.2, max(0.0, end - time.monotonic())))
