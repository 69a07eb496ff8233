"""Waiting for the customer and snoozing, from the card's overflow menu: shown on the card, no reminders
meanwhile, ended by the customer writing again (or the snooze time), staff only."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from desk import sla
from store.models import AuditEvent, Inquiry
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    OUTSIDER,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    inquiry_row,
    seed_customer,
    seed_drafted,
)
from tests.bot.slack.fake_slack import FakeSlack

TOKYO = ZoneInfo("Asia/Tokyo")


async def choose(
    slack: SlackSim, *, user: str, card: str, inquiry_id: int, draft_id: int, option: str
) -> None:
    await slack.click(
        cards.MORE,
        user=user,
        card=card,
        type="overflow",
        block_id=f"card_actions_{inquiry_id}_{draft_id}",
        selected_option={"text": {"type": "plain_text", "text": option}, "value": option},
    )


def summary(fake: FakeSlack) -> str:
    blocks = fake.called("chat.update")[-1]["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return str(blocks[0]["text"]["text"])


async def test_waiting_for_the_customer_pauses_reminders_until_the_customer_writes(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    ts = "1763870000.000100"
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "社名が変わります。",
            "ts": ts,
        }
    )
    inquiry = all_rows(engine, Inquiry)[0]
    card, draft_id = inquiry.slack_card or "", 1
    await choose(slack, user=STAFF, card=card, inquiry_id=inquiry.id or 0, draft_id=draft_id, option="wait")
    assert "waiting_customer" in inquiry_row(engine, inquiry.id or 0).flags
    assert "⏸ お客さまの返答待ち" in summary(fake_slack)
    overdue = inquiry.received_at + dt.timedelta(days=30)
    while not sla.is_open(overdue, desk.poster.hours):
        overdue += dt.timedelta(hours=1)
    assert await desk.poster.remind_due(overdue) == 0  # long overdue, but we wait for the customer
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "新社名は株式会社ヤマダテックです。",
            "ts": "1763870500.000100",
            "thread_ts": ts,
        }
    )
    assert "waiting_customer" not in inquiry_row(engine, inquiry.id or 0).flags
    assert "返答待ち" not in summary(fake_slack)
    assert await desk.poster.remind_due(overdue) == 1


async def test_snooze_until_the_next_business_morning_and_wake_up(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card or ""
    before = dt.datetime.now(dt.UTC)
    await choose(
        slack, user=STAFF, card=card, inquiry_id=inquiry_id, draft_id=draft_id, option="snooze_tomorrow"
    )
    until = inquiry_row(engine, inquiry_id).snoozed_until
    assert until is not None and until == sla.next_opening(before, desk.poster.hours)
    local = until.astimezone(TOKYO)
    assert (local.hour, local.minute) == (9, 0) and local.date() > before.astimezone(TOKYO).date()
    assert "スヌーズ中" in summary(fake_slack)
    assert await desk.poster.wake_snoozed(until - dt.timedelta(minutes=1)) == 0
    assert await desk.poster.wake_snoozed(until + dt.timedelta(minutes=1)) == 1
    assert inquiry_row(engine, inquiry_id).snoozed_until is None
    thread = [p["text"] for p in fake_slack.posts(TRIAGE) if p.get("thread_ts")]
    assert any("スヌーズが終わりました" in t for t in thread)
    assert "スヌーズ中" not in summary(fake_slack)


async def test_the_menu_is_for_staff_only(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card or ""
    await choose(
        slack, user=OUTSIDER, card=card, inquiry_id=inquiry_id, draft_id=draft_id, option="snooze_hour"
    )
    assert inquiry_row(engine, inquiry_id).snoozed_until is None
    with Session(engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [(e.detail["what"], e.inquiry_id) for e in refused] == [(cards.MORE, inquiry_id)]
    await choose(slack, user=STAFF, card=card, inquiry_id=inquiry_id, draft_id=draft_id, option="unsnooze")
    notice = [p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF][-1]
    assert "スヌーズしていません" in notice
