"""SLA reminders: before an inquiry's reply deadline (in business hours) the card's thread gets a reminder
mentioning the assignee, broadcast to the triage channel; once per inquiry, never while the desk is closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.db import session_scope
from store.models import AuditEvent, Inquiry, InquiryStatus
from tests.bot.slack.conftest import STAFF, TRIAGE, SlackSim, inquiry_row, seed_drafted
from tests.bot.slack.fake_slack import FakeSlack

TOKYO = ZoneInfo("Asia/Tokyo")
RECEIVED = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)  # Tuesday: due Wednesday 10:00 (7 business hours)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


async def card_received_at(desk: SlackDesk, engine: Engine, received: dt.datetime) -> tuple[int, int, str]:
    inquiry_id, draft_id = seed_drafted(engine)
    with session_scope(engine) as session:
        row = session.get(Inquiry, inquiry_id)
        assert row is not None
        row.received_at = received
        session.add(row)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card
    assert card is not None
    return inquiry_id, draft_id, card


def reminders(fake: FakeSlack) -> list[dict]:
    return [p for p in fake.posts(TRIAGE) if p.get("thread_ts") and "回答期限" in p["text"]]


async def test_assignee_is_reminded_once_before_the_deadline_in_business_hours(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await card_received_at(desk, engine, RECEIVED)
    await slack.click(cards.ASSIGN, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    assert await desk.poster.remind_due(at(24, 11)) == 0  # six business hours left: too early
    assert await desk.poster.remind_due(at(25, 8, 30)) == 0  # one hour left, but the desk is closed
    assert await desk.poster.remind_due(at(25, 9, 15)) == 1  # 45 minutes left
    assert await desk.poster.remind_due(at(25, 9, 30)) == 0  # once per inquiry
    posted = reminders(fake_slack)
    assert len(posted) == 1
    assert posted[0]["text"].startswith(f"⏰ <@{STAFF}> #{inquiry_id:06d} の回答期限 11/25(水) 10:00 まで")
    assert "残り営業時間で45分" in posted[0]["text"]
    assert str(posted[0].get("reply_broadcast")).lower() == "true"
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "sla_reminded")).all()
    assert [e.inquiry_id for e in events] == [inquiry_id]


async def test_overdue_unassigned_inquiry_is_reminded_in_the_channel(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    _inquiry_id, _draft_id, _card = await card_received_at(desk, engine, RECEIVED)
    assert await desk.poster.remind_due(at(25, 14)) == 1
    text = reminders(fake_slack)[0]["text"]
    assert "（担当者未定）" in text and "営業時間で3時間過ぎています" in text


async def test_answered_inquiries_get_no_reminder(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, _draft_id, _card = await card_received_at(desk, engine, RECEIVED)
    with session_scope(engine) as session:
        row = session.get(Inquiry, inquiry_id)
        assert row is not None
        row.status = InquiryStatus.ANSWERED
        session.add(row)
    assert await desk.poster.remind_due(at(25, 14)) == 0
    assert reminders(fake_slack) == []
