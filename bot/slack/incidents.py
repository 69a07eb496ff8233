"""Outage incidents in Slack: one card per incident in the triage channel, one approval for every customer.

The card shows the area, its local utility, how many customers reported, the first and latest report and the
list of inquiries (staff only: it lives in the triage channel, never in a customer's channel). 「承認して全員に
送信」 opens a modal with the notice every copy shares; on submit, :func:`desk.incidents.approve_incident`
renders each customer's own copy and queues it through the normal outbox. Reports that join after approval
are listed as waiting, and 「追加の N 件に送信」 (with a confirmation dialog) sends them the approved notice.

The rules (grouping, one copy per inquiry, identity) live in :mod:`desk.incidents`; this module only draws
and listens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, col, select

from bot.slack import blockkit as bk
from bot.slack.cards import SlackMessage, context, mrkdwn, plain, section, when, who
from bot.slack.poster import parse_ref, wait_any
from bot.slack.staff import NOT_STAFF, slack_error
from desk import actions, incidents
from desk.rules.areas import area
from store.models import (
    Contract,
    Customer,
    Incident,
    IncidentStatus,
    Inquiry,
    InquiryStatus,
    Outbox,
    OutboxStatus,
)

if TYPE_CHECKING:
    from bot.slack.app import SlackDesk

log = logging.getLogger(__name__)

APPROVE_ALL = "madoguchi_incident_approve"
SEND_LATE = "madoguchi_incident_send_late"
APPROVE_VIEW = "madoguchi_incident_view"
NOTICE_BLOCK, NOTICE_INPUT = "incident_notice", "text"
NOTICE_EN_BLOCK, NOTICE_EN_INPUT = "incident_notice_en", "text"
LIST_LINES = 40  # inquiries listed on the card; the rest are counted

STATUS_LABELS = {
    IncidentStatus.OPEN: "🕒 承認待ち",
    IncidentStatus.APPROVED: "✅ 承認済み",
    IncidentStatus.CLOSED: "☑ 終了",
}


@dataclass(frozen=True, slots=True)
class MemberLine:
    inquiry_id: int
    received_at: dt.datetime
    customer: str  # company name, or the sender's address when no customer is linked
    contracts: Sequence[str]
    verified: bool
    state: str  # Japanese, for staff
    late: bool
    waiting_late: bool
    customer_key: str
    waiting: bool = False  # still waits for the incident's reply (what 承認して全員に送信 would send)


@dataclass(frozen=True, slots=True)
class IncidentCardData:
    incident_id: int
    area_code: str
    utility: str
    status: str
    first_report_at: dt.datetime
    latest_report_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    approved_text: str | None
    members: Sequence[MemberLine]

    @property
    def customers(self) -> int:
        return len({m.customer_key for m in self.members})

    @property
    def waiting_late(self) -> int:
        return sum(1 for m in self.members if m.waiting_late)


def _member_state(
    member_late: bool, blocked: str | None, outbox: Outbox | None, inquiry: Inquiry, rerouted: bool
) -> str:
    if outbox is not None:
        if outbox.status == OutboxStatus.SENT:
            return "📨 送信済み"
        if outbox.status == OutboxStatus.FAILED:
            return "⚠ 送信失敗（個別のカードを確認してください）"
        return "✅ 送信待ち"
    if blocked:
        return f"⛔ 送信できません: {blocked.removeprefix('送信できません: ')}"
    if inquiry.status in (InquiryStatus.APPROVED, InquiryStatus.ANSWERED):
        return "個別のカードで対応済み"
    if inquiry.status == InquiryStatus.REJECTED:
        return "個別のカードで却下済み"
    if rerouted:
        return "区分が変更されたため対象外（個別のカードで対応）"
    if member_late:
        return "➕ 承認後に追加（送信の確認待ち）"
    return "🕒 承認待ち"


def load_incident(session: Session, incident_id: int) -> IncidentCardData:
    """Everything the incident card shows, read from the store."""
    incident = incidents.get_incident(session, incident_id)
    lines: list[MemberLine] = []
    for member in incidents.members(session, incident_id):
        inquiry = session.get(Inquiry, member.inquiry_id)
        if inquiry is None:
            continue
        customer = session.get(Customer, inquiry.customer_id) if inquiry.customer_id is not None else None
        contract_nos: list[str] = []
        if inquiry.contract_ids:
            rows = session.exec(
                select(Contract.contract_no).where(col(Contract.id).in_(inquiry.contract_ids))
            )
            contract_nos = sorted(rows.all())
        draft = actions.current_draft(session, inquiry.id or 0)
        rerouted = draft is not None and "outage" not in draft.intents
        if not contract_nos and inquiry.identity_verified:  # no number written: the contract the draft used
            outage = (draft.facts.get("outage") if draft is not None else None) or {}
            contract_nos = [str(outage["contract_no"])] if outage.get("contract_no") else []
        outbox = session.get(Outbox, member.outbox_id) if member.outbox_id is not None else None
        lines.append(
            MemberLine(
                inquiry_id=member.inquiry_id,
                received_at=inquiry.received_at,
                customer=customer.name if customer is not None else inquiry.sender,
                contracts=contract_nos,
                verified=inquiry.identity_verified,
                state=_member_state(member.late, member.blocked, outbox, inquiry, rerouted),
                late=member.late,
                waiting_late=member.late
                and not rerouted
                and outbox is None
                and member.blocked is None
                and inquiry.status in incidents.WAITING,
                customer_key=incidents.customer_key(inquiry.customer_id, inquiry.sender),
                waiting=outbox is None and not rerouted and inquiry.status in incidents.WAITING,
            )
        )
    return IncidentCardData(
        incident_id=incident_id,
        area_code=incident.grid_area,
        utility=incident.utility,
        status=incident.status,
        first_report_at=incident.first_report_at,
        latest_report_at=incident.latest_report_at,
        approved_by=incident.approved_by,
        approved_at=incident.approved_at,
        approved_text=incident.approved_text,
        members=lines,
    )


def _member_line(m: MemberLine, tz: ZoneInfo) -> str:
    contracts = f"（{'、'.join(m.contracts)}）" if m.contracts else ""
    unverified = " ⚠ 本人確認未了" if not m.verified else ""
    name = bk.escape_mrkdwn(m.customer)
    return f"• #{m.inquiry_id:06d} {when(m.received_at, tz)} {name}{contracts}{unverified} ― {m.state}"


def _actions(data: IncidentCardData) -> dict[str, Any] | None:
    if data.status == IncidentStatus.OPEN:
        button: dict[str, Any] = {
            "type": "button",
            "text": plain("承認して全員に送信", bk.BUTTON_TEXT),
            "action_id": APPROVE_ALL,
            "value": str(data.incident_id),
            "style": "primary",
        }
    elif data.waiting_late:
        n = data.waiting_late
        button = {
            "type": "button",
            "text": plain(f"追加の {n} 件に送信", bk.BUTTON_TEXT),
            "action_id": SEND_LATE,
            "value": f"{data.incident_id}:{n}",
            "style": "primary",
            "confirm": {
                "title": plain("承認済みの文面で送信しますか？", bk.CONFIRM_TITLE),
                "text": mrkdwn(
                    f"承認後に届いた {n} 件のお問い合わせに、承認済みのお知らせ文で返信します"
                    "（宛名・ご契約・地域の電力会社はお客さまごとに差し込みます）。よろしいですか？",
                    bk.CONFIRM_TEXT,
                ),
                "confirm": plain("送信する", bk.CONFIRM_BUTTON),
                "deny": plain("やめる", bk.CONFIRM_BUTTON),
            },
        }
    else:
        return None
    return {"type": "actions", "block_id": f"incident_actions_{data.incident_id}", "elements": [button]}


def incident_card(data: IncidentCardData, *, tz: ZoneInfo, oncall_usergroup: str = "") -> SlackMessage:
    """The incident card in the triage channel; the button depends on the incident's state."""
    found = area(data.area_code)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": plain(f"🚨 停電の障害 #{data.incident_id}（{found.name}エリア）", bk.HEADER_TEXT),
        }
    ]
    if data.status == IncidentStatus.OPEN:
        group = f"<!subteam^{oncall_usergroup}> " if oncall_usergroup else ""
        blocks.append(
            section(
                f"{group}同じエリアの複数のお客さまから停電のお問い合わせが届いています。"
                "お知らせ文を一度承認すると、各お客さまに個別の返信（宛名・ご契約・地域の電力会社入り）を送信します。"
            )
        )
    approved = ""
    if data.approved_at is not None:
        approved = f"（{who(data.approved_by or '')}、{when(data.approved_at, tz)}）"
    fields = [
        f"*エリア*\n{found.name}（{data.utility or found.utility}／{found.grid_operator}）",
        f"*お客さま数*\n{data.customers}社（お問い合わせ {len(data.members)} 件）",
        f"*最初の報告*\n{when(data.first_report_at, tz)}",
        f"*最新の報告*\n{when(data.latest_report_at, tz)}",
        f"*状態*\n{STATUS_LABELS.get(IncidentStatus(data.status), data.status)}{approved}",
    ]
    blocks.append({"type": "section", "fields": [mrkdwn(f, bk.SECTION_FIELD) for f in fields]})
    lines = [_member_line(m, tz) for m in data.members[:LIST_LINES]]
    if len(data.members) > LIST_LINES:
        lines.append(f"ほか {len(data.members) - LIST_LINES} 件（端末の madoguchi review で確認できます）")
    pieces = bk.split_text("\n".join(lines), bk.SECTION_TEXT - 40)
    blocks.append(section("*お問い合わせ*\n" + pieces[0]))
    blocks += [section(p) for p in pieces[1:]]
    if data.approved_text:
        quoted = "\n".join(f"> {bk.escape_mrkdwn(line)}" for line in data.approved_text.splitlines())
        blocks.append(section("*承認済みのお知らせ文*\n" + quoted))
    buttons = _actions(data)
    if buttons is not None:
        blocks.append(buttons)
    if data.waiting_late and data.status != IncidentStatus.OPEN:
        blocks.append(
            context(
                f"承認後に {data.waiting_late} 件のお問い合わせが加わりました。送信前に確認してください。"
            )
        )
    blocks = blocks[: bk.MAX_MESSAGE_BLOCKS]
    text = f"【緊急】停電の障害 #{data.incident_id}：{found.name}エリア、{data.customers}社からお問い合わせ"
    return SlackMessage(text=text, blocks=blocks)


