"""Non-inquiries on the triage card, end to end: a customer's Slack message → the pipeline → the card → a
signed click. Each reason is named in Japanese and handled its own way (desk/noninquiry.py).

The reader here answers like the classifier does for each reason (the words that trigger it are the corpus's
business, not these tests'); everything after it is the real pipeline, store, Bolt app and fake Slack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.slack import cards
from bot.slack.app import SlackDesk, build_desk
from bot.wiring import desk_info
from desk.pipeline import Pipeline
from intents.model import IntentScore, Understanding
from store.models import AuditEvent, Draft, Inquiry, InquiryStatus
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    OUTSIDER,
    STAFF,
    SlackSim,
    all_rows,
    inquiry_row,
    make_settings,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack

MANAGERS = "CMANAGERS"

# A marker in the text → how the classifier reads that message.
READINGS: dict[str, tuple[str, tuple[IntentScore, ...]]] = {
    "〔礼〕": ("thanks", ()),
    "〔営〕": ("sales", ()),
    "〔詐〕": ("phishing", ()),
    "〔苦〕": ("complaint", ()),
    "〔不明〕": ("unclear", (IntentScore("bill_inquiry", 0.41), IntentScore("payment_due_date", 0.33))),
}


class Reader:
    """The classifier's reading of a marked message; anything else goes to the real understander."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def understand(self, text: str, **kw: Any) -> Understanding:
        for marker, (reason, candidates) in READINGS.items():
            if marker in text:
                return Understanding(
                    intents=(IntentScore("other", 0.8),),
                    body=text,
                    other_reason=reason,
                    candidates=candidates,
                )
        result: Understanding = self.real.understand(text, **kw)
        return result


@pytest.fixture
def pipeline(engine: Engine, understander: Any) -> Pipeline:
    info = desk_info(Settings())
    return Pipeline(engine=engine, desk=info, understander=Reader(understander))  # type: ignore[arg-type]


@pytest.fixture
def desk(fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline) -> SlackDesk:
    settings = make_settings(fake_slack, managers_channel=MANAGERS, manager_usergroup="SMANAGERS")
    return build_desk(settings=settings, engine=engine, pipeline=pipeline)


async def customer_writes(
    slack: SlackSim, engine: Engine, text: str, ts: str = "1763870000.000100"
) -> Inquiry:
    seed_customer(engine)
    await slack.event(
        {"type": "message", "channel": CUSTOMER_CHANNEL, "user": CUSTOMER_USER, "text": text, "ts": ts}
    )
    return all_rows(engine, Inquiry)[-1]


