"""The Slack adapter: a slack-bolt ``AsyncApp`` with the triage card actions, Slack intake, staff mentions
and the ``/madoguchi`` command. Build it with :func:`build_desk` (or :func:`build_app`); the runtime serves
it in Socket Mode or over HTTP.

Every listener runs before Bolt answers Slack (``process_before_response=True``): actions and commands are
quick database work, and the pipeline commits an incoming message first, so a delivery Slack retries
because the answer was slow is recognised as already stored and skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.settings import Settings
from bot.slack import cards
from bot.slack.outbox import SlackOutboxSender
from bot.slack.poster import CardPoster, parse_ref
from bot.slack.staff import NOT_STAFF, Role, directory, slack_error
from desk import actions, sla
from desk.errors import InputError
from desk.message import Attachment, Channel, IncomingMessage, SenderKind
from desk.pipeline import Pipeline, ProcessResult
from store.db import session_scope
from store.models import DraftStatus, InquiryMessage

log = logging.getLogger(__name__)

T = TypeVar("T")
TRY_AGAIN = "処理中に問題が発生しました。少し待ってからもう一度お試しください。"
# Message subtypes that are a customer writing something new; edits, deletions, joins, bot posts are not.
INTAKE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_MENTION = re.compile(r"<@[A-Z0-9]+>\s*")
_SLACK_ACTOR = re.compile(r"slack:([UW][A-Z0-9]+)")


def _link_text(match: re.Match[str]) -> str:
    target, label = match.group(1), (match.group(2) or "").strip()
    target = target.removeprefix("mailto:")
    # "<https://example.jp/a.pdf|こちら>" must keep its URL: the link is often the point of the message.
    if not label or label == target:
        return target
    return f"{label}（{target}）"


def slack_plain_text(text: str) -> str:
    """Slack's message markup as plain text: links unwrapped (text and URL both kept), entities decoded."""
    text = _LINK.sub(_link_text, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def slack_mentions(text: str) -> str:
    """Audit actors in a core message (``（slack:U123）``) as Slack mentions (``（<@U123>）``)."""
    return _SLACK_ACTOR.sub(lambda m: f"<@{m.group(1)}>", text)


def ts_to_datetime(ts: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(float(ts), tz=dt.UTC)


def intent_labels(pipeline: Pipeline) -> dict[str, str]:
    """Japanese intent labels from the knowledge files, falling back to the built-in table, then the id."""
    labels: dict[str, str] = {}
    try:
        from desk.drafting import INTENT_LABELS

        labels.update(INTENT_LABELS)
    except ImportError:
        pass
    try:
        labels.update({i: k.label for i, k in pipeline.knowledge.intents.items()})
    except Exception:  # knowledge files missing or broken: the cards still work with fallbacks
        log.warning("intent labels unavailable; using fallbacks")
    return labels


def _audit_refusal(
    session: Session,
    *,
    actor: str,
    what: str,
    reason: str,
    inquiry_id: int | None,
    draft_id: int | None,
) -> None:
    from store.models import Draft, Inquiry

    known_inquiry = (
        inquiry_id if inquiry_id is not None and session.get(Inquiry, inquiry_id) is not None else None
    )
    known_draft = draft_id if draft_id is not None and session.get(Draft, draft_id) is not None else None
    detail: dict[str, Any] = {"what": what, "reason": reason}
    if known_inquiry != inquiry_id or known_draft != draft_id:
        detail["claimed"] = {"inquiry_id": inquiry_id, "draft_id": draft_id}
    actions.audit(
        session,
        action="refused",
        actor=actor,
        inquiry_id=known_inquiry,
        draft_id=known_draft,
        detail=detail,
    )


class SlackDesk:
    """The Bolt app plus what its listeners share: the store, the pipeline, staff, card poster, sender."""

    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        pipeline: Pipeline,
        client: AsyncWebClient | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        slack = settings.slack
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.settings = settings
        self.engine = engine
        self.pipeline = pipeline
        self.client = client or AsyncWebClient(
            token=slack.bot_token.get_secret_value() or None, base_url=slack.api_url
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=slack.signing_secret.get_secret_value(),
            process_before_response=True,
            # request verification stays on: unsigned or stale HTTP requests get 401
        )
        self.staff = directory(slack)
        self._labels: dict[str, str] | None = None
        self.poster = CardPoster(
            engine=engine,
            client=self.client,
            triage_channel=slack.triage_channel,
            labels=self.labels,
            tz=settings.timezone,
            oncall_usergroup=slack.oncall_usergroup,
            hours=settings.desk_hours(),
            sla_hours=settings.desk.sla_target_business_hours,
            remind_before_minutes=slack.sla_reminder_minutes,
            manager_usergroup=slack.manager_usergroup,
            managers_channel=slack.managers_channel,
        )
        self.outbox = SlackOutboxSender(engine=engine, client=self.client, on_sent=self.poster.refresh)
        self._write_lock = asyncio.Lock()  # SQLite allows one writer; staff actions queue up here
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        from bot.slack.incidents import IncidentBoard

        self.incidents = IncidentBoard(self)  # outage incidents: one card and one approval per grid event
        self._register()

    def labels(self) -> dict[str, str]:
        if self._labels is None:
            self._labels = intent_labels(self.pipeline)
        return self._labels

    # -- registration ------------------------------------------------------------------------------------
    def _register(self) -> None:
        from bot.slack import commands

        app = self.app
        app.middleware(self._skip_duplicate_deliveries)
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_mention)
        app.action(cards.APPROVE)(self.on_approve)
        app.action(cards.EDIT)(self.on_edit)
        app.action(cards.REROUTE)(self.on_reroute)
        app.action(cards.ASSIGN)(self.on_assign)
        app.action(cards.REJECT)(self.on_reject)
        app.action(cards.STAFF_REPLY)(self.on_staff_reply)
        app.action(cards.SHOW_DRAFT)(self.on_show_draft)
        app.action(cards.UNASSIGN)(self.on_unassign)
        app.action(cards.BULK_APPROVE)(self.on_bulk_approve)
        app.action(cards.MORE)(self.on_more)
        app.action(cards.REASSIGN)(self.on_reassign)
        app.action(cards.CLOSE_NO_REPLY)(self.on_close_no_reply)
        app.action(cards.REOPEN)(self.on_reopen)
        app.action(re.compile(f"^{re.escape(cards.REROUTE_TO)}:"))(self.on_reroute_to)
        app.view(cards.EDIT_VIEW)(self.on_edit_submitted)
        app.view(cards.REJECT_VIEW)(self.on_reject_submitted)
        app.command("/madoguchi")(partial(commands.handle, self))
        self.incidents.register(app)
        try:
            from bot.slack import manager  # type: ignore[attr-defined,unused-ignore]  # optional
        except ImportError:
            return
        register = getattr(manager, "register_manager", None)
        if register is not None:
            register(app, engine=self.engine, settings=self.settings)

    # -- shared helpers ----------------------------------------------------------------------------------
    async def run_action(self, func: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a ``desk.actions`` function in a worker thread inside one committed transaction."""

        def work() -> T:
            with session_scope(self.engine) as session:
                return func(session, **kwargs)

        async with self._write_lock:
            return await asyncio.to_thread(work)

    async def is_staff(self, client: AsyncWebClient, user_id: str) -> bool:
        return await self.staff.is_staff(client, user_id)

    async def has_role(self, client: AsyncWebClient, user_id: str, role: Role) -> bool:
        return await self.staff.has(client, user_id, role)

    async def ephemeral(self, client: AsyncWebClient, *, channel: str, user: str, text: str) -> None:
        if not channel:
            return
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text=slack_mentions(text))
        except SlackApiError as exc:
            log.warning("ephemeral notice failed: %s", slack_error(exc))

    async def guarded(
        self, client: AsyncWebClient, *, channel: str, user: str, work: Awaitable[T]
    ) -> T | None:
        """Await ``work``; a product error becomes an ephemeral notice, a database hiccup a retry hint."""
        try:
            return await work
        except InputError as exc:
            await self.ephemeral(client, channel=channel, user=user, text=str(exc))
        except OperationalError as exc:  # its text carries SQL parameters (message bodies): not logged
            log.error("database error during a staff action: %s", type(exc.orig).__name__)
            await self.ephemeral(client, channel=channel, user=user, text=TRY_AGAIN)
        return None

    def _draft_state(self, draft_id: int) -> tuple[int, str] | None:
        from store.models import Draft

        with Session(self.engine) as session:
            draft = session.get(Draft, draft_id)
            return (draft.inquiry_id, draft.status) if draft is not None else None

    def _draft_text(self, draft_id: int) -> str:
        from store.models import Draft

        with Session(self.engine) as session:
            draft = session.get(Draft, draft_id)
            return draft.final_text if draft is not None else ""

    async def check_pending(self, draft_id: int) -> None:
        """Raise AlreadyHandled unless ``draft_id`` still waits for staff (before opening a modal)."""
        state = await asyncio.to_thread(self._draft_state, draft_id)
        if state is None:
            raise InputError("この返信案は見つかりません。")
        if state[1] != DraftStatus.PENDING:
            raise actions.AlreadyHandled("この返信案はすでに処理済みです。操作は行いませんでした。")

    # -- middleware ---------------------------------------------------------------------------------------
    async def _skip_duplicate_deliveries(
        self, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        """Answer a redelivered event at once: seen event ids, and message events already stored."""
        body = req.body
        if body.get("type") != "event_callback":
            return await next()
        event_id = str(body.get("event_id") or "")
        if event_id and event_id in self._seen_events:
            return BoltResponse(status=200, body="")
        event = body.get("event") or {}
        if event.get("type") == "message" and event.get("channel") and event.get("ts"):
            external_id = f"{event['channel']}:{event['ts']}"
            if await asyncio.to_thread(self._stored, external_id):
                return BoltResponse(status=200, body="")
        if event_id:
            self._seen_events[event_id] = None
            while len(self._seen_events) > 2000:
                self._seen_events.popitem(last=False)
        return await next()

    def _stored(self, external_id: str) -> bool:
        with Session(self.engine) as session:
            stmt = select(InquiryMessage.id).where(
                InquiryMessage.channel == Channel.SLACK, InquiryMessage.external_id == external_id
            )
            return session.exec(stmt).first() is not None

    # -- Slack intake -------------------------------------------------------------------------------------
    def incoming(self, event: Mapping[str, Any], customer_no: str, sender_name: str) -> IncomingMessage:
        channel, ts = str(event["channel"]), str(event["ts"])
        thread_ts = event.get("thread_ts")
        is_reply = bool(thread_ts) and thread_ts != ts
        files = tuple(
            Attachment(
                filename=str(f.get("name") or ""),
                content_type=str(f.get("mimetype") or ""),
                size=int(f.get("size") or 0),
            )
            for f in event.get("files") or []
        )
        return IncomingMessage(
            channel=Channel.SLACK,
            external_id=f"{channel}:{ts}",
            sender=str(event.get("user") or ""),
            sender_name=sender_name,
            received_at=ts_to_datetime(ts),
            text=slack_plain_text(str(event.get("text") or "")),
            sender_kind=SenderKind.CUSTOMER_SLACK,
            customer_hint=customer_no,
            reply_to=f"{channel}:{thread_ts or ts}",
            thread_ids=(f"{channel}:{thread_ts}",) if is_reply else (),
            attachments=files,
        )

    async def sender_name(self, client: AsyncWebClient, user_id: str) -> str:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError:
            return ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return str(profile.get("real_name") or user.get("real_name") or user.get("name") or "")

    async def on_message(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """A customer wrote in a mapped channel: into the pipeline; the card goes to the triage channel.

        Staff writing there are not the customer: in an inquiry's thread their message is an internal note
        on it (the draft stays as it is); a staff message outside any inquiry's thread is no inquiry."""
        if event.get("subtype") not in INTAKE_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return
        channel = str(event.get("channel") or "")
        customer_no = self.settings.slack.intake_channels.get(channel)
        if customer_no is None or channel == self.settings.slack.triage_channel:
            return
        user = str(event["user"])
        if await self.is_staff(client, user):
            await self.on_staff_message(event, client)
            return
        name = await self.sender_name(client, user)
        result = await self.pipeline.process(self.incoming(event, customer_no, name))
        await self.after_process(result, via="slack")

    async def after_process(self, result: ProcessResult, *, via: str) -> None:
        """Show a processed message on the cards: a new card, or the existing card updated with a note in
        its thread (a follow-up question is also broadcast to the channel, since its card is old)."""
        if not result.created:
            return
        if result.attached:
            await self.poster.refresh(result.inquiry_id)
            wrote = (
                "お客さまから同じスレッドに追記がありました"
                if via == "slack"
                else "お客さまから追加のメールが届きました"
            )
            if result.after_answer == "closing":
                await self.poster.note(
                    result.inquiry_id,
                    f"🙏 {wrote}（お礼・了承のご連絡）。返信は不要のため、回答済みのままです。",
                )
                return
            if result.after_answer == "follow_up":
                await self.poster.note(
                    result.inquiry_id,
                    f"↩ *フォローアップ*: 回答済みのお問い合わせに、{wrote}。新しい返信案を作成しました。",
                    broadcast=True,
                )
            else:
                await self.poster.note(result.inquiry_id, f"💬 {wrote}。返信案を更新しました。")
        await self.poster.post_soon()
        await self.incidents.sync()

    async def on_staff_message(self, event: Mapping[str, Any], client: AsyncWebClient) -> None:
        channel, ts, user = str(event["channel"]), str(event["ts"]), str(event["user"])
        thread_ts = str(event.get("thread_ts") or "")
        if not thread_ts or thread_ts == ts:
            log.info("staff message outside an inquiry thread in a customer channel: not an inquiry")
            return

        def find() -> int | None:
            with Session(self.engine) as session:
                return actions.inquiry_of_message(
                    session, channel=Channel.SLACK, external_id=f"{channel}:{thread_ts}"
                )

        inquiry_id = await asyncio.to_thread(find)
        if inquiry_id is None:
            return
        external_id = f"{channel}:{ts}"
        work = self.run_action(
            actions.record_staff_note,
            inquiry_id=inquiry_id,
            actor=f"slack:{user}",
            channel=Channel.SLACK,
            external_id=external_id,
            thread_key=f"{channel}:{thread_ts}",
            text=slack_plain_text(str(event.get("text") or "")),
            at=ts_to_datetime(ts),
        )
        if not await self.guarded(client, channel=channel, user=user, work=work):
            return
        await self.poster.refresh(inquiry_id)
        await self.poster.note(
            inquiry_id,
            f"📝 <@{user}> がお客さまのスレッドに書き込みました。社内メモとして記録し、返信案は変更していません。",
        )
        if self.settings.slack.staff_thread_reply == "reply":
            offer = cards.staff_reply_offer(inquiry_id=inquiry_id, external_id=external_id)
            try:
                await client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, text=offer.text, blocks=offer.blocks
                )
            except SlackApiError as exc:
                log.warning("staff reply offer failed: %s", slack_error(exc))

    async def on_staff_reply(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Staff confirmed that their message in the customer's thread is the answer (nothing is sent)."""
        await ack()
        user, channel = self._where(body)
        action = (body.get("actions") or [{}])[0]
        inquiry_id_text, _, external_id = str(action.get("value") or "").partition("|")
        try:
            inquiry_id = int(inquiry_id_text)
        except ValueError:
            await self.refused(user=user, what=cards.STAFF_REPLY, reason="invalid_value")
            return
        if not await self.is_staff(client, user):
            await self.ephemeral(client, channel=channel, user=user, text=NOT_STAFF)
            await self.refused(user=user, what=cards.STAFF_REPLY, reason="not_staff", inquiry_id=inquiry_id)
            return
        work = self.run_action(
            actions.record_staff_reply, inquiry_id=inquiry_id, actor=f"slack:{user}", external_id=external_id
        )
        if await self.guarded(client, channel=channel, user=user, work=work) is not None:
            await self.ephemeral(
                client,
                channel=channel,
                user=user,
                text="スレッドの書き込みを回答として記録しました。返信案は送信しません。",
            )
        await self.poster.refresh(inquiry_id)

    # -- staff mentions ----------------------------------------------------------------------------------
    async def on_mention(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        from bot.slack.mention import reading_blocks

        user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        if not await self.is_staff(client, user):
            if channel not in self.settings.slack.intake_channels:  # customers' own channels: intake
                await self.ephemeral(client, channel=channel, user=user, text=NOT_STAFF)
            return
        text = slack_plain_text(_MENTION.sub("", str(event.get("text") or ""))).strip()
        if not text:
            await client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text="お問い合わせの文面を続けて書いてください。"
            )
            return
        message = IncomingMessage(
            channel=Channel.SLACK,
            external_id=f"mention:{channel}:{event.get('ts')}",
            sender=user,
            received_at=ts_to_datetime(str(event.get("ts") or "0")),
            text=text,
            sender_kind=SenderKind.STAFF,
        )
        try:
            preview = await self.pipeline.preview(message)
        except InputError as exc:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=str(exc))
            return
        except Exception:
            log.exception("preview for a staff mention failed")
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=TRY_AGAIN)
            return
        reply = reading_blocks(preview, labels=self.labels())
        await client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=reply.text, blocks=reply.blocks
        )

    # -- card actions -------------------------------------------------------------------------------------
    @staticmethod
    def _ids(body: Mapping[str, Any]) -> tuple[int, int]:
        """(inquiry id, draft id) of a card action: a button's value, or a select's block id."""
        action = body["actions"][0]
        if action.get("type") in ("static_select", "users_select", "overflow"):  # the value is the choice
            _prefix, inquiry_id, draft_id = str(action.get("block_id", "")).rsplit("_", 2)
        else:
            inquiry_id, _, draft_id = str(action.get("value", "")).partition(":")
        return int(inquiry_id), int(draft_id)

    @staticmethod
    def _where(body: Mapping[str, Any]) -> tuple[str, str]:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        return str(body["user"]["id"]), str(channel or "")

    async def _staff_only(
        self, client: AsyncWebClient, user: str, channel: str, body: Mapping[str, Any] | None = None
    ) -> bool:
        if await self.is_staff(client, user):
            return True
        await self.ephemeral(client, channel=channel, user=user, text=NOT_STAFF)
        log.info("refused a card action by a non-staff user")
        action = ((body or {}).get("actions") or [{}])[0]
        try:
            inquiry_id, draft_id = self._ids(body) if body else (None, None)
        except (KeyError, ValueError, IndexError):
            inquiry_id = draft_id = None
        await self.refused(
            user=user,
            what=str(action.get("action_id") or ""),
            reason="not_staff",
            inquiry_id=inquiry_id,
            draft_id=draft_id,
        )
        return False

    async def refused(
        self,
        *,
        user: str,
        what: str,
        reason: str,
        inquiry_id: int | None = None,
        draft_id: int | None = None,
    ) -> None:
        """Audit a refused attempt (non-staff click, forged or stale modal submission).

        The ids come from the request and may be invented: the event is tied to the inquiry only when it
        exists, otherwise the claimed ids are kept in the detail."""
        await self.run_action(
            _audit_refusal,
            actor=f"slack:{user}",
            what=what,
            reason=reason,
            inquiry_id=inquiry_id,
            draft_id=draft_id,
        )

    async def on_approve(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, draft_id = self._ids(body)
        work = self.run_action(
            actions.approve, draft_id=draft_id, actor=f"slack:{user}", digest_now=self.pipeline.digest_now
        )
        if await self.guarded(client, channel=channel, user=user, work=work) is not None:
            self.outbox.wake()
        await self.poster.refresh(inquiry_id)

    async def on_show_draft(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """下書きを表示: the whole draft, shown only to the staff member who asked (the card stays short)."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        data = await asyncio.to_thread(self.poster._load, inquiry_id)
        message = cards.draft_messages(data, self.labels())
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=message.blocks
            )
        except SlackApiError as exc:
            log.warning("showing a draft failed: %s", slack_error(exc))

    async def on_bulk_approve(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Approve the listed drafts one by one, each checked again (a draft handled meanwhile is skipped)."""
        await ack()
        user, channel = self._where(body)
        action = (body.get("actions") or [{}])[0]
        if not await self.is_staff(client, user):
            await self.ephemeral(client, channel=channel, user=user, text=NOT_STAFF)
            await self.refused(user=user, what=cards.BULK_APPROVE, reason="not_staff")
            return
        try:
            draft_ids = [int(v) for v in str(action.get("value") or "").split(",") if v]
        except ValueError:
            await self.refused(user=user, what=cards.BULK_APPROVE, reason="invalid_value")
            return
        approved: list[int] = []
        skipped: list[str] = []
        for draft_id in draft_ids:
            try:
                outbox = await self.run_action(
                    actions.approve_low_risk,
                    draft_id=draft_id,
                    actor=f"slack:{user}",
                    min_score=self.settings.slack.bulk_min_score,
                    digest_now=self.pipeline.digest_now,
                )
            except InputError as exc:
                skipped.append(f"案 #{draft_id}: {slack_mentions(str(exc))}")
                continue
            approved.append(outbox.inquiry_id)
        if approved:
            self.outbox.wake()
        for inquiry_id in approved:
            await self.poster.refresh(inquiry_id)
        summary = f"{len(approved)}件を承認しました。送信キューに入れました。"
        if skipped:
            summary += f"\n{len(skipped)}件は承認しませんでした:\n" + "\n".join(f"• {s}" for s in skipped)
        await self.ephemeral(client, channel=channel, user=user, text=summary)

    async def on_more(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The card's overflow menu: waiting for the customer, snooze for an hour or until the next morning."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        choice = str(((body["actions"][0].get("selected_option")) or {}).get("value") or "")
        actor = f"slack:{user}"
        now = self.clock()
        work: Awaitable[Any]
        if choice in ("wait", "unwait"):
            work = self.run_action(
                actions.set_waiting, inquiry_id=inquiry_id, actor=actor, waiting=choice == "wait"
            )
        elif choice == "snooze_hour":
            work = self.run_action(
                actions.snooze, inquiry_id=inquiry_id, actor=actor, until=now + dt.timedelta(hours=1)
            )
        elif choice == "snooze_tomorrow":
            until = sla.next_opening(now, self.poster.hours)
            work = self.run_action(actions.snooze, inquiry_id=inquiry_id, actor=actor, until=until)
        elif choice == "unsnooze":
            work = self.run_action(actions.snooze, inquiry_id=inquiry_id, actor=actor, until=None)
        else:
            await self.refused(user=user, what=cards.MORE, reason="invalid_value", inquiry_id=inquiry_id)
            return
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def on_unassign(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        work = self.run_action(actions.unassign, inquiry_id=inquiry_id, actor=f"slack:{user}")
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def on_reassign(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Hand the inquiry to the chosen person, who must be staff too."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        chosen = str(body["actions"][0].get("selected_user") or "")
        if not await self.is_staff(client, chosen):
            await self.ephemeral(
                client,
                channel=channel,
                user=user,
                text=f"<@{chosen}> さんはサポートデスクの担当者ではないため、担当にできません。",
            )
            return
        work = self.run_action(
            actions.assign, inquiry_id=inquiry_id, actor=f"slack:{user}", assignee=f"slack:{chosen}"
        )
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def on_assign(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        work = self.run_action(
            actions.assign, inquiry_id=inquiry_id, actor=f"slack:{user}", assignee=f"slack:{user}"
        )
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def on_reroute(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, draft_id = self._ids(body)
        intent = str(body["actions"][0]["selected_option"]["value"])
        await self._reroute(
            client, user=user, channel=channel, inquiry_id=inquiry_id, draft_id=draft_id, intent=intent
        )

    async def on_reroute_to(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """One click on a candidate of an unclear reading: the same re-route as the 区分を変更 menu."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        try:
            raw_inquiry, raw_draft, intent = str(body["actions"][0].get("value") or "").split(":", 2)
            inquiry_id, draft_id = int(raw_inquiry), int(raw_draft)
        except ValueError:
            await self.refused(user=user, what=cards.REROUTE_TO, reason="invalid_value")
            return
        await self._reroute(
            client, user=user, channel=channel, inquiry_id=inquiry_id, draft_id=draft_id, intent=intent
        )

    async def _reroute(
        self, client: AsyncWebClient, *, user: str, channel: str, inquiry_id: int, draft_id: int, intent: str
    ) -> None:
        async def reroute() -> int | None:
            if draft_id:
                await self.check_pending(draft_id)
            else:  # a non-inquiry without a draft: only while it still waits for staff
                await asyncio.to_thread(self.check_open, inquiry_id)
            async with self._write_lock:
                return await self.pipeline.redraft(
                    inquiry_id=inquiry_id, intents=[intent], actor=f"slack:{user}"
                )

        await self.guarded(client, channel=channel, user=user, work=reroute())
        await self.poster.refresh(inquiry_id)

    def check_open(self, inquiry_id: int) -> None:
        """Raise AlreadyHandled unless the inquiry still waits for staff (a card without a draft)."""
        from store.models import InquiryStatus

        with Session(self.engine) as session:
            inquiry = actions.get_inquiry(session, inquiry_id)
            if inquiry.status not in (InquiryStatus.RECEIVED, InquiryStatus.DRAFTED, InquiryStatus.FAILED):
                raise actions.AlreadyHandled("この問い合わせはすでに対応済みです。操作は行いませんでした。")

    async def on_close_no_reply(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """対応不要として完了: a non-inquiry (thanks, sales, phishing) closed without a reply, audited."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        work = self.run_action(actions.close_without_reply, inquiry_id=inquiry_id, actor=f"slack:{user}")
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def on_reopen(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """完了を取り消す: the closed non-inquiry waits for staff again."""
        await ack()
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, _draft_id = self._ids(body)
        work = self.run_action(actions.reopen, inquiry_id=inquiry_id, actor=f"slack:{user}")
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)

    async def _open_modal(self, body: dict[str, Any], client: AsyncWebClient, *, edit: bool) -> None:
        user, channel = self._where(body)
        if not await self._staff_only(client, user, channel, body):
            return
        inquiry_id, draft_id = self._ids(body)
        try:
            await self.check_pending(draft_id)
        except InputError as exc:
            await self.ephemeral(client, channel=channel, user=user, text=str(exc))
            return
        card = f"{channel}:{(body.get('message') or {}).get('ts', '')}"
        if edit:
            text = await asyncio.to_thread(self._draft_text, draft_id)
            view = cards.edit_modal(inquiry_id=inquiry_id, draft_id=draft_id, text=text, card=card)
        else:
            view = cards.reject_modal(inquiry_id=inquiry_id, draft_id=draft_id, card=card)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_edit(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._open_modal(body, client, edit=True)

    async def on_reject(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._open_modal(body, client, edit=False)

    @staticmethod
    def _modal(body: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        view = body.get("view") or {}
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        state = view.get("state") or {}
        return (
            str((body.get("user") or {}).get("id") or ""),
            meta if isinstance(meta, dict) else {},
            state.get("values") or {},
        )

    def _modal_target(self, meta: Mapping[str, Any]) -> tuple[int, int] | None:
        """(inquiry id, draft id) of a modal's metadata when the draft exists and belongs to the inquiry.

        Slack signs the submission, but the metadata is what our app put into the view: anything else is
        a forged or broken request and is refused."""
        try:
            inquiry_id, draft_id = int(meta["inquiry_id"]), int(meta["draft_id"])
        except (KeyError, TypeError, ValueError):
            return None
        state = self._draft_state(draft_id)
        if state is None or state[0] != inquiry_id:
            return None
        return inquiry_id, draft_id

    async def _modal_allowed(
        self,
        client: AsyncWebClient,
        ack: AsyncAck,
        *,
        user: str,
        meta: Mapping[str, Any],
        block: str,
        what: str,
    ) -> tuple[int, int] | None:
        """The modal's target when a staff member submitted a view our app opened; else refuse and audit."""
        claimed = meta.get("inquiry_id"), meta.get("draft_id")
        ids = tuple(int(v) if isinstance(v, int) else None for v in claimed)
        if not await self.is_staff(client, user):
            await ack(response_action="errors", errors={block: NOT_STAFF})
            await self.refused(user=user, what=what, reason="not_staff", inquiry_id=ids[0], draft_id=ids[1])
            return None
        target = await asyncio.to_thread(self._modal_target, meta)
        if target is None:
            await ack(
                response_action="errors",
                errors={block: "この画面の内容が正しくありません。カードから操作し直してください。"},
            )
            await self.refused(
                user=user, what=what, reason="invalid_view", inquiry_id=ids[0], draft_id=ids[1]
            )
            return None
        return target

    async def on_edit_submitted(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user, meta, values = self._modal(body)
        channel, _ts = parse_ref(str(meta.get("card", "")))
        target = await self._modal_allowed(
            client, ack, user=user, meta=meta, block=cards.EDIT_BLOCK, what=cards.EDIT_VIEW
        )
        if target is None:
            return
        inquiry_id, draft_id = target
        text = str((values.get(cards.EDIT_BLOCK) or {}).get(cards.EDIT_INPUT, {}).get("value") or "")
        if not text.strip():
            await ack(response_action="errors", errors={cards.EDIT_BLOCK: "返信文を入力してください。"})
            return
        chosen = (
            values.get(cards.SAVE_ONLY_BLOCK, {}).get(cards.SAVE_ONLY_INPUT, {}).get("selected_options") or []
        )
        save_only = any(o.get("value") == cards.SAVE_ONLY_VALUE for o in chosen)
        actor = f"slack:{user}"
        try:
            if save_only:
                await self.run_action(actions.save_edit, draft_id=draft_id, actor=actor, text=text)
            else:
                await self.run_action(
                    actions.approve,
                    draft_id=draft_id,
                    actor=actor,
                    edited_text=text,
                    digest_now=self.pipeline.digest_now,
                )
                self.outbox.wake()
        except actions.SendBlocked as exc:
            await ack(response_action="errors", errors={cards.EDIT_BLOCK: slack_mentions(str(exc))[:2000]})
            return
        except InputError as exc:
            await ack()
            await self.ephemeral(client, channel=channel, user=user, text=str(exc))
        else:
            await ack()
        await self.poster.refresh(inquiry_id)

    async def on_reject_submitted(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user, meta, values = self._modal(body)
        channel, _ts = parse_ref(str(meta.get("card", "")))
        target = await self._modal_allowed(
            client, ack, user=user, meta=meta, block=cards.REASON_BLOCK, what=cards.REJECT_VIEW
        )
        if target is None:
            return
        inquiry_id, draft_id = target
        reason = str((values.get(cards.REASON_BLOCK) or {}).get(cards.REASON_INPUT, {}).get("value") or "")
        if not reason.strip():
            await ack(response_action="errors", errors={cards.REASON_BLOCK: "却下の理由を入力してください。"})
            return
        await ack()
        work = self.run_action(
            actions.reject, draft_id=draft_id, actor=f"slack:{user}", reason=reason.strip()
        )
        await self.guarded(client, channel=channel, user=user, work=work)
        await self.poster.refresh(inquiry_id)


def build_desk(
    *,
    settings: Settings,
    engine: Engine,
    pipeline: Pipeline,
    client: AsyncWebClient | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> SlackDesk:
    return SlackDesk(settings=settings, engine=engine, pipeline=pipeline, client=client, clock=clock)


def build_app(*, settings: Settings, engine: Engine, pipeline: Pipeline) -> AsyncApp:
    """The configured Bolt app (its Web API client points at ``settings.slack.api_url``)."""
    return build_desk(settings=settings, engine=engine, pipeline=pipeline).app
