"""Staff writing in a customer's Slack thread are not the customer: their message is an internal note on
the inquiry (audited, shown on the card), the draft stays as it is; with ``staff_thread_reply = "reply"``
the bot offers, after a confirmation, to record it as the answer (nothing is sent again)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk, build_desk
from desk.pipeline import Pipeline
from store.models import AuditEvent, Draft, DraftStatus, Inquiry, InquiryMessage, InquiryStatus, Outbox
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    OUTSIDER,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    make_settings,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack

TS = "1763870000.000100"
QUESTION = "請求書の送付先を本社経理部に変更したいです。"


def customer_message(text: str = QUESTION, ts: str = TS, **extra: object) -> dict:
    return {
        "type": "message",
        "channel": CUSTOMER_CHANNEL,
        "user": CUSTOMER_USER,
        "text": text,
        "ts": ts,
        **extra,
    }


def staff_message(text: str, ts: str, user: str = STAFF) -> dict:
    return {
        "type": "message",
        "channel": CUSTOMER_CHANNEL,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": TS,
    }


def drafts(engine: Engine) -> list[Draft]:
    with Session(engine) as session:
        return list(session.exec(select(Draft).order_by(Draft.id)).all())  # type: ignore[arg-type]


def events(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


async def test_staff_message_in_the_thread_is_an_internal_note_and_the_draft_stays(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(customer_message())
    before = drafts(engine)
    assert len(before) == 1 and before[0].status == DraftStatus.PENDING
    await slack.event(staff_message("経理部の住所を確認中です。少々お待ちください。", "1763870100.000100"))
    after = drafts(engine)
    assert [(d.id, d.status, d.text) for d in after] == [(d.id, d.status, d.text) for d in before]
    inquiry = all_rows(engine, Inquiry)[0]
    assert inquiry.status == InquiryStatus.DRAFTED
    notes = events(engine, "staff_note")
    assert len(notes) == 1 and notes[0].actor == f"slack:{STAFF}"
    assert notes[0].detail["text"] == "経理部の住所を確認中です。少々お待ちください。"
    assert events(engine, "customer_replied") == []
    stored = [m for m in all_rows(engine, InquiryMessage) if m.direction == "out"]
    assert len(stored) == 1 and stored[0].sender == f"slack:{STAFF}"
    card = json.dumps(fake_slack.called("chat.update")[-1]["blocks"], ensure_ascii=False)
    assert "経理部の住所を確認中です" in card and "社内メモ" in card
    thread = [p["text"] for p in fake_slack.posts(TRIAGE) if p.get("thread_ts")]
    assert any("社内メモとして記録" in t for t in thread)
    assert not any("お客さまから" in t for t in thread)
    assert fake_slack.called("chat.postEphemeral") == []  # "note" mode: no offer to reply


async def test_redelivered_staff_message_is_recorded_once(
    desk: SlackDesk, slack: SlackSim, engine: Engine
) -> None:
    seed_customer(engine)
    await slack.event(customer_message())
    note = staff_message("確認します。", "1763870100.000100")
    await slack.event(note, event_id="EvNOTE")
    await slack.event(note, event_id="EvNOTE2", retry=1)
    assert len(events(engine, "staff_note")) == 1


async def test_staff_message_outside_a_thread_is_not_an_inquiry(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event({**customer_message("本日は設備点検のため17時まで不在です。"), "user": STAFF})
    assert all_rows(engine, Inquiry) == []
    assert fake_slack.posts(TRIAGE) == []


@pytest.fixture
async def reply_desk(
    fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline
) -> AsyncIterator[tuple[SlackDesk, SlackSim]]:
    desk = build_desk(
        settings=make_settings(fake_slack, staff_thread_reply="reply"), engine=engine, pipeline=pipeline
    )
    runner = web.AppRunner(desk.app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with aiohttp.ClientSession() as session:
        yield desk, SlackSim(url, session, settle=desk.poster.drained)
    await runner.cleanup()


async def test_reply_mode_offers_to_record_the_staff_message_as_the_answer_after_confirmation(
    reply_desk: tuple[SlackDesk, SlackSim], engine: Engine, fake_slack: FakeSlack
) -> None:
    desk, slack = reply_desk
    seed_customer(engine)
    await slack.event(customer_message())
    await slack.event(staff_message("本社経理部宛てに変更いたしました。", "1763870100.000100"))
    offers = fake_slack.called("chat.postEphemeral")
    assert len(offers) == 1 and offers[0]["user"] == STAFF and offers[0]["channel"] == CUSTOMER_CHANNEL
    button = (
        json.loads(offers[0]["blocks"])[1]["elements"][0]
        if isinstance(offers[0]["blocks"], str)
        else (offers[0]["blocks"][1]["elements"][0])
    )
    assert button["action_id"] == cards.STAFF_REPLY and "confirm" in button
    # Until confirmed, it is only a note.
    assert all_rows(engine, Inquiry)[0].status == InquiryStatus.DRAFTED
    card = f"{CUSTOMER_CHANNEL}:1763870100.000100"
    await slack.click(cards.STAFF_REPLY, user=OUTSIDER, card=card, value=button["value"])
    assert all_rows(engine, Inquiry)[0].status == InquiryStatus.DRAFTED
    assert [e.detail["reason"] for e in events(engine, "refused")] == ["not_staff"]
    await slack.click(cards.STAFF_REPLY, user=STAFF, card=card, value=button["value"])
    inquiry = all_rows(engine, Inquiry)[0]
    assert inquiry.status == InquiryStatus.ANSWERED and inquiry.first_response_at is not None
    assert [d.status for d in drafts(engine)] == [DraftStatus.SUPERSEDED]
    assert all_rows(engine, Outbox) == []  # nothing is sent: the customer already read it
    assert len(events(engine, "staff_replied")) == 1
    # A second confirmation changes nothing and says so.
    await slack.click(cards.STAFF_REPLY, user=STAFF, card=card, value=button["value"])
    assert len(events(engine, "staff_replied")) == 1
    last = fake_slack.called("chat.postEphemeral")[-1]["text"]
    assert "回答済み" in last
    assert desk.settings.slack.staff_thread_reply == "reply"
