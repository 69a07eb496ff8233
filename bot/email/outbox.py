"""SMTP sender for ``Outbox`` rows with ``channel="email"`` (approved replies and acknowledgements).

Exactly once, and where that ends:

1. **claim**: one committed UPDATE moves a due row ``queued → sending``, adds 1 to ``attempts`` and fixes
   ``message_id`` (kept across retries, so a receiver can de-duplicate a retried message by it);
2. send with aiosmtplib;
3. on ``250``: ``desk.actions.record_sent`` (outbox, draft and inquiry updated, audit event) in one
   transaction; on 4xx/connection errors: back to ``queued`` with ``next_attempt_at`` from the shared
   :class:`~bot.backoff.Backoff`; on 5xx (or after ``max_attempts``): ``failed`` with the reason, the
   inquiry flagged ``send_failed`` and an audit event, so staff are told.

The remaining window is between the server's ``250`` and the commit of step 3 (a crash, kill or database
outage there). Such a row is left in ``sending``. Several ``serve`` processes may share one database: each
claims due rows with ``FOR UPDATE SKIP LOCKED`` under a lease (``store/claims.py``), and every round marks
``failed`` only the ``sending`` rows whose lease has run out (their sender is gone), with
「送信済みか不明です。…確認してください」 instead of sending them again: a possible duplicate is never sent
automatically; staff check (the Message-ID is in ``last_error``) and re-queue if the customer did not get it.
A row another live process is sending is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.backoff import Backoff
from bot.email.compose import Envelope, build, new_message_id, render_ack, reply_subject, ticket_token
from bot.email.intake import Handle
from bot.email.parse import clean_address
from bot.logs import FailureLog
from bot.settings import DeskSettings, LimitSettings, SmtpSettings
from desk import actions, trust
from desk.errors import PermanentError
from desk.message import IncomingMessage
from store import claims
from store.db import session_scope
from store.models import Inquiry, Outbox, OutboxStatus, utcnow

log = logging.getLogger(__name__)

# One row per claim: the lease starts when that row's send starts (a batch would age its last rows' leases
# while the first ones are sent); other processes take the next rows meanwhile.
CLAIM_BATCH = 1
UNKNOWN_OUTCOME = (
    "送信済みか不明です（送信処理中に停止しました）。お客さまに届いているか確認してください: {mid}"
)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    outbox_id: int
    status: str  # "sent", "queued" (will retry) or "failed"
    error: str = ""


class EmailOutbox:
    def __init__(
        self,
        *,
        engine: Engine,
        smtp: SmtpSettings,
        desk: DeskSettings,
        backoff: Backoff | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.engine = engine
        self.smtp = smtp
        self.desk = desk
        self.backoff = backoff or Backoff(base=30.0, max_delay=3600.0)
        self.timeout = timeout
        # A send (connect, EHLO, STARTTLS, DATA) is bounded by a few timeouts; past this lease its sender died.
        self.lease = dt.timedelta(seconds=smtp.lease_seconds)

    # -- loop -----------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 2.0) -> None:
        """Send due rows until ``stop`` is set, recovering rows whose sender died on the way."""
        failures = FailureLog(log, "outbox round")
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.recover_stuck)
                await self.send_due()
                failures.ok()
            except Exception as exc:  # a database hiccup must not end the sender
                failures.failed(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

    async def send_due(self, now: dt.datetime | None = None) -> list[SendOutcome]:
        """Send every email row that is queued and due; returns what happened to each."""
        outcomes: list[SendOutcome] = []
        last_id = 0  # forward only: a row retried in this pass waits for the next pass
        while True:
            batch = await asyncio.to_thread(self._claim_due, now or utcnow(), CLAIM_BATCH, last_id)
            for row, inquiry in batch:
                outcomes.append(await self._send_claimed(row, inquiry))
                last_id = max(last_id, row.id or 0)
            if len(batch) < CLAIM_BATCH:
                return outcomes

    def recover_stuck(self, now: dt.datetime | None = None) -> list[int]:
        """Rows whose sender died while ``sending`` become ``failed`` for staff (see the module docstring)."""
        with session_scope(self.engine) as session:
            rows = claims.abandoned(session, channel="email", now=now or utcnow())
            for row in rows:
                assert row.id is not None
                actions.record_failed(
                    session,
                    outbox_id=row.id,
                    error=UNKNOWN_OUTCOME.format(mid=row.message_id),
                    permanent=True,
                )
            return [row.id for row in rows if row.id is not None]

    # -- one row ----------------------------------------------------------------------------------------
    async def send_one(self, outbox_id: int) -> SendOutcome | None:
        """Claim, send and record one row; ``None`` when another sender claimed it first."""
        claimed = await asyncio.to_thread(self._claim, outbox_id)
        if claimed is None:
            return None
        return await self._send_claimed(*claimed)

    async def _send_claimed(self, row: Outbox, inquiry: Inquiry) -> SendOutcome:
        try:
            message = build(
                self._envelope(row, inquiry),
                from_address=self.desk.email,
                from_name=f"{self.desk.company} {self.desk.desk_name}",
                charset=self.smtp.charset,
            )
            await self._smtp_send(message, row.recipient)
        except PermanentError as exc:
            return await self._failed(row, str(exc), permanent=True)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            return await self._failed(row, f"SMTP {text}", permanent=not all(400 <= c < 500 for c in codes))
        except aiosmtplib.SMTPResponseException as exc:
            permanent = not 400 <= exc.code < 500
            return await self._failed(row, f"SMTP {exc.code} {exc.message}", permanent=permanent)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return await self._failed(row, f"SMTP接続エラー: {type(exc).__name__}", permanent=False)
        await asyncio.to_thread(self._record_sent, row.id or 0)
        return SendOutcome(row.id or 0, OutboxStatus.SENT)

    def _claim_due(self, now: dt.datetime, limit: int, after_id: int) -> list[tuple[Outbox, Inquiry]]:
        with session_scope(self.engine) as session:
            ids = claims.claim_due(
                session,
                channel="email",
                now=now,
                lease=self.lease,
                limit=limit,
                after_id=after_id,
                message_id=lambda: new_message_id(self.desk.email),
            )
            session.commit()
            return [self._loaded(session, i) for i in ids]

    def _claim(self, outbox_id: int) -> tuple[Outbox, Inquiry] | None:
        with session_scope(self.engine) as session:
            won = claims.claim_one(
                session,
                outbox_id=outbox_id,
                now=utcnow(),
                lease=self.lease,
                message_id=lambda: new_message_id(self.desk.email),
            )
            if not won:
                return None
            session.commit()
            return self._loaded(session, outbox_id)

    @staticmethod
    def _loaded(session: Session, outbox_id: int) -> tuple[Outbox, Inquiry]:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        session.refresh(row)
        inquiry = session.get(Inquiry, row.inquiry_id)
        assert inquiry is not None
        session.expunge(row)
        session.expunge(inquiry)
        return row, inquiry

    def _envelope(self, row: Outbox, inquiry: Inquiry) -> Envelope:
        first = (
            inquiry.external_id if inquiry.channel in ("email", "form") and "@" in inquiry.external_id else ""
        )
        references = tuple(dict.fromkeys([*inquiry.thread_ids, *([first] if first else [])]))
        is_ack = row.kind == "ack"
        subject = (
            row.subject
            if is_ack and row.subject
            else reply_subject(row.subject or inquiry.subject, row.inquiry_id)
        )
        return Envelope(
            recipient=row.recipient,
            subject=subject,
            body=row.body,
            message_id=row.message_id,
            in_reply_to=first,
            references=references,
            auto_submitted=is_ack,
        )

    async def _smtp_send(self, message: object, recipient: str) -> None:
        password = self.smtp.password.get_secret_value()
        await aiosmtplib.send(
            message,  # type: ignore[arg-type]
            sender=self.desk.email,
            recipients=[recipient],
            hostname=self.smtp.host,
            port=self.smtp.port,
            username=self.smtp.username or None,
            password=password if self.smtp.username else None,
            use_tls=self.smtp.security == "ssl",
            start_tls=self.smtp.security == "starttls",
            timeout=self.timeout,
        )

    async def _failed(self, row: Outbox, error: str, *, permanent: bool) -> SendOutcome:
        give_up = permanent or row.attempts >= self.smtp.max_attempts
        retry_at = None if give_up else utcnow() + dt.timedelta(seconds=self.backoff.delay(row.attempts))
        log.warning(
            "outbox %s attempt %d failed (%s)", row.id, row.attempts, "permanent" if give_up else "retry"
        )

        def record() -> None:
            with session_scope(self.engine) as session:
                actions.record_failed(
                    session, outbox_id=row.id or 0, error=error, permanent=give_up, next_attempt_at=retry_at
                )

        await asyncio.to_thread(record)
        return SendOutcome(row.id or 0, OutboxStatus.FAILED if give_up else OutboxStatus.QUEUED, error)

    def _record_sent(self, outbox_id: int) -> None:
        with session_scope(self.engine) as session:
            actions.record_sent(session, outbox_id=outbox_id, at=utcnow())


ACK_SUBJECT = "{token} お問い合わせを受け付けました（自動送信）"  # contains ACK_MARK
ACK_SUBJECT_EN = "{token} We have received your inquiry (automatic reply)"  # contains ACK_MARK_EN


ACK_MARK = "お問い合わせを受け付けました（自動送信）"  # in every acknowledgement's subject
ACK_MARK_EN = "We have received your inquiry (automatic reply)"


@dataclass(frozen=True, slots=True)
class AckLimits:
    """How many acknowledgements one address / one domain gets per 24 hours (0: no limit)."""

    per_sender: int = 3
    per_domain: int = 30

    @classmethod
    def of(cls, settings: LimitSettings) -> AckLimits:
        return cls(settings.acks_per_sender_per_day, settings.acks_per_domain_per_day)


def answers_us(session: Session, message: IncomingMessage) -> bool:
    """Whether a message answers mail we sent (our acknowledgement or reply): it carries our ticket token,
    quotes our acknowledgement's subject, or its In-Reply-To/References names one of our Message-IDs. An
    autoresponder that omits Auto-Submitted is caught here, so it cannot start a loop with us."""
    if message.ticket_no is not None or ACK_MARK in message.subject or ACK_MARK_EN in message.subject:
        return True
    if not message.thread_ids:
        return False
    ours = select(Outbox.id).where(col(Outbox.message_id).in_(message.thread_ids)).limit(1)
    return session.exec(ours).first() is not None


def _ack_refusal(
    session: Session,
    inquiry: Inquiry,
    recipient: str,
    message: IncomingMessage | None,
    limits: AckLimits,
) -> tuple[str, str | None] | None:
    """(reason for the audit log, flag for staff) when no acknowledgement may go; None when it may."""
    flags = set(inquiry.flags)
    if trust.RATE_LIMITED in flags:
        return "rate_limited", None  # the pipeline already held it
    if flags & {trust.SUSPICIOUS_SENDER, trust.AUTH_FAIL, trust.IMPERSONATION}:
        return "untrusted_sender", None  # an ack to a forged From is backscatter to the real owner
    if message is not None and answers_us(session, message):
        return "answers_us", trust.REPLY_TO_ACK
    since = utcnow() - dt.timedelta(days=1)
    domain = recipient.rsplit("@", 1)[-1]
    for where, limit in (
        (col(Outbox.recipient) == recipient, limits.per_sender),
        (col(Outbox.recipient).like(f"%@{domain}"), limits.per_domain),
    ):
        if limit <= 0:
            continue
        stmt = select(func.count()).where(Outbox.kind == "ack", col(Outbox.created_at) >= since, where)
        if session.exec(stmt).one() >= limit:
            return "ack_limit", trust.RATE_LIMITED
    return None


def queue_ack(
    session: Session,
    *,
    inquiry: Inquiry,
    desk: DeskSettings,
    today: dt.date,
    message: IncomingMessage | None = None,
    limits: AckLimits | None = None,
    language: str | None = None,
) -> Outbox | None:
    """Queue the 受付 acknowledgement for a new inquiry: only real inquiries by email/form, only to a
    plausible single address, at most once per inquiry (thread) per day (the dedupe key says so), never to
    mail answering us, to an untrusted sender or past the per-address / per-domain daily limits. A refusal
    is audited and, where staff should know, flagged on the inquiry.

    English inquiries get it in English: ``language``, else the language stored on the inquiry (when the
    store has that column), else Japanese."""
    if inquiry.id is None or inquiry.kind != "inquiry" or inquiry.channel not in ("email", "form"):
        return None
    recipient = clean_address(inquiry.reply_to or inquiry.sender)
    if not recipient:
        return None
    key = f"ack:{inquiry.id}:{today.isoformat()}"
    if session.exec(select(Outbox).where(Outbox.dedupe_key == key)).first() is not None:
        return None
    refusal = _ack_refusal(session, inquiry, recipient, message, limits or AckLimits())
    if refusal is not None:
        reason, flag = refusal
        if flag is not None and flag not in inquiry.flags:
            inquiry.flags = [*inquiry.flags, flag]
            session.add(inquiry)
        actions.audit(session, action="ack_skipped", actor="system", inquiry_id=inquiry.id, reason=reason)
        return None
    token = ticket_token(inquiry.id)
    english = (language or getattr(inquiry, "language", None) or "ja") == "en"
    body = render_ack(
        ticket=f"{inquiry.id:06d}",
        name=inquiry.sender_name,
        subject=inquiry.subject,
        desk={
            "company": (desk.company_en or desk.company) if english else desk.company,
            "desk_name": (desk.desk_name_en or desk.desk_name) if english else desk.desk_name,
            "hours_text": (desk.hours_text_en or desk.hours_text) if english else desk.hours_text,
            "phone": desk.phone,
            "email": desk.email,
        },
        language="en" if english else "ja",
    )
    row = Outbox(
        dedupe_key=key,
        inquiry_id=inquiry.id,
        channel="email",
        kind="ack",
        recipient=recipient,
        subject=(ACK_SUBJECT_EN if english else ACK_SUBJECT).format(token=token),
        body=body,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # queued concurrently
        return None
    actions.audit(session, action="ack_queued", actor="system", inquiry_id=inquiry.id)
    return row


def acknowledging(
    handle: Handle,
    *,
    engine: Engine,
    desk: DeskSettings,
    tz: str = "Asia/Tokyo",
    limits: AckLimits | None = None,
) -> Handle:
    """Wrap the pipeline's ``process`` so that each stored inquiry also gets an acknowledgement queued.

    The pipeline decides the kind: auto-replies, bounces and our own mail never get one, so two
    autoresponders cannot ping-pong through us."""
    zone = ZoneInfo(tz)

    def queue(inquiry_id: int, message: IncomingMessage) -> None:
        with session_scope(engine) as session:
            inquiry = session.get(Inquiry, inquiry_id)
            if inquiry is not None:
                today = dt.datetime.now(zone).date()
                queue_ack(session, inquiry=inquiry, desk=desk, today=today, message=message, limits=limits)

    async def wrapped(message: IncomingMessage) -> Any:
        result = await handle(message)
        inquiry_id = getattr(result, "inquiry_id", None)
        if message.kind == "inquiry" and isinstance(inquiry_id, int) and getattr(result, "created", True):
            await asyncio.to_thread(queue, inquiry_id, message)
        return result

    return wrapped
