"""Pure Block Kit builders for the triage card, its thread and its modals (no I/O, no Slack client).

Everything staff read is Japanese. Every builder keeps within the limits in :mod:`bot.slack.blockkit`:
long inquiry text is cut on the card with a note, and the full text goes to the card's thread in pieces.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack import blockkit as bk
from bot.slack.factlines import fact_summary
from desk import noninquiry, trust
from intents.model import INTENT_IDS

# action_id / callback_id values the app listens for
APPROVE = "madoguchi_approve"
EDIT = "madoguchi_edit"
REROUTE = "madoguchi_reroute"
ASSIGN = "madoguchi_assign"
REJECT = "madoguchi_reject"
SHOW_DRAFT = "madoguchi_show_draft"
UNASSIGN = "madoguchi_unassign"
BULK_APPROVE = "madoguchi_bulk_approve"
MORE = "madoguchi_more"  # the overflow menu: waiting for the customer, snooze
MORE_OPTIONS = {
    "wait": "お客さまの返答待ちにする",
    "unwait": "返答待ちを解除",
    "snooze_hour": "1時間スヌーズ",
    "snooze_tomorrow": "翌営業日の始業までスヌーズ",
    "unsnooze": "スヌーズを解除",
}
REASSIGN = "madoguchi_reassign"
CLOSE_NO_REPLY = "madoguchi_close_no_reply"  # 対応不要として完了 (thanks, sales, phishing)
REOPEN = "madoguchi_reopen"  # take the closing back
# One button per candidate intent of an unclear inquiry; the intent follows the colon (action ids must differ
# within a block), and the button's value is "inquiry id:draft id:intent".
REROUTE_TO = "madoguchi_reroute_to"
STAFF_REPLY = "madoguchi_staff_reply"
EDIT_VIEW = "madoguchi_edit_view"
REJECT_VIEW = "madoguchi_reject_view"
EDIT_BLOCK, EDIT_INPUT = "draft_text", "text"
SAVE_ONLY_BLOCK, SAVE_ONLY_INPUT, SAVE_ONLY_VALUE = "save_only", "options", "save_only"
REASON_BLOCK, REASON_INPUT = "reason", "text"

EXCERPT_CHARS = 1200  # inquiry text shown on the card itself
THREAD_CHUNK = 3000  # one thread message of the full text
DRAFT_SECTIONS = 8  # a draft longer than this many full sections is cut on the card

CHANNEL_LABELS = {"email": "メール", "form": "問い合わせフォーム", "slack": "Slack", "cli": "端末"}
STATUS_LABELS = {
    "pending": "🕒 承認待ち",
    "approved": "✅ 承認済み（送信待ち）",
    "sent": "📨 送信済み",
    "rejected": "🚫 却下",
    "superseded": "↩ 差し替え済み",
}
ACTION_LABELS = {
    "approve": "承認しました",
    "approved": "承認しました",
    "edit": "返信案を編集しました",
    "save_edit": "返信案を編集しました",
    "edited": "返信案を編集しました",
    "reject": "却下しました",
    "rejected": "却下しました",
    "assign": "担当者を設定しました",
    "assigned": "担当者を設定しました",
    "redraft": "区分を変更しました",
    "reroute": "区分を変更しました",
    "sent": "返信を送信しました",
    "send_failed": "送信に失敗しました",
    "failed": "送信に失敗しました",
    "received": "受け付けました",
    "drafted": "返信案を作成しました",
    "rerouted": "区分を変更して返信案を作り直しました",
    "send_blocked": "送信前の確認で送信を止めました",
    "customer_replied": "お客さまから同じスレッドに追記がありました",
    "refused": "権限のない操作を試みました（実行していません）",
    "ack_queued": "受付のお知らせを送信待ちにしました",
    "staff_note": "スレッドに社内メモを書きました",
    "staff_replied": "スレッドで直接回答しました",
    "closing": "お客さまからお礼・了承の連絡がありました（返信不要）",
    "follow_up": "お客さまから回答後の追加のご質問がありました",
    "sla_reminded": "回答期限が近いことを通知しました",
    "waiting": "お客さまの返答待ちにしました",
    "waiting_ended": "返答待ちを解除しました",
    "snoozed": "スヌーズしました",
    "snooze_ended": "スヌーズを終えました",
    "unassigned": "担当を外しました",
    "closed_no_reply": "対応不要として完了しました",
    "reopened": "完了を取り消しました",
    "manager_notified": "管理者に確認を依頼しました",
}


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: dt.datetime
    actor: str  # "slack:U123", "cli:name", "system"
    action: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ThreadUpdate:
    """A later message in the inquiry's thread: the customer's follow-up or a staff member's note."""

    at: dt.datetime
    kind: str  # "customer" | "staff_note"
    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class CardData:
    """What a triage card shows, read from the store by :mod:`bot.slack.poster`."""

    inquiry_id: int
    channel: str
    subject: str
    sender: str
    sender_name: str
    text: str
    received_at: dt.datetime
    intents: Sequence[tuple[str, float]]
    customer: str | None  # "山田商事株式会社（お客さま番号 30012345）"
    contracts: Sequence[str]
    verified: bool
    urgent: bool
    inquiry_status: str
    draft_id: int | None = None
    draft_status: str | None = None
    draft_text: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)
    missing: Sequence[str] = ()
    notes: Sequence[str] = ()
    assignee: str | None = None
    history: Sequence[HistoryLine] = ()
    rejected_reason: str | None = None
    flags: Sequence[str] = ()  # desk.trust flags of the inquiry
    updates: Sequence[ThreadUpdate] = ()
    follow_up: bool = False  # the customer asked again after being answered
    deadline: dt.datetime | None = None  # reply deadline (SLA) in desk business hours
    business_seconds_left: float | None = None  # until the deadline; negative when overdue
    attachments: Sequence[tuple[str, int]] = ()  # (file name, size in bytes)
    permalink: str | None = None  # the customer's own Slack thread
    recent: int = 0  # the customer's other inquiries in the last RECENT_DAYS days
    waiting: bool = False  # staff wait for the customer's answer (no reminders)
    snoozed_until: dt.datetime | None = None
    language: str = "ja"  # of the inquiry and its draft ("ja" | "en")
    # Why the primary intent is "other" (intents.model.OTHER_REASONS), None for a procedure; the intents an
    # abstaining classifier hesitated between; the hosts the message's links point to (phishing warning).
    other_reason: str | None = None
    candidates: Sequence[tuple[str, float]] = ()
    link_domains: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class SlackMessage:
    text: str  # notification / fallback text
    blocks: list[dict[str, Any]]


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": bk.truncate(text or " ", limit), "emoji": True}


