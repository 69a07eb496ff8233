"""Customers writing in their mapped Slack channel: inquiry → card in the triage channel → approve → reply in
the customer's thread. Retries, edits and bot posts never make duplicates."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.models import Draft, Inquiry, InquiryMessage, InquiryStatus, Outbox, OutboxStatus
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_NO,
    CUSTOMER_USER,
    OTHER_CHANNEL,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    seed_customer,
)
from tests.bot.slack.fake_slack import BOT_ID, FakeSlack

TS = "1763870000.000100"
QUESTION = "EG20240123 の契約について、来月末で解約したいのですが違約金はいくらになりますか？"


def message(text: str = QUESTION, ts: str = TS, **extra: object) -> dict:
    return {
        "type": "message",
        "channel": CUSTOMER_CHANNEL,
        "channel_type": "channel",
        "user": CUSTOMER_USER,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def only_inquiry(engine: Engine) -> Inquiry:
    rows = all_rows(engine, Inquiry)
    assert len(rows) == 1
    return rows[0]


async def test_customer_message_becomes_an_inquiry_with_a_card_in_triage_only(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    reply = await slack.event(message())
    assert reply.status == 200
    inquiry = only_inquiry(engine)
    assert inquiry.channel == "slack" and inquiry.external_id == f"{CUSTOMER_CHANNEL}:{TS}"
    assert inquiry.sender == CUSTOMER_USER and inquiry.sender_name == "山田 太郎"
    assert inquiry.reply_to == f"{CUSTOMER_CHANNEL}:{TS}"
    assert inquiry.customer_hint == CUSTOMER_NO and inquiry.identity_verified
    assert inquiry.primary_intent == "cancellation"
    assert inquiry.slack_card is not None and inquiry.slack_card.startswith(f"{TRIAGE}:")
    assert fake_slack.posts(CUSTOMER_CHANNEL) == []  # nothing was said to the customer
    card = json.dumps(fake_slack.posts(TRIAGE)[0]["blocks"], ensure_ascii=False)
    assert "✅ 本人確認済み" in card and "EG20240123" in card


async def test_approved_reply_is_posted_in_the_customers_thread(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(message())
    inquiry = only_inquiry(engine)
    with Session(engine) as session:
        draft = session.exec(select(Draft).where(Draft.inquiry_id == inquiry.id)).one()
    assert inquiry.slack_card is not None
    await slack.click(cards.APPROVE, user=STAFF, card=inquiry.slack_card, value=f"{inquiry.id}:{draft.id}")
    outbox = all_rows(engine, Outbox)
    assert len(outbox) == 1
    assert outbox[0].channel == "slack" and outbox[0].recipient == f"{CUSTOMER_CHANNEL}:{TS}"
    assert await desk.outbox.send_due() == 1
    assert await desk.outbox.send_due() == 0  # sent once
    posted = fake_slack.posts(CUSTOMER_CHANNEL)
    assert len(posted) == 1
    assert posted[0]["thread_ts"] == TS
    assert posted[0]["text"].strip() and "解約" in posted[0]["text"]
    assert all_rows(engine, Outbox)[0].status == OutboxStatus.SENT
    assert only_inquiry(engine).status == InquiryStatus.ANSWERED
    assert "📨 送信済み" in json.dumps(fake_slack.called("chat.update")[-1]["blocks"], ensure_ascii=False)


async def test_our_reply_in_the_customer_channel_is_not_taken_as_a_new_inquiry(
    desk: SlackDesk, slack: SlackSim, engine: Engine
) -> None:
    seed_customer(engine)
    await slack.event(message())
    bot_post = message("ご連絡ありがとうございます。", ts="1763870100.000200", thread_ts=TS, bot_id=BOT_ID)
    await slack.event(bot_post)
    await slack.event({**bot_post, "ts": "1763870100.000300", "subtype": "bot_message", "user": None})
    assert len(all_rows(engine, InquiryMessage)) == 1


async def test_retried_delivery_creates_no_duplicate(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    first = await slack.event(message(), event_id="EvFIRST")
    retry = await slack.event(message(), event_id="EvFIRST", retry=1)
    # Slack can also redeliver the same message under a new event id.
    again = await slack.event(message(), event_id="EvOTHER", retry=2)
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    assert len(all_rows(engine, Inquiry)) == 1
    assert len(fake_slack.posts(TRIAGE)) == 1
    assert len(fake_slack.called("users.info")) == 1  # the retries were answered before any work


async def test_message_edit_and_deletion_are_ignored(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(message())
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CUSTOMER_CHANNEL,
        "hidden": True,
        "ts": "1763870200.000100",
        "message": {"type": "message", "user": CUSTOMER_USER, "text": QUESTION + "（追記）", "ts": TS},
        "previous_message": {"type": "message", "user": CUSTOMER_USER, "text": QUESTION, "ts": TS},
    }
    await slack.event(edited)
    await slack.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": CUSTOMER_CHANNEL,
            "ts": "1763870300.1",
            "deleted_ts": TS,
        }
    )
    assert len(all_rows(engine, Inquiry)) == 1
    assert len(all_rows(engine, InquiryMessage)) == 1
    assert len(fake_slack.posts(TRIAGE)) == 1


async def test_messages_in_unmapped_channels_are_not_inquiries(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    await slack.event({**message(), "channel": OTHER_CHANNEL})
    await slack.event({**message(ts="1763870400.000100"), "channel": TRIAGE})
    assert all_rows(engine, Inquiry) == []
    assert fake_slack.posts() == []


async def test_reply_in_the_thread_joins_the_inquiry_and_refreshes_its_card(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(message())
    follow_up = message("解約希望日は2027年3月31日でお願いします。", ts="1763870500.000100", thread_ts=TS)
    await slack.event(follow_up)
    inquiry = only_inquiry(engine)
    assert len(all_rows(engine, InquiryMessage)) == 2
    assert f"{CUSTOMER_CHANNEL}:1763870500.000100" in inquiry.thread_ids
    cards_posted = [p for p in fake_slack.posts(TRIAGE) if "thread_ts" not in p]
    assert len(cards_posted) == 1
    notes = [p for p in fake_slack.posts(TRIAGE) if p.get("thread_ts")]
    assert any("追記" in p["text"] for p in notes)
    assert fake_slack.called("chat.update")


async def test_reply_that_slack_refuses_for_good_is_failed_for_staff(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(message())
    inquiry = only_inquiry(engine)
    with Session(engine) as session:
        draft = session.exec(select(Draft).where(Draft.inquiry_id == inquiry.id)).one()
    assert inquiry.slack_card is not None
    await slack.click(cards.APPROVE, user=STAFF, card=inquiry.slack_card, value=f"{inquiry.id}:{draft.id}")
    fake_slack.fail_next["chat.postMessage"] = "is_archived"
    assert await desk.outbox.send_due() == 0
    row = all_rows(engine, Outbox)[0]
    assert row.status == OutboxStatus.FAILED and row.last_error == "Slack: is_archived"
    assert "send_failed" in only_inquiry(engine).flags


async def test_transient_slack_error_is_retried_later(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(message())
    inquiry = only_inquiry(engine)
    with Session(engine) as session:
        draft = session.exec(select(Draft).where(Draft.inquiry_id == inquiry.id)).one()
    assert inquiry.slack_card is not None
    await slack.click(cards.APPROVE, user=STAFF, card=inquiry.slack_card, value=f"{inquiry.id}:{draft.id}")
    fake_slack.fail_next["chat.postMessage"] = "ratelimited"
    assert await desk.outbox.send_due() == 0
    row = all_rows(engine, Outbox)[0]
    assert row.status == OutboxStatus.QUEUED and row.next_attempt_at is not None and row.attempts == 1
