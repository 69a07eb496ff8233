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


def card(d: cards.CardData, **kw: str) -> cards.SlackMessage:
    return cards.triage_card(d, labels=LABELS, now=NOW, tz=TZ, **kw)


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_card_shows_labels_scores_received_time_age_customer_and_facts() -> None:
    message = card(data())
    text = all_text(message.blocks)
    assert blockkit.problems(message.blocks) == []
    assert "解約・解約違約金（0.97）" in text
    assert "other（0.12）" in text  # no label known: the id
    assert "2026/11/23 09:30（2時間30分前）" in text
    assert "✅ 本人確認済み" in text and "EG20240123" in text
    assert "penalty_yen: 742500" in text
    assert "#000042" in message.text


def test_unverified_sender_is_clearly_marked() -> None:
    text = all_text(card(data(verified=False, customer=None)).blocks)
    assert "⚠ 本人確認未了" in text
    assert "特定できませんでした" in text


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
        cards.EDIT,
        cards.REROUTE,
        cards.ASSIGN,
        cards.REJECT,
    ]
    assert [e["text"]["text"] for e in elements if e["type"] == "button"] == [
        "承認して送信",
        "編集",
        "担当する",
        "却下",
    ]
    assert elements[0]["confirm"]["confirm"]["text"] == "送信する"
    assert len(elements[2]["options"]) == 21
    assert actions[0]["block_id"] == "card_actions_42_7"


def test_handled_card_has_no_buttons_and_says_who_did_what_when() -> None:
    history = [
        cards.HistoryLine(
            at=dt.datetime(2026, 11, 23, 2, 5, tzinfo=dt.UTC), actor="slack:U123", action="approved"
        )
    ]
    text = all_text(card(data(draft_status="approved", history=history)).blocks)
    assert '"actions"' not in text
    assert "✅ 承認済み（送信待ち）" in text
    assert "2026/11/23 11:05 <@U123> が承認しました" in text


def test_urgent_card_mentions_the_oncall_group() -> None:
    message = card(data(urgent=True, intents=[("outage", 0.98)]), oncall_usergroup="S0NCALL")
    text = all_text(message.blocks)
    assert "<!subteam^S0NCALL>" in text
    assert message.blocks[0]["text"]["text"].startswith("🚨【緊急】")
    assert message.text.startswith("【緊急】")


def test_twenty_thousand_character_inquiry_gives_a_valid_card_and_the_full_text_in_the_thread() -> None:
    line = "お世話になっております。請求金額について確認させてください。<重要> & 詳細は以下の通りです。\n"
    long_text = (line * 500)[:20000]
    message = card(data(text=long_text, subject="長" * 400, draft_text="案" * 9000))
    assert blockkit.problems(message.blocks) == []
    text = all_text(message.blocks)
    assert "全20,000文字" in text
    assert len(message.blocks[0]["text"]["text"]) <= blockkit.HEADER_TEXT
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