def approve_modal(data: IncidentCardData, *, notice: str, notice_en: str, card: str) -> dict[str, Any]:
    """The modal behind 「承認して全員に送信」: the shared notice (editable) and what each copy adds."""
    found = area(data.area_code)
    return {
        "type": "modal",
        "callback_id": APPROVE_VIEW,
        "private_metadata": json.dumps({"incident_id": data.incident_id, "card": card}),
        "title": plain("障害の一括返信", bk.VIEW_TITLE),
        "submit": plain("承認して送信", bk.VIEW_TITLE),
        "close": plain("キャンセル", bk.VIEW_TITLE),
        "blocks": [
            section(
                f"*{found.name}エリアの {sum(1 for m in data.members if m.waiting)} 件*に返信します"
                "（個別のカードで対応済みのものを除く）。各返信には、このお知らせ文に続けて、"
                "お客さまごとの宛名（メールの場合）、対象のご契約（本人確認済みの場合のみ）、"
                f"{found.utility}を含む連絡先の順番が入ります。他のお客さまの情報は含まれません。"
            ),
            {
                "type": "input",
                "block_id": NOTICE_BLOCK,
                "label": plain("お知らせ文（全員に共通）", bk.INPUT_LABEL),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTICE_INPUT,
                    "multiline": True,
                    "max_length": bk.INPUT_MAX_LENGTH,
                    "initial_value": notice[: bk.INPUT_MAX_LENGTH],
                },
            },
            {
                "type": "input",
                "block_id": NOTICE_EN_BLOCK,
                "optional": True,
                "label": plain("英語のお問い合わせ向けのお知らせ文", bk.INPUT_LABEL),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTICE_EN_INPUT,
                    "multiline": True,
                    "max_length": bk.INPUT_MAX_LENGTH,
                    "initial_value": notice_en[: bk.INPUT_MAX_LENGTH],
                },
            },
        ],
    }


