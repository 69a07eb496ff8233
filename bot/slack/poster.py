"""Posting and refreshing triage cards.

A card is posted for every drafted (or failed) inquiry whose ``slack_card`` is still empty, so a crash
between drafting and posting loses nothing: the next sweep posts it. ``slack_card`` is stored right after
``chat.postMessage`` answers; a crash in that tiny window posts the card twice (never zero times).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.slack import cards
from bot.slack.staff import slack_error
from desk import actions, trust
from store.models import AuditEvent, Contract, Customer, Inquiry, InquiryKind, InquiryStatus, utcnow

log = logging.getLogger(__name__)

CARD_STATUSES = (InquiryStatus.DRAFTED, InquiryStatus.FAILED)


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
        if e.actor != "system" or e.action in ("sent", "send_failed", "failed")
    ]
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
        # The inquiry's detected language (a column the classifier work adds); Japanese until it exists.
        language=getattr(inquiry, "language", None) or "ja",
    )


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
    ) -> None:
        self.engine = engine
        self.client = client
        self.triage_channel = triage_channel
        self.labels = labels
        self.tz = ZoneInfo(tz)
        self.oncall_usergroup = oncall_usergroup
        self.sweep_seconds = sweep_seconds
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_event_id: int | None = None
        self.state = "idle"

    def render(self, data: cards.CardData) -> cards.SlackMessage:
        return cards.triage_card(
            data, labels=self.labels(), now=utcnow(), tz=self.tz, oncall_usergroup=self.oncall_usergroup
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
        """Post a card for every inquiry that needs one; returns how many were posted."""
        if not self.triage_channel:
            return 0
        posted = 0
        async with self._lock:
            for inquiry_id in await asyncio.to_thread(self._pending_ids):
                try:
                    await self._post(inquiry_id)
                    posted += 1
                except SlackApiError as exc:
                    log.warning("posting card %s failed: %s", inquiry_id, slack_error(exc))
                    self.state = "degraded"
                    break
        return posted

    async def _post(self, inquiry_id: int) -> None:
        data = await asyncio.to_thread(self._load, inquiry_id)
        message = self.render(data)
        response = await self.client.chat_postMessage(
            channel=self.triage_channel, text=message.text, blocks=message.blocks, unfurl_links=False
        )
        channel, ts = str(response.get("channel") or self.triage_channel), str(response["ts"])
        await asyncio.to_thread(self._store_ref, inquiry_id, f"{channel}:{ts}")
        self.state = "ok"
        if len(data.text.strip()) > cards.EXCERPT_CHARS:
            for piece in cards.thread_messages(data.text.strip()):
                await self.client.chat_postMessage(channel=channel, thread_ts=ts, text=piece)

    async def refresh(self, inquiry_id: int) -> None:
        """Redraw the card of ``inquiry_id`` (``chat.update``); posts it first when it has none yet."""
        ref = await asyncio.to_thread(self._card_ref, inquiry_id)
        if ref is None:
            await self.post_pending()
            return
        channel, ts = parse_ref(ref)
        message = self.render(await asyncio.to_thread(self._load, inquiry_id))
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            log.warning("updating card %s failed: %s", inquiry_id, slack_error(exc))

    async def note(self, inquiry_id: int, text: str) -> None:
        """A short line in the card's thread (e.g. the customer wrote again)."""
        ref = await asyncio.to_thread(self._card_ref, inquiry_id)
        if ref is None:
            return
        channel, ts = parse_ref(ref)
        try:
            await self.client.chat_postMessage(channel=channel, thread_ts=ts, text=text)
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

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Post cards when woken and on a periodic sweep, until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.post_pending()
                await self.refresh_changed()
            except Exception:  # a bug or the store being down must not end the runtime
                log.exception("card sweep failed")
                self.state = "degraded"
            self._wake.clear()
            await wait_any(stop, self._wake, timeout=self.sweep_seconds)


async def wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Return when any event is set or after ``timeout`` seconds; every helper task is awaited."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