def mrkdwn(text: str, limit: int = bk.SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": bk.truncate(text or " ", limit)}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[: bk.CONTEXT_ELEMENTS]]}


def who(actor: str) -> str:
    """An audit actor as Slack shows it: a user mention for Slack users."""
    if actor.startswith("slack:"):
        return f"<@{actor.removeprefix('slack:')}>"
    if actor.startswith("cli:"):
        return f"{bk.escape_mrkdwn(actor.removeprefix('cli:'))}（端末）"
    return "システム" if actor in ("", "system") else bk.escape_mrkdwn(actor)


def aware(at: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the store writes UTC."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at


def age_text(received_at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((aware(now) - aware(received_at)).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}分前"
    if minutes < 24 * 60:
        return f"{minutes // 60}時間{minutes % 60}分前"
    return f"{minutes // (24 * 60)}日前"


def when(at: dt.datetime, tz: ZoneInfo) -> str:
    return aware(at).astimezone(tz).strftime("%Y/%m/%d %H:%M")


def intent_label(intent_id: str, labels: Mapping[str, str]) -> str:
    """The Japanese label of an intent; never the raw id (staff read Japanese only)."""
    return labels.get(intent_id) or ("その他のお問い合わせ" if intent_id == "other" else "区分未登録")


def fact_lines(facts: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> list[str]:
    """Computed facts as Japanese bullet lines (amounts, dates and units formatted; see factlines)."""
    return [f"• {bk.escape_mrkdwn(line)}" for line in fact_summary(facts, labels or {})]


WEEKDAYS = "月火水木金土日"
FACT_LINES_ON_CARD = 3
UPDATES_ON_CARD = 2
EXCERPT_ON_CARD = 140  # characters of the inquiry on the card, on one line
UPDATE_CHARS = 100


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (line breaks become " / "), cut to ``limit`` characters."""
    flat = " / ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return bk.truncate(flat, limit)


def short_when(at: dt.datetime, tz: ZoneInfo) -> str:
    local = aware(at).astimezone(tz)
    return f"{local.month}/{local.day}({WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def business_span(seconds: float) -> str:
    """Business seconds as 「3時間20分」 (hours of desk time, not calendar days)."""
    minutes = int(abs(seconds) // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}時間{rest}分"
    return f"{hours}時間" if hours else f"{rest}分"


def _title_line(data: CardData, labels: Mapping[str, str]) -> str:
    primary, *others = list(data.intents) or [("other", 0.0)]
    label = intent_label(primary[0], labels)
    if primary[0] == "other" and data.other_reason:
        label += f"：{noninquiry.reason_label(data.other_reason)}"
    title = f"*#{data.inquiry_id:06d} {bk.escape_mrkdwn(label)}*"
    title += f"（確度 {primary[1]:.0%}）"
    rest = [intent_label(i, labels) for i, _score in others if i != "other"]
    if rest:
        title += f"　ほか: {bk.escape_mrkdwn('、'.join(rest))}"
    if data.follow_up:
        title = "↩ *フォローアップ*（回答後の追加のご質問）　" + title
    return title


RECENT_DAYS = 90


def _customer_line(data: CardData) -> str:
    customer = bk.escape_mrkdwn(data.customer) if data.customer else "お客さま未特定"
    identity = "✅ 本人確認済み" if data.verified else "⚠ 本人確認未了"
    identity += f"　{trust.card_line(data.flags)}" if trust.card_line(data.flags) else ""
    line = f"👤 {customer}　{identity}"
    if data.contracts:
        line += f"　契約 {bk.escape_mrkdwn('、'.join(data.contracts))}"
    if data.recent:
        line += f"　過去{RECENT_DAYS}日の問い合わせ {data.recent}件"
    return line


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}MB"
    return f"{max(1, round(size / 1024))}KB"


def _attachments_text(data: CardData) -> str:
    if not data.attachments:
        return ""
    first, size = data.attachments[0]
    more = f" ほか{len(data.attachments) - 1}件" if len(data.attachments) > 1 else ""
    return f"　📎 {bk.escape_mrkdwn(bk.truncate(first, 40))}（{size_text(size)}）{more}"


def _deadline_line(data: CardData, tz: ZoneInfo) -> str:
    urgency = "🚨 *緊急*" if data.urgent else "通常"
    if data.waiting:
        return f"{urgency}　⏸ お客さまの返答待ち（回答期限の通知は止めています）"
    if data.snoozed_until is not None:
        return f"{urgency}　💤 {short_when(data.snoozed_until, tz)} までスヌーズ中"
    if data.deadline is None:
        return urgency
    due = f"⏰ 期限 {short_when(data.deadline, tz)}"
    if data.inquiry_status in ("answered", "rejected", "ignored", "closed"):
        return f"{urgency}　{due}　対応済み"
    left = data.business_seconds_left
    if left is None:
        return f"{urgency}　{due}"
    if left < 0:
        return f"{urgency}　{due}　⚠ *期限超過*（営業時間で{business_span(left)}超過）"
    return f"{urgency}　{due}　残り 営業時間で{business_span(left)}"


def _context_line(data: CardData, now: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    received = f"{CHANNEL_LABELS.get(data.channel, 'その他')} {when(data.received_at, tz)}"
    received += f"（{age_text(data.received_at, now)}）"
    # English inquiries get English drafts: staff should know before they open one.
    received += "　言語: 英語（返信案も英語）" if data.language == "en" else ""
    if data.channel == "slack" and data.sender:
        sender = f"<@{data.sender}>"
    else:
        sender = bk.escape_mrkdwn(
            " ".join(p for p in (data.sender_name, f"<{data.sender}>") if p.strip("<>"))
        )
    status = STATUS_LABELS.get(data.draft_status or "", "返信案なし")
    if data.inquiry_status == "closed":
        status = "✅ 対応不要として完了"
    elif data.draft_id is None and _reason(data) is not None:
        status = "返信不要（返信案なし）"
    assignee = who(data.assignee) if data.assignee else "未割当"
    link = f"　<{data.permalink}|元のスレッド>" if data.permalink else ""
    return context(
        f"受付 {received}　差出人 {sender or '（不明）'}　担当 {assignee}　{status}{_attachments_text(data)}{link}"
    )


def _summary_blocks(data: CardData, labels: Mapping[str, str], tz: ZoneInfo) -> list[dict[str, Any]]:
    lines = [_title_line(data, labels), _customer_line(data), _deadline_line(data, tz)]
    return [section("\n".join(lines))]


def _reason(data: CardData) -> noninquiry.Handling | None:
    """The handling of a non-inquiry's reason (desk/noninquiry.py); None for a procedure."""
    primary = data.intents[0][0] if data.intents else "other"
    if primary != "other" or not data.other_reason:
        return None
    return noninquiry.handling_of(data.other_reason)


def slack_link(url: str | None, text: str) -> str:
    return f"<{url}|{text}>" if url else ""


def defanged(host: str) -> str:
    """A host name staff can read but neither Slack nor a mail client turns into a link."""
    return host.replace(".", "[.]")


def _reason_block(data: CardData, labels: Mapping[str, str], manager_usergroup: str) -> list[dict[str, Any]]:
    """What the reason means for staff: no reply needed, do not open links (and which hosts they point to),
    a manager must look, or the candidates an unclear reading hesitated between."""
    handling = _reason(data)
    if handling is None:
        return []
    lines = [("⚠ " if handling.warn_links or handling.manager else "ℹ ") + handling.card_line]
    if handling.manager:
        group = f"<!subteam^{manager_usergroup}> " if manager_usergroup else ""
        lines[0] = f"{group}🔺 *要マネージャー確認*　" + lines[0].removeprefix("⚠ ")
    if handling.warn_links:
        if data.link_domains:
            hosts = "、".join(f"`{defanged(h)}`" for h in data.link_domains)
            lines.append(f"本文のリンク先（開かないでください）: {hosts}")
        else:
            lines.append("本文にリンクはありません。")
        if data.attachments:
            lines.append(f"添付ファイル {len(data.attachments)}件（開かないでください）")
    if data.other_reason == "unclear" and data.candidates:
        shown = "、".join(f"{intent_label(i, labels)} {score:.0%}" for i, score in data.candidates)
        lines.append(f"候補: {bk.escape_mrkdwn(shown)}")
    return [section("\n".join(lines))]


def _body_blocks(data: CardData) -> list[dict[str, Any]]:
    text = data.text.strip()
    handling = _reason(data)
    if handling is not None and handling.warn_links:  # nothing on the card of a phishing mail is clickable
        text = noninquiry.defang_links(text)
    excerpt = one_line(text, EXCERPT_ON_CARD) if text else "（本文なし）"
    more = "（全文はスレッド）" if len(text) > EXCERPT_CHARS else ""
    return [section(f"> {bk.escape_mrkdwn(excerpt)}{more}")]


def _facts_blocks(data: CardData, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    lines = [
        f"• {bk.escape_mrkdwn(line)}" for line in fact_summary(data.facts, labels, limit=FACT_LINES_ON_CARD)
    ]
    remarks = []
    if data.missing:
        remarks.append(f"不足: {'、'.join(data.missing)}")
    if data.notes:
        # The newest remark first: later ones (an incident it joined, a failure) matter most right now.
        extra = f"（ほか{len(data.notes) - 1}件）" if len(data.notes) > 1 else ""
        remarks.append(f"メモ: {data.notes[-1]}{extra}")
    if remarks:
        lines.append("📝 " + bk.escape_mrkdwn(one_line("　".join(remarks), 240)))
    return [section("\n".join(lines))] if lines else []


def _updates_block(data: CardData, tz: ZoneInfo) -> list[dict[str, Any]]:
    lines = []
    for update in list(data.updates)[-UPDATES_ON_CARD:]:
        said = bk.escape_mrkdwn(one_line(update.text, UPDATE_CHARS))
        if update.kind == "staff_note":
            lines.append(f"📝 {short_when(update.at, tz)} {who(update.actor)} の社内メモ: {said}")
        else:
            lines.append(f"💬 {short_when(update.at, tz)} お客さまの追記: {said}")
    return [section("\n".join(lines))] if lines else []


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": plain(text, bk.BUTTON_TEXT), "action_id": action_id}
    button["value"] = value
    if style:
        button["style"] = style
    return button


def intent_options(labels: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"text": plain(intent_label(i, labels), bk.OPTION_TEXT), "value": i}
        for i in INTENT_IDS[: bk.SELECT_OPTIONS]
    ]


def _close_button(data: CardData) -> dict[str, Any]:
    button = _button(
        "対応不要として完了", CLOSE_NO_REPLY, f"{data.inquiry_id}:{data.draft_id or 0}", "primary"
    )
    button["confirm"] = {
        "title": plain("対応不要として完了しますか？", bk.CONFIRM_TITLE),
        "text": mrkdwn("お客さまには何も送信せずに完了します（あとで取り消せます）。", bk.CONFIRM_TEXT),
        "confirm": plain("完了する", bk.CONFIRM_BUTTON),
        "deny": plain("やめる", bk.CONFIRM_BUTTON),
    }
    return button


def _triage_actions(data: CardData, labels: Mapping[str, str]) -> dict[str, Any] | None:
    """The buttons of a card without a pending draft: a non-inquiry waiting for staff (close in one click,
    re-route when the reading was wrong, take it) or one closed without a reply (take the closing back)."""
    value = f"{data.inquiry_id}:{data.draft_id or 0}"
    if data.inquiry_status == "closed":
        return {
            "type": "actions",
            "block_id": f"card_closed_{data.inquiry_id}_{data.draft_id or 0}",
            "elements": [_button("完了を取り消す", REOPEN, value)],
        }
    handling = _reason(data)
    if handling is None or data.draft_id is not None or data.inquiry_status not in ("drafted", "received"):
        return None  # a draft waits: the usual buttons
    elements: list[dict[str, Any]] = [_close_button(data)] if handling.close_offer else []
    elements.append(
        {
            "type": "static_select",
            "action_id": REROUTE,
            "placeholder": plain("区分を変更", bk.PLACEHOLDER),
            "options": intent_options(labels),
        }
    )
    take = _button("担当を外す", UNASSIGN, value) if data.assignee else _button("担当する", ASSIGN, value)
    elements += [
        take,
        {"type": "users_select", "action_id": REASSIGN, "placeholder": plain("担当者を選ぶ", bk.PLACEHOLDER)},
    ]
    return {
        "type": "actions",
        "block_id": f"card_triage_{data.inquiry_id}_{data.draft_id or 0}",
        "elements": elements,
    }


def _candidate_actions(data: CardData, labels: Mapping[str, str]) -> dict[str, Any] | None:
    """One-click re-routes to each candidate of an unclear reading (while its draft is pending)."""
    if data.other_reason != "unclear" or not data.candidates or _reason(data) is None:
        return None
    if data.draft_status not in ("pending", None) or data.inquiry_status not in ("drafted", "received"):
        return None
    buttons = [
        _button(
            f"「{intent_label(intent, labels)}」に変更",
            f"{REROUTE_TO}:{intent}",
            f"{data.inquiry_id}:{data.draft_id or 0}:{intent}",
        )
        for intent, _score in list(data.candidates)[: bk.ACTIONS_ELEMENTS]
    ]
    return {
        "type": "actions",
        "block_id": f"card_candidates_{data.inquiry_id}_{data.draft_id or 0}",
        "elements": buttons,
    }


def _actions(data: CardData, labels: Mapping[str, str]) -> dict[str, Any]:
    value = f"{data.inquiry_id}:{data.draft_id}"
    show = _button("下書きを表示", SHOW_DRAFT, value)
    if data.draft_status != "pending":
        return {
            "type": "actions",
            "block_id": f"card_view_{data.inquiry_id}_{data.draft_id}",
            "elements": [show],
        }
    approve = _button("承認して送信", APPROVE, value, "primary")
    approve["confirm"] = {
        "title": plain("返信を送信しますか？", bk.CONFIRM_TITLE),
        "text": mrkdwn("この返信案をお客さまへ送信します。よろしいですか？", bk.CONFIRM_TEXT),
        "confirm": plain("送信する", bk.CONFIRM_BUTTON),
        "deny": plain("やめる", bk.CONFIRM_BUTTON),
    }
    reroute = {
        "type": "static_select",
        "action_id": REROUTE,
        "placeholder": plain("区分を変更", bk.PLACEHOLDER),
        "options": intent_options(labels),
    }
    take = _button("担当を外す", UNASSIGN, value) if data.assignee else _button("担当する", ASSIGN, value)
    reassign = {
        "type": "users_select",
        "action_id": REASSIGN,
        "placeholder": plain("担当者を選ぶ", bk.PLACEHOLDER),
    }
    more = {
        "type": "overflow",
        "action_id": MORE,
        "options": [
            {"text": plain(MORE_OPTIONS[key], bk.OPTION_TEXT), "value": key}
            for key in (
                "unwait" if data.waiting else "wait",
                "snooze_hour",
                "snooze_tomorrow",
                *(("unsnooze",) if data.snoozed_until is not None else ()),
            )
        ],
    }
    return {
        "type": "actions",
        "block_id": f"card_actions_{data.inquiry_id}_{data.draft_id}",
        "elements": [
            approve,
            show,
            _button("編集", EDIT, value),
            reroute,
            take,
            reassign,
            _button("却下", REJECT, value, "danger"),
            more,
        ],
    }


HISTORY_ON_CARD = 3


def _history_block(data: CardData, tz: ZoneInfo) -> dict[str, Any] | None:
    lines = []
    for line in list(data.history)[-HISTORY_ON_CARD:]:
        text = ACTION_LABELS.get(line.action, "操作しました")
        lines.append(f"{short_when(line.at, tz)} {who(line.actor)} が{text}")
    if data.draft_status == "rejected" and data.rejected_reason:
        lines.append(f"却下の理由: {bk.escape_mrkdwn(one_line(data.rejected_reason, 200))}")
    # One context element: Slack lays several out side by side, which reads as one line anyway.
    return context("　／　".join(lines[-(HISTORY_ON_CARD + 1) :])) if lines else None


def triage_card(
    data: CardData,
    *,
    labels: Mapping[str, str],
    now: dt.datetime,
    tz: ZoneInfo,
    oncall_usergroup: str = "",
    manager_usergroup: str = "",
) -> SlackMessage:
    """The card staff see in the triage channel, scannable at a glance.

    The first three lines answer what it is, who asks (verified or not) and how urgent it is with the
    deadline and the business time left; then one line of the inquiry, the computed facts in Japanese,
    what the customer or staff added in the thread, the buttons and the last actions. The draft itself is
    behind 下書きを表示 (shown only to whoever asks), so the card stays within 15 lines."""
    blocks: list[dict[str, Any]] = _summary_blocks(data, labels, tz)
    handling = _reason(data)
    blocks += _reason_block(data, labels, manager_usergroup)
    if data.urgent and not (handling is not None and handling.manager):  # a complaint is the managers' call
        group = f"<!subteam^{oncall_usergroup}> " if oncall_usergroup else ""
        blocks.append(section(f"{group}🚨 停電・緊急のお問い合わせです。至急ご確認ください。"))
    blocks.append(_context_line(data, now, tz))
    blocks += _body_blocks(data)
    blocks += _facts_blocks(data, labels)
    blocks += _updates_block(data, tz)
    candidates = _candidate_actions(data, labels)
    if candidates is not None:
        blocks.append(candidates)
    triage = _triage_actions(data, labels)
    if triage is not None:
        blocks.append(triage)
    elif data.draft_id is not None:
        blocks.append(_actions(data, labels))
    elif data.inquiry_status == "failed":
        blocks.append(context("返信案はまだありません。"))
    history = _history_block(data, tz)
    if history:
        blocks.append(history)
    blocks = blocks[: bk.MAX_MESSAGE_BLOCKS]
    primary = intent_label(data.intents[0][0], labels) if data.intents else intent_label("other", labels)
    if handling is not None:
        primary += f"：{noninquiry.reason_label(data.other_reason)}"
    urgent = "【要マネージャー確認】" if handling is not None and handling.manager else ""
    urgent = urgent or ("【緊急】" if data.urgent else "")
    follow = "【フォローアップ】" if data.follow_up else ""
    text = f"{urgent}{follow}新しいお問い合わせ #{data.inquiry_id:06d}（{primary}）"
    return SlackMessage(text=text, blocks=blocks)


def draft_messages(data: CardData, labels: Mapping[str, str] | None = None) -> SlackMessage:
    """The whole draft for 下書きを表示 (an ephemeral message to whoever asked), in Block Kit sized pieces."""
    if data.draft_id is None:
        return notice_message("この問い合わせには返信案がありません。")
    status = STATUS_LABELS.get(data.draft_status or "", "")
    head = f"*#{data.inquiry_id:06d} の返信案*（案 #{data.draft_id}・{status}）"
    pieces = bk.split_text(data.draft_text.strip() or "（空）", bk.SECTION_TEXT - 20)
    blocks = [section(head)] + [section("```" + bk.escape_mrkdwn(p) + "```") for p in pieces[:DRAFT_SECTIONS]]
    facts = fact_lines(data.facts, labels or {})
    if facts:  # the card shows the first few; here they all are
        blocks.append(section("*計算結果*\n" + "\n".join(facts)))
    remarks = [f"不足している情報: {'、'.join(data.missing)}"] if data.missing else []
    remarks += list(data.notes)
    if remarks:
        blocks.append(section("*担当者向けメモ*\n" + "\n".join(f"📝 {bk.escape_mrkdwn(r)}" for r in remarks)))
    if len(pieces) > DRAFT_SECTIONS:
        blocks.append(
            context("✂ 返信案が長いため途中までを表示しています。全文は編集画面か端末で確認してください。")
        )
    return SlackMessage(text=bk.truncate(f"#{data.inquiry_id:06d} の返信案", 3000), blocks=blocks)


def thread_messages(text: str) -> list[str]:
    """The full inquiry text as thread messages of at most :data:`THREAD_CHUNK` characters each."""
    pieces = _split_escaped(bk.escape_mrkdwn(text), THREAD_CHUNK - 40)
    total = len(pieces)
    return [f"*原文（{i}/{total}）*\n{p}" for i, p in enumerate(pieces, 1)]


def _split_escaped(escaped: str, limit: int) -> list[str]:
    """Split mrkdwn-escaped text without cutting an ``&amp;``-style entity in two."""
    pieces = bk.split_text(escaped, limit)
    for i in range(len(pieces) - 1):
        amp = pieces[i].rfind("&", -5)
        if amp != -1 and ";" not in pieces[i][amp:]:
            pieces[i], pieces[i + 1] = pieces[i][:amp], pieces[i][amp:] + pieces[i + 1]
    return pieces


def edit_modal(*, inquiry_id: int, draft_id: int, text: str, card: str) -> dict[str, Any]:
    """The edit modal: the draft in a multiline input; a checkbox keeps it as a saved edit only."""
    too_long = len(text) > bk.INPUT_MAX_LENGTH
    blocks: list[dict[str, Any]] = []
    if too_long:
        blocks.append(
            section(f"⚠ 返信案が{bk.INPUT_MAX_LENGTH:,}文字を超えるため、先頭のみを表示しています。")
        )
    blocks.append(
        {
            "type": "input",
            "block_id": EDIT_BLOCK,
            "label": plain("返信文", bk.INPUT_LABEL),
            "element": {
                "type": "plain_text_input",
                "action_id": EDIT_INPUT,
                "multiline": True,
                "max_length": bk.INPUT_MAX_LENGTH,
                "initial_value": text[: bk.INPUT_MAX_LENGTH],
            },
        }
    )
    blocks.append(
        {
            "type": "input",
            "block_id": SAVE_ONLY_BLOCK,
            "optional": True,
            "label": plain("送信", bk.INPUT_LABEL),
            "element": {
                "type": "checkboxes",
                "action_id": SAVE_ONLY_INPUT,
                "options": [
                    {"text": plain("保存のみ（送信しない）", bk.OPTION_TEXT), "value": SAVE_ONLY_VALUE}
                ],
            },
        }
    )
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "private_metadata": json.dumps({"inquiry_id": inquiry_id, "draft_id": draft_id, "card": card}),
        "title": plain("返信案の編集", bk.VIEW_TITLE),
        "submit": plain("決定", bk.VIEW_TITLE),
        "close": plain("キャンセル", bk.VIEW_TITLE),
        "blocks": blocks,
    }


def reject_modal(*, inquiry_id: int, draft_id: int, card: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": json.dumps({"inquiry_id": inquiry_id, "draft_id": draft_id, "card": card}),
        "title": plain("返信案の却下", bk.VIEW_TITLE),
        "submit": plain("却下する", bk.VIEW_TITLE),
        "close": plain("キャンセル", bk.VIEW_TITLE),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": plain("却下の理由", bk.INPUT_LABEL),
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": 1000,
                    "placeholder": plain("例: 電話で回答済みのため", bk.PLACEHOLDER),
                },
            }
        ],
    }