def summary(result: incidents.SendResult) -> str:
    """What staff are told after a send (ephemeral)."""
    parts = [f"{len(result.queued)} 件の返信を送信キューに入れました。"]
    if result.skipped:
        ids = "、".join(f"#{i:06d}" for i in result.skipped)
        parts.append(f"個別のカードで対応済みのため送信しなかったもの: {ids}。")
    for inquiry_id, why in result.blocked.items():
        parts.append(f"#{inquiry_id:06d} は送信できませんでした（{why}）。個別のカードで対応してください。")
    return "".join(parts)


class IncidentBoard:
    """Posts and refreshes incident cards and answers their buttons and modal, for one :class:`SlackDesk`."""

    def __init__(self, desk: SlackDesk, *, sweep_seconds: float = 5.0) -> None:
        self.desk = desk
        self.sweep_seconds = sweep_seconds
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._shown: dict[int, str] = {}  # incident id -> fingerprint of the card as last drawn
        self.state = "idle"

    @property
    def client(self) -> AsyncWebClient:
        return self.desk.client

    def register(self, app: AsyncApp) -> None:
        app.action(APPROVE_ALL)(self.on_approve_all)
        app.action(SEND_LATE)(self.on_send_late)
        app.view(APPROVE_VIEW)(self.on_approve_submitted)

    def wake(self) -> None:
        self._wake.set()

    # -- drawing --------------------------------------------------------------------------------------------
    def render(self, data: IncidentCardData) -> SlackMessage:
        slack = self.desk.settings.slack
        return incident_card(
            data, tz=ZoneInfo(self.desk.settings.timezone), oncall_usergroup=slack.oncall_usergroup
        )

    def _load(self, incident_id: int) -> IncidentCardData:
        with Session(self.desk.engine) as session:
            return load_incident(session, incident_id)

    def _to_draw(self, also: int | None) -> list[tuple[int, str | None]]:
        """Active incidents, those drawn before (a closed one is redrawn until nothing waits on it) and
        ``also`` (one staff just acted on)."""
        wanted = [*self._shown, *([also] if also is not None else [])]
        with Session(self.desk.engine) as session:
            stmt = select(Incident.id, Incident.slack_card).where(
                col(Incident.status).in_(list(incidents.ACTIVE)) | col(Incident.id).in_(wanted)
            )
            return [
                (i, ref) for i, ref in session.exec(stmt.order_by(col(Incident.id))).all() if i is not None
            ]

    def _store_ref(self, incident_id: int, ref: str) -> None:
        with Session(self.desk.engine) as session:
            incident = session.get(Incident, incident_id)
            if incident is not None and incident.slack_card is None:
                incident.slack_card = ref
                session.add(incident)
                session.commit()

    async def sync(self, *, also: int | None = None) -> int:
        """Post the cards of new incidents and redraw those that changed; returns how many were drawn."""
        channel = self.desk.settings.slack.triage_channel
        if not channel:
            return 0
        drawn = 0
        async with self._lock:
            for incident_id, ref in await asyncio.to_thread(self._to_draw, also):
                data = await asyncio.to_thread(self._load, incident_id)
                message = self.render(data)
                fingerprint = hashlib.sha256(
                    json.dumps([message.text, message.blocks], ensure_ascii=False).encode()
                ).hexdigest()
                if ref is not None and self._shown.get(incident_id) == fingerprint:
                    continue
                try:
                    if ref is None:
                        response = await self.client.chat_postMessage(
                            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False
                        )
                        ref = f"{response.get('channel') or channel}:{response['ts']}"
                        await asyncio.to_thread(self._store_ref, incident_id, ref)
                    else:
                        card_channel, ts = parse_ref(ref)
                        await self.client.chat_update(
                            channel=card_channel, ts=ts, text=message.text, blocks=message.blocks
                        )
                except SlackApiError as exc:
                    log.warning("incident card %s: %s", incident_id, slack_error(exc))
                    self.state = "degraded"
                    continue
                drawn += 1
                self.state = "ok"
                if data.status == IncidentStatus.CLOSED and not data.waiting_late:
                    self._shown.pop(incident_id, None)
                else:
                    self._shown[incident_id] = fingerprint
        return drawn

    async def run(self, stop: asyncio.Event) -> None:
        """Keep incident cards current until ``stop`` is set (woken after intake, else every few seconds)."""
        while not stop.is_set():
            try:
                await self.sync()
            except Exception:  # the store being down must not end the runtime
                log.exception("incident card sweep failed")
                self.state = "degraded"
            self._wake.clear()
            await wait_any(stop, self._wake, timeout=self.sweep_seconds)

    # -- actions --------------------------------------------------------------------------------------------
    async def _member_cards(self, incident_id: int) -> None:
        """Redraw the members' own triage cards (their drafts were replaced and approved)."""

        def ids() -> list[int]:
            with Session(self.desk.engine) as session:
                return [m.inquiry_id for m in incidents.members(session, incident_id)]

        for inquiry_id in await asyncio.to_thread(ids):
            await self.desk.poster.refresh(inquiry_id)

    async def _after_send(
        self, incident_id: int, result: incidents.SendResult | None, user: str, channel: str
    ) -> None:
        if result is not None:
            self.desk.outbox.wake()
            await self.desk.ephemeral(self.client, channel=channel, user=user, text=summary(result))
        await self.sync(also=incident_id)
        await self._member_cards(incident_id)

    async def on_approve_all(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self.desk._where(body)
        if not await self.desk._staff_only(client, user, channel):
            return
        incident_id = int(str(body["actions"][0].get("value") or "0"))
        data = await asyncio.to_thread(self._load, incident_id)
        if data.status != IncidentStatus.OPEN:
            await self.desk.ephemeral(
                client,
                channel=channel,
                user=user,
                text="この障害の返信はすでに承認済みです。操作は行いませんでした。",
            )
            return
        card = f"{channel}:{(body.get('message') or {}).get('ts', '')}"
        view = approve_modal(
            data,
            notice=incidents.default_notice(data.area_code),
            notice_en=incidents.default_notice(data.area_code, language="en"),
            card=card,
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_approve_submitted(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user, meta, values = self.desk._modal(body)
        channel, _ts = parse_ref(str(meta.get("card", "")))
        if not await self.desk.is_staff(client, user):
            await ack(response_action="errors", errors={NOTICE_BLOCK: NOT_STAFF})
            return
        text = str(values.get(NOTICE_BLOCK, {}).get(NOTICE_INPUT, {}).get("value") or "")
        text_en = str(values.get(NOTICE_EN_BLOCK, {}).get(NOTICE_EN_INPUT, {}).get("value") or "")
        errors = {
            block: " ".join(problems)[:2000]
            for block, problems in (
                (NOTICE_BLOCK, incidents.notice_problems(text)),
                (NOTICE_EN_BLOCK, incidents.notice_problems(text_en) if text_en.strip() else []),
            )
            if problems
        }
        if errors:  # the modal stays open with the reason next to the field
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        incident_id = int(meta["incident_id"])
        work = self.desk.run_action(
            incidents.approve_incident,
            incident_id=incident_id,
            actor=f"slack:{user}",
            text=text,
            text_en=text_en,
            make_copy=self.desk.pipeline.incident_copy,
            digest_now=self.desk.pipeline.digest_now,
        )
        result = await self.desk.guarded(client, channel=channel, user=user, work=work)
        await self._after_send(incident_id, result, user, channel)

    async def on_send_late(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, channel = self.desk._where(body)
        if not await self.desk._staff_only(client, user, channel):
            return
        incident_id = int(str(body["actions"][0].get("value") or "0").partition(":")[0])
        work = self.desk.run_action(
            incidents.send_late,
            incident_id=incident_id,
            actor=f"slack:{user}",
            make_copy=self.desk.pipeline.incident_copy,
            digest_now=self.desk.pipeline.digest_now,
        )
        result = await self.desk.guarded(client, channel=channel, user=user, work=work)
        await self._after_send(incident_id, result, user, channel)


__all__ = [
    "APPROVE_ALL",
    "APPROVE_VIEW",
    "SEND_LATE",
    "IncidentBoard",
    "IncidentCardData",
    "approve_modal",
    "incident_card",
    "load_incident",
]
