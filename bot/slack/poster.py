"""Posting and refreshing triage cards.

A card is posted for every drafted (or failed) inquiry whose ``slack_card`` is still empty, so a crash
between drafting and posting loses nothing: the next sweep posts it. ``slack_card`` is stored right after
``chat.postMessage`` answers; a crash in that tiny window posts the card twice (never zero times). When
several serve processes share one PostgreSQL, a card is posted under a per-inquiry advisory lock
(``store.leader``), so two sweeps that find the same inquiry post it once.

Slack limits ``chat.postMessage`` to about one message a second per channel and answers ``ratelimited`` with
a ``Retry-After`` header. The poster keeps a "not before" time per Web API method: a refused call waits the
time Slack asked for and is tried again, and every later call of that method waits too instead of being
refused in turn. A card whose rendering has not changed since it was last sent is not updated again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.logs import FailureLog
from bot.slack import cards
from bot.slack.staff import slack_error
from desk import actions, noninquiry, sla, trust
from desk.business_hours import DeskHours
from store.db import session_scope
from store.leader import Leadership
from store.models import (
    AuditEvent,
    Contract,
    Customer,
    Inquiry,
    InquiryKind,
    InquiryMessage,
    InquiryStatus,
    utcnow,
)

log = logging.getLogger(__name__)

CARD_STATUSES = (InquiryStatus.DRAFTED, InquiryStatus.FAILED)
OPEN_STATUSES = (InquiryStatus.RECEIVED, InquiryStatus.DRAFTED, InquiryStatus.FAILED)
# System events staff need on the card; the rest (received, drafted) would only crowd it.
SYSTEM_HISTORY = frozenset(
    {
        "sent",
        "send_failed",
        "failed",
        "send_blocked",
        "customer_replied",
        "closing",
        "follow_up",
        "manager_notified",
    }
)
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a ``ratelimited`` answer carries no Retry-After header
MAX_RETRY_AFTER = 120.0  # a longer wait is capped (the sweep tries again anyway)


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asked us to wait (``Retry-After``) when ``exc`` is a rate-limit refusal, else None."""
    response = exc.response
    data = getattr(response, "data", None)
    status = getattr(response, "status_code", 0)
    if status != 429 and not (isinstance(data, dict) and data.get("error") == "ratelimited"):
        return None
    headers = getattr(response, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            try:
                return min(MAX_RETRY_AFTER, max(0.0, float(raw)))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


class MethodPacer:
    """Per-method "not before" times from Slack's Retry-After answers, shared by every call of a method.

    ``call`` waits until the method may be called, calls it, and on ``ratelimited`` waits the time Slack
    asked for and tries again (up to ``max_tries`` times); other errors are raised at once."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_tries: int = 10,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_tries = max_tries
        self._not_before: dict[str, float] = {}
        self.waits: list[tuple[str, float]] = []  # (method, seconds Slack asked for), for health and tests

    def not_before(self, method: str) -> float:
        """The clock time before which ``method`` is not called again (0 when it is free)."""
        return self._not_before.get(method, 0.0)

    async def call(self, method: str, func: Callable[..., Awaitable[Any]], /, **kwargs: Any) -> Any:
        for attempt in range(1, self.max_tries + 1):
            delay = self._not_before.get(method, 0.0) - self.clock()
            if delay > 0:
                await self.sleep(delay)
            try:
                return await func(**kwargs)
            except SlackApiError as exc:
                wait = retry_after(exc)
                if wait is None or attempt == self.max_tries:
                    raise
                self.waits.append((method, wait))
                self._not_before[method] = max(self._not_before.get(method, 0.0), self.clock() + wait)
                log.info("Slack rate-limited %s; waiting %.1f s as asked", method, wait)
        raise AssertionError("unreachable")  # pragma: no cover


def fingerprint(message: cards.SlackMessage) -> str:
    """A short hash of what a card shows, to skip ``chat.update`` calls that would change nothing."""
    payload = json.dumps([message.text, message.blocks], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def parse_ref(ref: str) -> tuple[str, str]:
    """``"C123:1700000000.000100"`` → ``("C123", "1700000000.000100")``."""
    channel, _, ts = ref.partition(":")
    return channel, ts


def load_card(session: Session, inquiry_id: int) -> cards.CardData:
    """Everything the card of ``inquiry_id`` shows, read from the store."""
    inquiry = actions.get_inquiry(session, inquiry_id)
    draft = actions.current_draft(session, inquiry_id)
    customer_text = None
    if inquiry.customer_id is not None:
        customer = session.get(Customer, inquiry.customer_id)
        if customer is not None:
            customer_text = f"{customer.name}（お客さま番号 {customer.customer_no}）"
    contract_nos: list[str] = []
    if inquiry.contract_ids:
        rows = session.exec(select(Contract.contract_no).where(col(Contract.id).in_(inquiry.contract_ids)))
        contract_nos = sorted(rows.all())
    events = session.exec(
        select(AuditEvent).where(AuditEvent.inquiry_id == inquiry_id).order_by(col(AuditEvent.at))
    ).all()
    history = [
        cards.HistoryLine(at=e.at, actor=e.actor, action=e.action, detail=e.detail)
        for e in events
        if (e.actor != "system" and e.action != "refused") or e.action in SYSTEM_HISTORY
    ]
    updates = thread_updates(session, inquiry_id, events)
    notes = list(draft.notes) if draft else trust.notes_for(inquiry.flags)
    if inquiry.error:
        notes.append(f"自動処理に失敗しました: {inquiry.error}")
    return cards.CardData(
        inquiry_id=inquiry_id,
        channel=inquiry.channel,
        subject=inquiry.subject,
        sender=inquiry.sender,
        sender_name=inquiry.sender_name,
        text=inquiry.text,
        received_at=inquiry.received_at,
        intents=[(i.get("intent", "other"), float(i.get("score", 0.0))) for i in inquiry.intents],
        customer=customer_text,
        contracts=contract_nos,
        verified=inquiry.identity_verified,
        urgent=inquiry.urgent,
        inquiry_status=inquiry.status,
        draft_id=draft.id if draft else None,
        draft_status=draft.status if draft else None,
        draft_text=draft.final_text if draft else "",
        facts=draft.facts if draft else {},
        missing=draft.missing if draft else [],
        notes=notes,
        assignee=inquiry.assignee,
        history=history,
        rejected_reason=draft.rejected_reason if draft else None,
        flags=list(inquiry.flags),
        updates=updates,
        follow_up="follow_up" in inquiry.flags,
        attachments=[
            (str(a.get("filename") or "（名前なし）"), int(a.get("size") or 0))
            for a in inquiry.attachments or []
        ],
        permalink=slack_permalink(inquiry.reply_to) if inquiry.channel == "slack" else None,
        recent=_recent_count(session, inquiry),
        waiting=actions.WAITING in inquiry.flags,
        snoozed_until=inquiry.snoozed_until,
        # The inquiry's detected language (a column the classifier work adds); Japanese until it exists.
        language=getattr(inquiry, "language", None) or "ja",
        other_reason=inquiry.other_reason if inquiry.primary_intent == "other" else None,
        candidates=[(str(c["intent"]), float(c["score"])) for c in inquiry.candidates or []],
        # Only where staff are warned about links: the card names their hosts, never the addresses.
        link_domains=noninquiry.link_domains(inquiry.text)
        if inquiry.primary_intent == "other" and noninquiry.handling_of(inquiry.other_reason).warn_links
        else [],
    )


def slack_permalink(ref: str) -> str | None:
    """``"C123:1700000000.000100"`` → the message's archive link (Slack redirects it into the workspace)."""
    channel, ts = parse_ref(ref)
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def _recent_count(session: Session, inquiry: Inquiry) -> int:
    """The customer's other inquiries received in the last ``cards.RECENT_DAYS`` days."""
    if inquiry.customer_id is None:
        return 0
    since = cards.aware(inquiry.received_at) - dt.timedelta(days=cards.RECENT_DAYS)
    stmt = select(func.count()).where(
        Inquiry.customer_id == inquiry.customer_id,
        Inquiry.kind == InquiryKind.INQUIRY,
        Inquiry.id != inquiry.id,
        col(Inquiry.received_at) >= since,
    )
    return int(session.exec(stmt).one())


def thread_updates(
    session: Session, inquiry_id: int, events: Sequence[AuditEvent]
) -> list[cards.ThreadUpdate]:
    """What was said in the inquiry's thread after the first message: the customer's follow-ups and staff's
    internal notes, oldest first."""
    found: list[cards.ThreadUpdate] = []
    messages = session.exec(
        select(InquiryMessage)
        .where(InquiryMessage.inquiry_id == inquiry_id, InquiryMessage.direction == "in")
        .order_by(col(InquiryMessage.received_at), col(InquiryMessage.id))
    ).all()
    for message in messages[1:]:
        found.append(cards.ThreadUpdate(at=message.received_at, kind="customer", actor="", text=message.text))
    for event in events:
        if event.action == "staff_note":
            text = str(event.detail.get("text") or "")
            found.append(cards.ThreadUpdate(at=event.at, kind="staff_note", actor=event.actor, text=text))
    return sorted(found, key=lambda u: cards.aware(u.at))


class CardPoster:
    """Posts missing cards to the triage channel and updates cards in place after every change."""

    def __init__(
        self,
        *,
        engine: Engine,
        client: AsyncWebClient,
        triage_channel: str,
        labels: Callable[[], Mapping[str, str]],
        tz: str = "Asia/Tokyo",
        oncall_usergroup: str = "",
        sweep_seconds: float = 30.0,
        hours: DeskHours | None = None,
        sla_hours: float = 7.0,
        remind_before_minutes: float = 60.0,
        manager_usergroup: str = "",
        managers_channel: str = "",
    ) -> None:
        self.engine = engine
        self.client = client
        self.triage_channel = triage_channel
        self.labels = labels
        self.tz = ZoneInfo(tz)
        self.oncall_usergroup = oncall_usergroup
        self.manager_usergroup = manager_usergroup
        self.managers_channel = managers_channel
        self.sweep_seconds = sweep_seconds
        self.hours = hours or DeskHours(timezone=tz)
        self.sla_seconds = sla_hours * 3600.0
        self.remind_before = remind_before_minutes * 60.0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_event_id: int | None = None
        self._shown: dict[int, str] = {}  # inquiry id -> fingerprint of the card as last sent to Slack
        self._drain: asyncio.Task[int] | None = None
        self.pacer = MethodPacer()
        self.state = "idle"

    def render(self, data: cards.CardData, now: dt.datetime | None = None) -> cards.SlackMessage:
        now = now or utcnow()
        due = sla.deadline(cards.aware(data.received_at), self.sla_seconds, self.hours)
        data = dataclasses.replace(
            data, deadline=due, business_seconds_left=sla.remaining_seconds(now, due, self.hours)
        )
        return cards.triage_card(
            data,
            labels=self.labels(),
            now=now,
            tz=self.tz,
            oncall_usergroup=self.oncall_usergroup,
            manager_usergroup=self.manager_usergroup,
        )

    def _pending_ids(self) -> list[int]:
        with Session(self.engine) as session:
            stmt = (
                select(Inquiry.id)
                .where(
                    # Oversize and unparseable mail may be a customer's: staff see it (status failed).
                    col(Inquiry.kind).in_(
                        [InquiryKind.INQUIRY, InquiryKind.OVERSIZE, InquiryKind.UNPARSEABLE]
                    ),
                    col(Inquiry.slack_card).is_(None),
                    col(Inquiry.status).in_(CARD_STATUSES),
                )
                .order_by(col(Inquiry.received_at))
            )
            return [i for i in session.exec(stmt).all() if i is not None]

    def _load(self, inquiry_id: int) -> cards.CardData:
        with Session(self.engine) as session:
            return load_card(session, inquiry_id)

    def _store_ref(self, inquiry_id: int, ref: str) -> bool:
        with Session(self.engine) as session:
            inquiry = session.get(Inquiry, inquiry_id)
            if inquiry is None or inquiry.slack_card is not None:
                return False
            inquiry.slack_card = ref
            session.add(inquiry)
            session.commit()
            return True

    def _card_ref(self, inquiry_id: int) -> str | None:
        with Session(self.engine) as session:
            inquiry = session.get(Inquiry, inquiry_id)
            return inquiry.slack_card if inquiry is not None else None

    async def post_pending(self) -> int:
        """Post a card for every inquiry that needs one; returns how many were posted.

        Inquiries drafted while this runs are posted by the same run. A rate-limited post waits as Slack asks
        and goes on; a card Slack refuses for another reason is left for the next sweep."""
        if not self.triage_channel:
            return 0
        posted = 0
        async with self._lock:
            failed: set[int] = set()
            while True:
                todo = [i for i in await asyncio.to_thread(self._pending_ids) if i not in failed]
                if not todo:
                    break
                for inquiry_id in todo:
                    try:
                        if await self._post(inquiry_id):
                            posted += 1
                        else:  # another process is posting it right now
                            failed.add(inquiry_id)
                    except SlackApiError as exc:
                        log.warning("posting card %s failed: %s", inquiry_id, slack_error(exc))
                        self.state = "degraded"
                        failed.add(inquiry_id)
        return posted

    async def post_soon(self, wait: float = 1.0) -> None:
        """Start posting missing cards in the background and wait at most ``wait`` seconds for it.

        An event handler calls this: one card is posted before Slack gets its answer, while a burst that
        Slack rate-limits goes on in the background instead of holding Slack's request (which it would
        retry after 3 s). One background run at a time; it picks up cards drafted while it runs."""
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self.post_pending())
        try:
            await asyncio.wait_for(asyncio.shield(self._drain), timeout=wait)
        except TimeoutError:
            pass
        except Exception:  # logged by drained(); the sweep retries
            log.exception("posting cards failed")

    async def drained(self) -> int:
        """Wait for the background run started by :meth:`post_soon` (shutdown, tests)."""
        if self._drain is None:
            return 0
        return await self._drain

    async def _post(self, inquiry_id: int) -> bool:
        """Post one card, unless another process is posting it (several serve processes share one store)."""
        claim = Leadership(self.engine, f"card:{inquiry_id}", announce=False)
        if not await asyncio.to_thread(claim.try_acquire):
            return False
        try:
            if await asyncio.to_thread(self._card_ref, inquiry_id) is not None:
                return False  # posted by another process between our look-up and its lock
            await self._post_card(inquiry_id)
            return True
        finally:
            await asyncio.to_thread(claim.release)

    async def _post_card(self, inquiry_id: int) -> None:
        data = await asyncio.to_thread(self._load, inquiry_id)
        message = self.render(data)
        response = await self.pacer.call(
            "chat.postMessage",
            self.client.chat_postMessage,
            channel=self.triage_channel,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
        )
        channel, ts = str(response.get("channel") or self.triage_channel), str(response["ts"])
        await asyncio.to_thread(self._store_ref, inquiry_id, f"{channel}:{ts}")
        self._shown[inquiry_id] = fingerprint(message)
        self.state = "ok"
        if data.other_reason and noninquiry.handling_of(data.other_reason).manager:
            await self._tell_managers(data, f"{channel}:{ts}")
        if len(data.text.strip()) > cards.EXCERPT_CHARS:
            full = data.text.strip()
            if data.link_domains:  # a suspected phishing mail: its links are not made clickable in the thread
                full = noninquiry.defang_links(full)
            for piece in cards.thread_messages(full):
                await self.pacer.call(
                    "chat.postMessage",
                    self.client.chat_postMessage,
                    channel=channel,
                    thread_ts=ts,
                    text=piece,
                )

    async def _tell_managers(self, data: cards.CardData, card_ref: str) -> None:
        """要マネージャー確認 (a complaint about the desk): one message in the managers' channel, mentioning the
        managers' group, with a link to the card; audited ``manager_notified``. The card itself mentions the
        group too, so a desk without a managers' channel still reaches them."""
        if not self.managers_channel:
            return
        group = f"<!subteam^{self.manager_usergroup}> " if self.manager_usergroup else ""
        link = cards.slack_link(slack_permalink(card_ref), "カードを開く")
        reason = noninquiry.reason_label(data.other_reason)
        text = f"{group}🔺 要マネージャー確認: #{data.inquiry_id:06d}（{reason}）。定型文では返信しません。{link}"
        try:
            await self.pacer.call(
                "chat.postMessage",
                self.client.chat_postMessage,
                channel=self.managers_channel,
                text=text,
                unfurl_links=False,
            )
        except SlackApiError as exc:
            log.warning("telling the managers about card %s failed: %s", data.inquiry_id, slack_error(exc))
            return
        await asyncio.to_thread(self._audit_notified, data.inquiry_id)

    def _audit_notified(self, inquiry_id: int) -> None:
        with session_scope(self.engine) as session:
            actions.audit(
                session,
                action="manager_notified",
                actor="system",
                inquiry_id=inquiry_id,
                channel=self.managers_channel,
            )

    async def refresh(self, inquiry_id: int) -> None:
        """Redraw the card of ``inquiry_id`` (``chat.update``); posts it first when it has none yet."""
        ref = await asyncio.to_thread(self._card_ref, inquiry_id)
        if ref is None:
            await self.post_pending()
            return
        channel, ts = parse_ref(ref)
        message = self.render(await asyncio.to_thread(self._load, inquiry_id))
        shown = fingerprint(message)
        if self._shown.get(inquiry_id) == shown:
            return  # Slack already shows exactly this; an update would only spend rate limit
        try:
            await self.pacer.call(
                "chat.update",
                self.client.chat_update,
                channel=channel,
                ts=ts,
                text=message.text,
                blocks=message.blocks,
            )
        except SlackApiError as exc:
            log.warning("updating card %s failed: %s", inquiry_id, slack_error(exc))
            return
        self._shown[inquiry_id] = shown

    async def note(self, inquiry_id: int, text: str, *, broadcast: bool = False) -> None:
        """A short line in the card's thread (e.g. the customer wrote again); ``broadcast`` also shows it in
        the channel, for news on an old card that nobody would scroll back to."""
        ref = await asyncio.to_thread(self._card_ref, inquiry_id)
        if ref is None:
            return
        channel, ts = parse_ref(ref)
        try:
            await self.pacer.call(
                "chat.postMessage",
                self.client.chat_postMessage,
                channel=channel,
                thread_ts=ts,
                text=text,
                reply_broadcast=broadcast,
            )
        except SlackApiError as exc:
            log.warning("thread note on card %s failed: %s", inquiry_id, slack_error(exc))

    def _changed_since(self, last: int | None) -> tuple[list[int], int]:
        """Inquiries with a card whose audit trail grew after event ``last``; and the newest event id."""
        with Session(self.engine) as session:
            newest = session.exec(select(func.max(AuditEvent.id))).one() or 0
            if last is None:
                return [], newest
            stmt = (
                select(AuditEvent.inquiry_id)
                .join(Inquiry, col(Inquiry.id) == col(AuditEvent.inquiry_id))
                .where(col(AuditEvent.id) > last, col(AuditEvent.id) <= newest)
                .where(col(Inquiry.slack_card).is_not(None))
                .distinct()
            )
            return [i for i in session.exec(stmt).all() if i is not None], newest

    async def refresh_changed(self) -> int:
        """Redraw cards changed elsewhere (terminal review, the email sender) since the last sweep."""
        ids, newest = await asyncio.to_thread(self._changed_since, self._last_event_id)
        self._last_event_id = newest
        for inquiry_id in ids:
            await self.refresh(inquiry_id)
        return len(ids)

    def _reminder_candidates(self) -> list[tuple[int, dt.datetime, str | None]]:
        """Open inquiries with a card, not put aside, and no reminder yet: (id, received at, assignee)."""
        reminded = select(AuditEvent.inquiry_id).where(AuditEvent.action == "sla_reminded")
        with Session(self.engine) as session:
            stmt = (
                select(Inquiry)
                .where(
                    Inquiry.kind == InquiryKind.INQUIRY,
                    col(Inquiry.slack_card).is_not(None),
                    col(Inquiry.status).in_(OPEN_STATUSES),
                    col(Inquiry.snoozed_until).is_(None),
                    col(Inquiry.id).not_in(reminded.where(col(AuditEvent.inquiry_id).is_not(None))),
                )
                .order_by(col(Inquiry.received_at))
                .limit(500)
            )
            return [
                (i.id, i.received_at, i.assignee)
                for i in session.exec(stmt).all()
                if i.id is not None and actions.WAITING not in i.flags
            ]

    def _mark_reminded(self, inquiry_id: int, left: float) -> None:
        with session_scope(self.engine) as session:
            actions.audit(
                session, action="sla_reminded", actor="system", inquiry_id=inquiry_id, left_seconds=int(left)
            )

    async def remind_due(self, now: dt.datetime | None = None) -> int:
        """Remind the assignee (or the channel, when nobody took it) of inquiries whose reply deadline is
        within ``remind_before`` business time or already past; once per inquiry, only while the desk is
        open. Returns how many reminders were posted."""
        now = now or utcnow()
        if not self.triage_channel:
            return 0
        await self.wake_snoozed(now)
        if not sla.is_open(now, self.hours):
            return 0
        sent = 0
        for inquiry_id, received_at, assignee in await asyncio.to_thread(self._reminder_candidates):
            due = sla.deadline(cards.aware(received_at), self.sla_seconds, self.hours)
            left = sla.remaining_seconds(now, due, self.hours)
            if left > self.remind_before:
                continue
            who = cards.who(assignee) if assignee else "（担当者未定）"
            when = cards.short_when(due, self.tz)
            if left >= 0:
                text = f"⏰ {who} #{inquiry_id:06d} の回答期限 {when} まで、残り営業時間で{cards.business_span(left)}です。"
            else:
                text = f"⚠ {who} #{inquiry_id:06d} は回答期限 {when} を営業時間で{cards.business_span(left)}過ぎています。"
            await self.note(inquiry_id, text, broadcast=True)
            await asyncio.to_thread(self._mark_reminded, inquiry_id, left)
            sent += 1
        return sent

    async def wake_snoozed(self, now: dt.datetime) -> int:
        """End snoozes whose time has come: the card is redrawn and its thread tells the assignee."""

        def work() -> list[tuple[int, str | None]]:
            with session_scope(self.engine) as session:
                return actions.wake_snoozed(session, now=now)

        woken = await asyncio.to_thread(work)
        for inquiry_id, assignee in woken:
            await self.refresh(inquiry_id)
            who = cards.who(assignee) if assignee else "（担当者未定）"
            await self.note(inquiry_id, f"⏰ {who} #{inquiry_id:06d} のスヌーズが終わりました。")
        return len(woken)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Post cards when woken and on a periodic sweep, until ``stop`` is set."""
        failures = FailureLog(log, "card sweep")
        while not stop.is_set():
            try:
                await self.post_pending()
                await self.refresh_changed()
                await self.remind_due()
                failures.ok()
            except Exception as exc:  # a bug or the store being down must not end the runtime
                failures.failed(exc)
                self.state = "degraded"
            self._wake.clear()
            await wait_any(stop, self._wake, timeout=self.sweep_seconds)
        if self._drain is not None and not self._drain.done():  # a burst still posting in the background
            self._drain.cancel()
            await asyncio.gather(self._drain, return_exceptions=True)


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Return when any event is set or after ``timeout`` seconds; every helper task is awaited."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