def notice_message(text: str) -> SlackMessage:
    """A short message (ephemeral notices, slash command answers) as one or more sections."""
    pieces = bk.split_text(text, bk.SECTION_TEXT - 10)[: bk.MAX_MESSAGE_BLOCKS]
    return SlackMessage(text=bk.truncate(text, 3000), blocks=[section(p) for p in pieces])


def staff_reply_offer(*, inquiry_id: int, external_id: str) -> SlackMessage:
    """Ephemeral offer to a staff member who wrote in a customer's thread: record it as the answer."""
    text = (
        "この書き込みは社内メモとして記録しました（返信案はそのままです）。"
        "この書き込みをお客さまへの回答とする場合は、下のボタンで記録してください。"
    )
    button = _button("回答として記録", STAFF_REPLY, f"{inquiry_id}|{external_id}", "primary")
    button["confirm"] = {
        "title": plain("回答として記録しますか？", bk.CONFIRM_TITLE),
        "text": mrkdwn(
            f"問い合わせ #{inquiry_id:06d} を回答済みにし、返信案は送信しません。よろしいですか？",
            bk.CONFIRM_TEXT,
        ),
        "confirm": plain("記録する", bk.CONFIRM_BUTTON),
        "deny": plain("やめる", bk.CONFIRM_BUTTON),
    }
    return SlackMessage(text=text, blocks=[section(text), {"type": "actions", "elements": [button]}])


