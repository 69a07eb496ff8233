"""Card, thread and modal JSON stay within Block Kit's limits, whatever the inquiry looks like."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from bot.slack import blockkit, cards

TZ = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
LABELS = {"cancellation": "解約・解約違約金", "outage": "停電・緊急時"}


def data(**overrides: object) -> cards.CardData:
    values: dict[str, object] = {
        "inquiry_id": 42,
        "channel": "email",
        "subject": "解約について",
        "sender": "yamada@example.com",
        "sender_name": "山田 太郎",
        "text": "来月末で解約したいです。違約金はいくらですか。",
        "received_at": dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC),  # 09:30 Tokyo, 2h30m before NOW
        "intents": [("cancellation", 0.97), ("other", 0.12)],
        "customer": "山田製作所株式会社（お客さま番号 30012345）",
        "contracts": ["EG20240123"],
        "verified": True,
        "urgent": False,
        "inquiry_status": "drafted",
        "draft_id": 7,
        "draft_status": "pending",
        "draft_text": "山田製作所株式会社\n山田 太郎 様\n\nお問い合わせありがとうございます。",
        "facts": {"cancellation": {"penalty_yen": 742500, "term_end": "2027-03-31"}},
    }
    values.update(overrides)
    return cards.CardData(**values)  # type: ignore[arg-type]


def shown(blocks: object) -> str:
    """Every text a person can read in ``blocks`` (text objects only, not ids or values)."""
    if isinstance(blocks, dict):
        if blocks.get("type") in ("plain_text", "mrkdwn"):
            return str(blocks.get("text", "")) + "\n"
        return "".join(shown(v) for v in blocks.values())
    if isinstance(blocks, list):
        return "".join(shown(v) for v in blocks)
    return ""


def visible_lines(blocks: list[dict]) -> int:
    """Lines a person sees before expanding anything: each text line of a section, one line per context
    or actions row (Slack lays their elements side by side)."""
    lines = 0
    for block in blocks:
        if block["type"] in ("header", "context", "actions"):
            lines += 1
        elif block["type"] == "section":
            lines += len(block.get("text", {}).get("text", "").splitlines())
            lines += (len(block.get("fields", [])) + 1) // 2 * 2
    return lines


def card(d: cards.CardData, **kw: str) -> cards.SlackMessage:
    return cards.triage_card(d, labels=LABELS, now=NOW, tz=TZ, **kw)


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_card_shows_label_confidence_received_time_age_customer_and_facts_in_japanese() -> None:
    message = card(data())
    text = all_text(message.blocks)
    assert blockkit.problems(message.blocks) == []
    assert "解約・解約違約金*（確度 97%）" in text
    assert "other" not in shown(message.blocks)  # never a raw intent id
    assert "2026/11/23 09:30（2時間30分前）" in text
    assert "✅ 本人確認済み" in text and "EG20240123" in text
    assert "• 解約違約金 742,500円" in text
    assert "penalty_yen" not in text
    assert "#000042" in message.text


def test_unverified_sender_is_clearly_marked() -> None:
    text = all_text(card(data(verified=False, customer=None)).blocks)
    assert "⚠ 本人確認未了" in text
    assert "お客さま未特定" in text


def test_card_says_when_the_inquiry_and_its_draft_are_in_english() -> None:
    english = all_text(card(data(language="en")).blocks)
    assert "言語: 英語（返信案も英語）" in english
    assert "言語" not in all_text(card(data()).blocks)


def test_pending_card_has_the_five_controls_and_approve_asks_for_confirmation() -> None:
    actions = [b for b in card(data()).blocks if b["type"] == "actions"]
    assert len(actions) == 1
    elements = actions[0]["elements"]
    assert [e["action_id"] for e in elements] == [
        cards.APPROVE,
        cards.SHOW_DRAFT,
        cards.EDIT,
        cards.REROUTE,
        cards.ASSIGN,
        cards.REASSIGN,
        cards.REJECT,
        cards.MORE,
    ]
    assert [e["text"]["text"] for e in elements if e["type"] == "button"] == [
        "承認して送信",
        "下書きを表示",
        "編集",
        "担当する",
        "却下",
    ]
    assert elements[0]["confirm"]["confirm"]["text"] == "送信する"
    assert len(elements[3]["options"]) == 21
    assert actions[0]["block_id"] == "card_actions_42_7"


def test_handled_card_has_no_buttons_and_says_who_did_what_when() -> None:
    history = [
        cards.HistoryLine(
            at=dt.datetime(2026, 11, 23, 2, 5, tzinfo=dt.UTC), actor="slack:U123", action="approved"
        )
    ]
    blocks = card(data(draft_status="approved", history=history)).blocks
    text = all_text(blocks)
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [cards.SHOW_DRAFT]  # only the draft can still be looked at
    assert "✅ 承認済み（送信待ち）" in text
    assert "11/23(月) 11:05 <@U123> が承認しました" in text


def test_urgent_card_mentions_the_oncall_group() -> None:
    message = card(data(urgent=True, intents=[("outage", 0.98)]), oncall_usergroup="S0NCALL")
    text = all_text(message.blocks)
    assert "<!subteam^S0NCALL>" in text
    assert "🚨 *緊急*" in message.blocks[0]["text"]["text"].splitlines()[2]
    assert message.text.startswith("【緊急】")


def test_twenty_thousand_character_inquiry_gives_a_valid_card_and_the_full_text_in_the_thread() -> None:
    line = "お世話になっております。請求金額について確認させてください。<重要> & 詳細は以下の通りです。\n"
    long_text = (line * 500)[:20000]
    message = card(data(text=long_text, subject="長" * 400, draft_text="案" * 9000))
    assert blockkit.problems(message.blocks) == []
    text = all_text(message.blocks)
    assert "（全文はスレッド）" in text
    assert visible_lines(message.blocks) <= 15
    thread = cards.thread_messages(long_text)
    assert len(thread) >= 7
    assert all(len(t) <= cards.THREAD_CHUNK for t in thread)
    # The pieces put back together are the whole text (escaped for mrkdwn).
    body = "".join(t.split("\n", 1)[1] for t in thread)
    assert body == blockkit.escape_mrkdwn(long_text)
    assert thread[0].startswith(f"*原文（1/{len(thread)}）*")


def test_edit_modal_prefills_the_draft_and_stays_within_limits() -> None:
    view = cards.edit_modal(inquiry_id=1, draft_id=2, text="本文です。", card="C1:1.2")
    assert blockkit.problems(view, surface="modal") == []
    element = view["blocks"][0]["element"]
    assert element["initial_value"] == "本文です。" and element["multiline"] is True
    assert json.loads(view["private_metadata"]) == {"inquiry_id": 1, "draft_id": 2, "card": "C1:1.2"}
    assert view["blocks"][1]["element"]["options"][0]["text"]["text"] == "保存のみ（送信しない）"


def test_edit_modal_with_a_draft_over_3000_characters_is_still_valid_and_warns() -> None:
    view = cards.edit_modal(inquiry_id=1, draft_id=2, text="あ" * 5000, card="C1:1.2")
    assert blockkit.problems(view, surface="modal") == []
    assert "3,000文字を超える" in view["blocks"][0]["text"]["text"]


def test_reject_modal_is_valid() -> None:
    view = cards.reject_modal(inquiry_id=1, draft_id=2, card="C1:1.2")
    assert blockkit.problems(view, surface="modal") == []
    assert view["title"]["text"] == "返信案の却下"


def test_validator_catches_each_broken_limit() -> None:
    broken = [
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
        },
    ]
    assert len(blockkit.problems(broken)) == 3
    assert blockkit.problems([{"type": "divider"}] * 51) == ["51 blocks > 50"]
    assert blockkit.problems(
        {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    )


def test_user_text_cannot_inject_mentions() -> None:
    text = all_text(card(data(text="<!channel> 至急 <@U999>")).blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_first_three_lines_say_what_who_and_how_urgent_with_the_time_left() -> None:
    due = dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC)  # 09:30 Tokyo the next business day
    message = card(data(urgent=True, deadline=due, business_seconds_left=5 * 3600 + 20 * 60))
    first, second, third = message.blocks[0]["text"]["text"].splitlines()
    assert "解約・解約違約金" in first and "#000042" in first
    assert "山田製作所株式会社" in second and "✅ 本人確認済み" in second
    assert "🚨 *緊急*" in third and "期限 11/24(火) 09:30" in third and "残り 営業時間で5時間20分" in third
    overdue = card(data(deadline=due, business_seconds_left=-70 * 60)).blocks[0]["text"]["text"]
    assert "通常" in overdue and "期限超過" in overdue and "1時間10分超過" in overdue


def test_penalty_fact_is_a_formatted_japanese_formula() -> None:
    facts = {
        "cancellation": {
            "penalty_yen": 1584000,
            "contract_power_kw": "320.0",
            "basic_unit_price": "1650.00",
            "multiplier": "3",
            "case": "inside_term_switch",
            "reason": None,
            "cancel_on": "2027-01-31",
            "notice_deadline": "2026-10-31",
            "reachable": False,
        }
    }
    text = all_text(card(data(facts=facts)).blocks)
    assert "解約違約金 1,584,000円 = 契約電力 320kW × 単価 1,650円 × 3" in text
    assert "解約希望日 2027年1月31日（申出期限 2026年10月31日・期限超過）" in text
    assert "inside_term_switch" not in text and "None" not in text and "case" not in text


def test_customer_follow_ups_and_staff_notes_are_shown_and_the_follow_up_is_marked() -> None:
    at = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    updates = [
        cards.ThreadUpdate(at=at, kind="customer", actor="", text="追加で、支払期日も教えてください。"),
        cards.ThreadUpdate(at=at, kind="staff_note", actor="slack:U9", text="経理に確認中"),
    ]
    message = card(data(updates=updates, follow_up=True))
    text = all_text(message.blocks)
    assert "お客さまの追記: 追加で、支払期日も教えてください。" in text
    assert "<@U9> の社内メモ: 経理に確認中" in text
    assert message.blocks[0]["text"]["text"].startswith("↩ *フォローアップ*")
    assert "【フォローアップ】" in message.text


def test_show_draft_gives_the_whole_draft_and_every_fact() -> None:
    facts = {
        "cancellation": {
            "penalty_yen": 742500,
            "cancel_on": "2027-01-31",
            "notice_deadline": "2026-10-31",
            "earliest_free_date": "2027-03-31",
            "unpaid": [{"amount": 120000}, {"amount": 30000}],
        }
    }
    on_card = all_text(card(data(facts=facts)).blocks)
    assert "ほか2件" in on_card and "未払い" not in on_card
    notes = ["解約理由が未記載です。", "解約通知の期限を過ぎています。"]
    assert "解約通知の期限を過ぎています。（ほか1件）" in all_text(card(data(notes=notes)).blocks)
    message = cards.draft_messages(
        data(facts=facts, notes=notes, draft_text="山田様\n\n" + "ご案内します。" * 900), LABELS
    )
    assert blockkit.problems(message.blocks) == []
    shown_text = all_text(message.blocks)
    assert "解約理由が未記載です。" in shown_text and "解約通知の期限を過ぎています。" in shown_text
    assert "山田様" in shown_text and "案 #7" in shown_text
    assert (
        "未払いのご請求 2件（計 150,000円）" in shown_text
        and "違約金なしで解約できる最短日 2027年3月31日" in shown_text
    )
