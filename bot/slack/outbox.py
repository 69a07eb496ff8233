"""Posting approved replies of Slack inquiries into the customer's thread.

A row is claimed with a conditional UPDATE (queued → sending) so two senders never post the same reply.
If the process dies after Slack accepted the post but before ``record_sent``, the row stays ``sending``;
once its lease has run out (store/claims.py) it is failed for staff to check rather than posted again (never
twice, never silently). A row another live process is posting is never touched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.backoff import Backoff
from bot.logs import FailureLog
from bot.slack.blockkit import escape_mrkdwn
from bot.slack.poster import parse_ref, wait_any
from bot.slack.staff import slack_error
from desk import actions
from store import claims
from store.db import session_scope
from store.models import Outbox, OutboxStatus, utcnow

log = logging.getLogger(__name__)

# Slack errors that no retry can fix.
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "invalid_thread_ts",
    }
)
# A chat.postMessage is bounded by the client's timeout; a row still "sending" after this lost its sender.
LEASE = dt.timedelta(minutes=5)
STALE_SENDING = "送信中に処理が中断しました。お客さまのスレッドに返信が投稿済みか確認してください。"


class SlackOutboxSender:
    def __init__(
        self,
        *,
        engine: Engine,
        client: AsyncWebClient,
        on_sent: Callable[[int], Awaitable[None]] | None = None,
        backoff: Backoff | None = None,
        max_attempts: int = 8,
        poll_seconds: float = 10.0,
    ) -> None:
        self.engine = engine
        self.client = client
        self.on_sent = on_sent  # e.g. refresh the inquiry's card
        self.backoff = backoff or Backoff(base=5.0, max_delay=600.0)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.state = "idle"

    def wake(self) -> None:
        self._wake.set()

    def _due(self, now: dt.datetime) -> list[int]:
        with Session(self.engine) as session:
            stmt = (
                select(Outbox.id)
                .where(Outbox.channel == "slack", Outbox.status == OutboxStatus.QUEUED)
                .where((col(Outbox.next_attempt_at).is_(None)) | (col(Outbox.next_attempt_at) <= now))
                .order_by(col(Outbox.id))
            )
            return [i for i in session.exec(stmt).all() if i is not None]

    def _claim(self, outbox_id: int) -> Outbox | None:
        with session_scope(self.engine) as session:
            if not claims.claim_one(session, outbox_id=outbox_id, now=utcnow(), lease=LEASE):
                return None
            session.commit()
            row = session.get(Outbox, outbox_id)
            if row is not None:
                session.expunge(row)
            return row

    def _sent(self, outbox_id: int) -> None:
        with session_scope(self.engine) as session:
            actions.record_sent(session, outbox_id=outbox_id, at=utcnow())

    def _failed(self, row: Outbox, error: str, permanent: bool) -> None:
        permanent = permanent or row.attempts >= self.max_attempts
        retry_at = None if permanent else utcnow() + dt.timedelta(seconds=self.backoff.delay(row.attempts))
        with session_scope(self.engine) as session:
            actions.record_failed(
                session, outbox_id=row.id or 0, error=error, permanent=permanent, next_attempt_at=retry_at
            )

    def recover_stale(self, now: dt.datetime | None = None) -> int:
        """Fail rows whose sender died while ``sending`` (lease run out); a live sender's rows are left alone."""
        with session_scope(self.engine) as session:
            rows = claims.abandoned(session, channel="slack", now=now or utcnow())
            for row in rows:
                actions.record_failed(session, outbox_id=row.id or 0, error=STALE_SENDING, permanent=True)
            return len(rows)

    async def send_due(self) -> int:
        """Post every due reply once; returns how many were posted."""
        sent = 0
        async with self._lock:
            for outbox_id in await asyncio.to_thread(self._due, utcnow()):
                row = await asyncio.to_thread(self._claim, outbox_id)
                if row is not None and await self._send(row):
                    sent += 1
        return sent

    async def _send(self, row: Outbox) -> bool:
        channel, thread_ts = parse_ref(row.recipient)
        if not channel or not thread_ts:
            await asyncio.to_thread(self._failed, row, f"返信先の形式が不正です: {row.recipient}", True)
            return False
        try:
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=escape_mrkdwn(row.body), unfurl_links=False
            )
        except SlackApiError as exc:
            error = slack_error(exc)
            log.warning("posting reply %s failed: %s", row.id, error)
            await asyncio.to_thread(self._failed, row, f"Slack: {error}", error in PERMANENT)
            self.state = "degraded"
            return False
        except (OSError, TimeoutError) as exc:
            log.warning("posting reply %s failed: %s", row.id, type(exc).__name__)
            await asyncio.to_thread(self._failed, row, f"接続エラー: {type(exc).__name__}", False)
            self.state = "degraded"
            return False
        await asyncio.to_thread(self._sent, row.id or 0)
        self.state = "ok"
        if self.on_sent is not None:
            await self.on_sent(row.inquiry_id)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        failures = FailureLog(log, "slack outbox pass")
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.recover_stale)
                await self.send_due()
                failures.ok()
            except Exception as exc:
                failures.failed(exc)
                self.state = "degraded"
            self._wake.clear()
            await wait_any(stop, self._wake, timeout=self.poll_seconds)