def bulk_offer(items: Sequence[tuple[int, int, str, str]]) -> SlackMessage:
    """The confirmation of a bulk approval: every draft listed, one button (with a dialog) for all of them.

    ``items`` are (inquiry id, draft id, intent label, subject)."""
    if not items:
        return notice_message(
            "一括承認できる返信案はありません（本人確認済み・契約データなし・不足情報なし・"
            "担当者向けメモなし・緊急でない・区分の確度が高い、のすべてを満たすものが対象です）。"
        )
    lines = [f"*一括承認できる返信案（{len(items)}件）*"]
    lines += [
        f"• #{inquiry_id:06d} {bk.escape_mrkdwn(label)}　{bk.escape_mrkdwn(one_line(subject, 40))}"
        for inquiry_id, _draft_id, label, subject in items
    ]
    button = _button(
        f"{len(items)}件を承認して送信",
        BULK_APPROVE,
        ",".join(str(draft_id) for _i, draft_id, _l, _s in items),
        "primary",
    )
    button["confirm"] = {
        "title": plain("まとめて送信しますか？", bk.CONFIRM_TITLE),
        "text": mrkdwn(
            f"上の{len(items)}件の返信案をお客さまへ送信します。よろしいですか？",
            bk.CONFIRM_TEXT,
        ),
        "confirm": plain("送信する", bk.CONFIRM_BUTTON),
        "deny": plain("やめる", bk.CONFIRM_BUTTON),
    }
    text = "\n".join(lines)
    return SlackMessage(
        text=bk.truncate(text, 3000), blocks=[section(text), {"type": "actions", "elements": [button]}]
    )
