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
from desk import trust
from intents.model import INTENT_IDS

# action_id / callback_id values the app listens for
APPROVE = "madoguchi_approve"
EDIT = "madoguchi_edit"
REROUTE = "madoguchi_reroute"
ASSIGN = "madoguchi_assign"
REJECT = "madoguchi_reject"
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
}


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: dt.datetime
    actor: str  # "slack:U123", "cli:name", "system"
    action: str
    detail: Mapping[str, Any] = field(default_factory=dict)


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
    language: str = "ja"  # of the inquiry and its draft ("ja" | "en")


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
    return labels.get(intent_id, intent_id)


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value)


def fact_lines(facts: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> list[str]:
    """One line per computed fact. Facts come per intent (``{intent: {key: value}}``); a flat mapping
    or ``{"label": …, "value": …}`` entries are shown as they are."""
    lines: list[str] = []
    for key, value in facts.items():
        if isinstance(value, Mapping) and "label" in value:
            label, shown = str(value["label"]), _shown(value.get("value", ""))
            lines.append(f"• {bk.escape_mrkdwn(label)}: {bk.escape_mrkdwn(shown)}")
        elif isinstance(value, Mapping) and key in INTENT_IDS:
            lines.append(f"*{bk.escape_mrkdwn(intent_label(key, labels or {}))}*")
            lines += [
                f"• {bk.escape_mrkdwn(str(k))}: {bk.escape_mrkdwn(_shown(v))}" for k, v in value.items()
            ]
        else:
            lines.append(f"• {bk.escape_mrkdwn(str(key))}: {bk.escape_mrkdwn(_shown(value))}")
    return lines


def _header(data: CardData) -> dict[str, Any]:
    mark = "🚨【緊急】" if data.urgent else ""
    first_line = data.text.strip().splitlines()[0] if data.text.strip() else ""
    subject = data.subject or first_line
    return {
        "type": "header",
        "text": plain(f"{mark}#{data.inquiry_id:06d} {subject or '（件名なし）'}", bk.HEADER_TEXT),
    }


def _fields(data: CardData, labels: Mapping[str, str], now: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    intents = "\n".join(f"{intent_label(i, labels)}（{score:.2f}）" for i, score in data.intents) or "その他"
    received = f"{CHANNEL_LABELS.get(data.channel, data.channel)}\n{when(data.received_at, tz)}"
    received += f"（{age_text(data.received_at, now)}）"
    received += "\n言語: 英語（返信案も英語）" if data.language == "en" else ""
    sender = bk.escape_mrkdwn(" ".join(p for p in (data.sender_name, f"<{data.sender}>") if p.strip("<>")))
    if data.channel == "slack" and data.sender:
        sender = f"<@{data.sender}>"
    customer = bk.escape_mrkdwn(data.customer) if data.customer else "（特定できませんでした）"
    identity = "✅ 本人確認済み" if data.verified else "⚠ 本人確認未了"
    identity += f"\n{trust.card_line(data.flags)}" if trust.card_line(data.flags) else ""
    contracts = "、".join(data.contracts) if data.contracts else "（なし）"
    status = STATUS_LABELS.get(data.draft_status or "", "返信案なし")
    assignee = who(data.assignee) if data.assignee else "未割当"
    texts = [
        f"*区分*\n{intents}",
        f"*受付*\n{received}",
        f"*差出人*\n{sender or '（不明）'}",
        f"*お客さま*\n{customer}\n{identity}",
        f"*契約*\n{bk.escape_mrkdwn(contracts)}",
        f"*担当*\n{assignee}\n*状態*\n{status}",
    ]
    return {"type": "section", "fields": [mrkdwn(t, bk.SECTION_FIELD) for t in texts]}


def _body_blocks(data: CardData) -> list[dict[str, Any]]:
    text = data.text.strip()
    excerpt = bk.truncate(text, EXCERPT_CHARS)
    blocks = [section("*お問い合わせ内容*\n" + _quote(excerpt))]
    if len(text) > EXCERPT_CHARS:
        blocks.append(
            context(
                f"✂ 長文のため一部のみ表示しています（全{len(text):,}文字）。全文はスレッドをご覧ください。"
            )
        )
    return blocks


def _quote(text: str) -> str:
    return "\n".join("> " + bk.escape_mrkdwn(line) for line in text.splitlines()) or "> （本文なし）"


def _facts_blocks(data: CardData, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    blocks = []
    lines = fact_lines(data.facts, labels)
    if lines:
        blocks.append(section("*計算済みの事実*\n" + "\n".join(lines)))
    remarks = [f"不足している情報: {bk.escape_mrkdwn('、'.join(data.missing))}"] if data.missing else []
    remarks += [f"📝 {bk.escape_mrkdwn(n)}" for n in data.notes]
    if remarks:
        blocks.append(section("*担当者向けメモ*\n" + "\n".join(remarks)))
    return blocks


def _draft_blocks(data: CardData) -> list[dict[str, Any]]:
    if data.draft_id is None:
        return [section("*返信案*\n返信案はまだありません。")]
    pieces = bk.split_text(data.draft_text.strip() or "（空）", bk.SECTION_TEXT - 20)
    blocks = [section(f"*返信案*（案 #{data.draft_id}）")]
    for piece in pieces[:DRAFT_SECTIONS]:
        blocks.append(section("```" + bk.escape_mrkdwn(piece) + "```"))
    if len(pieces) > DRAFT_SECTIONS:
        blocks.append(
            context(
                "✂ 返信案が長いため途中までを表示しています。"
                "全文は端末（madoguchi review）で確認してください。"
            )
        )
    return blocks


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


def _actions(data: CardData, labels: Mapping[str, str]) -> dict[str, Any]:
    value = f"{data.inquiry_id}:{data.draft_id}"
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
    return {
        "type": "actions",
        "block_id": f"card_actions_{data.inquiry_id}_{data.draft_id}",
        "elements": [
            approve,
            _button("編集", EDIT, value),
            reroute,
            _button("担当する", ASSIGN, value),
            _button("却下", REJECT, value, "danger"),
        ],
    }


def _history_block(data: CardData, tz: ZoneInfo) -> dict[str, Any] | None:
    lines = []
    for line in list(data.history)[-bk.CONTEXT_ELEMENTS :]:
        text = ACTION_LABELS.get(line.action, line.action)
        lines.append(f"{when(line.at, tz)} {who(line.actor)} が{text}")
    if data.draft_status == "rejected" and data.rejected_reason:
        lines.append(f"却下の理由: {bk.escape_mrkdwn(data.rejected_reason)}")
    return context(*lines[-bk.CONTEXT_ELEMENTS :]) if lines else None


def triage_card(
    data: CardData,
    *,
    labels: Mapping[str, str],
    now: dt.datetime,
    tz: ZoneInfo,
    oncall_usergroup: str = "",
) -> SlackMessage:
    """The card staff see in the triage channel; buttons only while the draft waits for approval."""
    blocks: list[dict[str, Any]] = [_header(data)]
    if data.urgent:
        group = f"<!subteam^{oncall_usergroup}> " if oncall_usergroup else ""
        blocks.append(section(f"{group}🚨 停電・緊急のお問い合わせです。至急ご確認ください。"))
    blocks.append(_fields(data, labels, now, tz))
    blocks += _body_blocks(data)
    blocks += _facts_blocks(data, labels)
    blocks.append({"type": "divider"})
    blocks += _draft_blocks(data)
    if data.draft_status == "pending" and data.draft_id is not None:
        blocks.append(_actions(data, labels))
    history = _history_block(data, tz)
    if history:
        blocks.append(history)
    blocks = blocks[: bk.MAX_MESSAGE_BLOCKS]
    primary = intent_label(data.intents[0][0], labels) if data.intents else "その他"
    urgent = "【緊急】" if data.urgent else ""
    text = f"{urgent}新しいお問い合わせ #{data.inquiry_id:06d}（{primary}）"
    return SlackMessage(text=text, blocks=blocks)


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
