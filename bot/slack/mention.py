"""The bot's reading of a staff member's @mention: intents, entities, the customer, computed facts, draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack import blockkit as bk
from bot.slack import cards

ENTITY_LABELS = {
    "customer_no": "お客さま番号",
    "contract_no": "契約番号",
    "supply_point_id": "供給地点特定番号",
    "phone": "電話番号",
    "email": "メールアドレス",
    "date": "日付",
    "cancel_reason": "解約理由",
}
DRAFT_PREVIEW_CHARS = 2500


def reading_blocks(preview: Any, *, labels: Mapping[str, str]) -> cards.SlackMessage:
    """Blocks for a :class:`desk.pipeline.Preview` (internal use; nothing is stored)."""
    understanding, case, draft = preview.understanding, preview.case, preview.draft
    intents = "、".join(
        f"{cards.intent_label(i.intent, labels)}（{i.score:.2f}）" for i in understanding.intents
    )
    entities = "\n".join(
        f"• {ENTITY_LABELS.get(k, k)}: {bk.escape_mrkdwn(str(v))}" for k, v in understanding.entities.items()
    )
    blocks: list[dict[str, Any]] = [
        cards.section("🔎 *読み取り結果*（社内用・記録はしません）"),
        cards.section(f"*区分*\n{intents or 'その他'}"),
        cards.section(f"*読み取った項目*\n{entities or '（なし）'}"),
    ]
    if case.customer is not None:
        contracts = "、".join(c.contract_no for c in case.contracts) or "（なし）"
        who = f"{case.customer.name}（お客さま番号 {case.customer.customer_no}）"
        blocks.append(cards.section(f"*お客さま*\n{bk.escape_mrkdwn(who)}\n契約: {contracts}"))
    else:
        blocks.append(cards.section("*お客さま*\n特定できませんでした。"))
    facts = cards.fact_lines(draft.facts, labels)
    if facts:
        blocks.append(cards.section("*計算済みの事実*\n" + "\n".join(facts)))
    remarks = [f"不足している情報: {'、'.join(draft.missing)}"] if draft.missing else []
    remarks += [str(n) for n in (*case.notes, *draft.notes)]
    if remarks:
        blocks.append(cards.section("*メモ*\n" + "\n".join(f"📝 {bk.escape_mrkdwn(r)}" for r in remarks)))
    text = bk.truncate(draft.preview or draft.text, DRAFT_PREVIEW_CHARS)
    blocks.append(cards.section("*返信案（参考）*\n```" + text + "```"))
    summary = f"読み取り結果: {intents or 'その他'}"
    return cards.SlackMessage(text=bk.truncate(summary, 3000), blocks=blocks[: bk.MAX_MESSAGE_BLOCKS])