def card_blocks(fake: FakeSlack, method: str = "chat.postMessage", channel: str | None = None) -> list[Any]:
    calls = [
        c for c in fake.called(method) if "blocks" in c and (channel is None or c.get("channel") == channel)
    ]
    blocks = calls[-1]["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def card_text(blocks: list[Any]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(blocks: list[Any]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def audits(engine: Engine, action: str) -> list[AuditEvent]:
    return [e for e in all_rows(engine, AuditEvent) if e.action == action]


async def test_thanks_gets_no_draft_and_staff_close_it_in_one_click_and_can_take_it_back(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry = await customer_writes(slack, engine, "〔礼〕 ご対応ありがとうございました。")
    assert inquiry.other_reason == "thanks" and inquiry.status == InquiryStatus.DRAFTED
    assert all_rows(engine, Draft) == []  # nothing that could be sent by mistake
    blocks = card_blocks(fake_slack)
    text = card_text(blocks)
    assert "その他：お礼・完了の連絡" in text and "返信不要" in text
    assert "thanks" not in text  # staff never see raw ids
    close = buttons(blocks)[cards.CLOSE_NO_REPLY]
    assert close["text"]["text"] == "対応不要として完了" and "confirm" in close
    assert cards.APPROVE not in buttons(blocks)

    card = inquiry.slack_card or ""
    await slack.click(cards.CLOSE_NO_REPLY, user=STAFF, card=card, value=close["value"])
    closed = inquiry_row(engine, inquiry.id or 0)
    assert closed.status == InquiryStatus.CLOSED and closed.resolved_at is not None
    assert closed.first_response_at is not None  # not counted as an unanswered, late inquiry
    assert [e.actor for e in audits(engine, "closed_no_reply")] == [f"slack:{STAFF}"]
    updated = card_blocks(fake_slack, "chat.update")
    assert "対応不要として完了" in card_text(updated) and cards.REOPEN in buttons(updated)
    assert not fake_slack.called("chat.postEphemeral")  # nothing sent to a customer, nothing refused

    reopen = buttons(updated)[cards.REOPEN]
    await slack.click(cards.REOPEN, user=STAFF, card=card, value=reopen["value"])
    again = inquiry_row(engine, inquiry.id or 0)
    assert (
        again.status == InquiryStatus.DRAFTED
        and again.resolved_at is None
        and again.first_response_at is None
    )
    assert cards.CLOSE_NO_REPLY in buttons(card_blocks(fake_slack, "chat.update"))


async def test_only_staff_may_close_a_non_inquiry(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry = await customer_writes(slack, engine, "〔営〕 新サービスのご案内です。")
    close = buttons(card_blocks(fake_slack))[cards.CLOSE_NO_REPLY]
    await slack.click(
        cards.CLOSE_NO_REPLY, user=OUTSIDER, card=inquiry.slack_card or "", value=close["value"]
    )
    assert inquiry_row(engine, inquiry.id or 0).status == InquiryStatus.DRAFTED
    assert [e.detail["reason"] for e in audits(engine, "refused")] == ["not_staff"]


async def test_sales_gets_no_draft_and_a_close_button(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    await customer_writes(slack, engine, "〔営〕 御社の電気代を削減する新サービスのご案内です。")
    blocks = card_blocks(fake_slack)
    assert "営業・勧誘" in card_text(blocks) and cards.CLOSE_NO_REPLY in buttons(blocks)
    assert cards.REROUTE in buttons(blocks)  # a wrong reading can still be re-routed
    assert all_rows(engine, Draft) == []


async def test_phishing_card_warns_and_names_link_hosts_without_making_anything_clickable(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    text = "〔詐〕 アカウントが停止されます。https://secure-login.evil.example/verify?id=1 で再認証してください。"
    await customer_writes(slack, engine, text)
    blocks = card_blocks(fake_slack)
    shown = card_text(blocks)
    assert "フィッシングの疑い" in shown and "開かないでください" in shown
    assert "secure-login[.]evil[.]example" in shown
    # No address of the message is clickable anywhere on the card (the customer's own thread link stays).
    assert "https://secure" not in shown and "evil.example" not in shown
    assert cards.CLOSE_NO_REPLY in buttons(blocks)
    assert all_rows(engine, Draft) == []


async def test_a_complaint_is_flagged_for_a_manager_and_its_draft_cannot_be_sent_unwritten(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry = await customer_writes(slack, engine, "〔苦〕 何度問い合わせても返事がありません。")
    assert inquiry.urgent  # high SLA urgency
    blocks = card_blocks(fake_slack, channel="CTRIAGE")
    shown = card_text(blocks)
    assert "要マネージャー確認" in shown and "<!subteam^SMANAGERS>" in shown
    assert "停電・緊急のお問い合わせです" not in shown  # not the outage banner
    told = [c for c in fake_slack.called("chat.postMessage") if c.get("channel") == MANAGERS]
    assert len(told) == 1 and "要マネージャー確認" in told[0]["text"] and "窓口へのご不満" in told[0]["text"]
    assert len(audits(engine, "manager_notified")) == 1

    (draft,) = all_rows(engine, Draft)
    assert "【ここに返信を記入してください】" in draft.text
    assert "お詫び" not in draft.text and "責任者より" not in draft.text  # no templated apology
    await slack.click(
        cards.APPROVE, user=STAFF, card=inquiry.slack_card or "", value=f"{inquiry.id}:{draft.id}"
    )
    assert inquiry_row(engine, inquiry.id or 0).status == InquiryStatus.DRAFTED  # refused, not sent
    (told_staff,) = fake_slack.called("chat.postEphemeral")
    assert told_staff["user"] == STAFF and "記入欄" in told_staff["text"]
    assert not [d for d in all_rows(engine, Draft) if d.status != "pending"]


async def test_an_unclear_card_shows_candidates_and_re_routes_to_one_in_one_click(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry = await customer_writes(slack, engine, "〔不明〕 先月の件、どうなっていますか。")
    assert [c["intent"] for c in inquiry.candidates or []] == ["bill_inquiry", "payment_due_date"]
    blocks = card_blocks(fake_slack)
    shown = card_text(blocks)
    assert "内容不明" in shown and "候補: 請求金額・料金明細 41%" in shown
    to_bill = buttons(blocks)[f"{cards.REROUTE_TO}:bill_inquiry"]
    assert to_bill["text"]["text"] == "「請求金額・料金明細」に変更"
    (first,) = all_rows(engine, Draft)
    await slack.click(
        f"{cards.REROUTE_TO}:bill_inquiry", user=STAFF, card=inquiry.slack_card or "", value=to_bill["value"]
    )
    drafts = sorted(all_rows(engine, Draft), key=lambda d: d.id or 0)
    assert [d.status for d in drafts] == ["superseded", "pending"] and drafts[0].id == first.id
    assert drafts[1].intents == ["bill_inquiry"]
    assert inquiry_row(engine, inquiry.id or 0).primary_intent == "bill_inquiry"
    (rerouted,) = audits(engine, "rerouted")
    assert rerouted.actor == f"slack:{STAFF}" and rerouted.detail["to"] == ["bill_inquiry"]
