"""Slack's rate limits: the card poster waits as long as Retry-After asks, per Web API method, and goes on
with every card of a burst; it never sends a ``chat.update`` that would change nothing."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy.engine import Engine

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.models import Inquiry
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    seed_customer,
    seed_drafted,
)
from tests.bot.slack.fake_slack import FakeSlack

BURST = 30


def cards_posted(fake: FakeSlack) -> list[dict]:
    return [p for p in fake.posts(TRIAGE) if not p.get("thread_ts")]


async def test_a_burst_of_thirty_messages_posts_every_card_waiting_as_slack_asks(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    fake_slack.rate_limits["chat.postMessage"] = 1.0  # Slack: about one message a second per channel
    started = time.monotonic()
    replies = await asyncio.gather(
        *(
            slack.event(
                {
                    "type": "message",
                    "channel": CUSTOMER_CHANNEL,
                    "channel_type": "channel",
                    "user": CUSTOMER_USER,
                    "text": f"請求書の送付先を変更したいです（{n}件目）。",
                    "ts": f"1763870000.{n:06d}",
                }
            )
            for n in range(1, BURST + 1)
        )
    )
    assert all(r.status == 200 for r in replies)
    await desk.poster.drained()
    await desk.poster.post_pending()  # nothing may be left for the next sweep
    elapsed = time.monotonic() - started
    inquiries = all_rows(engine, Inquiry)
    assert len(inquiries) == BURST
    assert all(i.slack_card for i in inquiries)
    assert len(cards_posted(fake_slack)) == BURST
    # Slack refused some posts and the poster waited the Retry-After each time instead of stopping.
    assert fake_slack.refused
    assert desk.poster.pacer.waits and all(m == "chat.postMessage" for m, _ in desk.poster.pacer.waits)
    assert all(seconds >= 1.0 for _m, seconds in desk.poster.pacer.waits)
    # It did not hammer Slack while told to wait: at most one refusal per accepted post (generous).
    assert len(fake_slack.refused) <= BURST
    assert elapsed < 120  # sanity only: minutes of 30 s sweeps would be far beyond this


async def test_retry_after_is_honoured_for_the_refused_method_only(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    fake_slack.rate_limits["chat.update"] = 2.0
    fake_slack.accepted_at["chat.update"] = [time.monotonic()]  # chat.update was just used elsewhere
    card = all_rows(engine, Inquiry)[0].slack_card
    assert card is not None
    await slack.click(cards.ASSIGN, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    assert [m for m, _ in fake_slack.refused] == ["chat.update"]
    assert desk.poster.pacer.waits == [("chat.update", 2.0)]
    assert len(fake_slack.called("chat.update")) == 1  # the card was updated after the wait
    assert f"<@{STAFF}>" in json.dumps(fake_slack.called("chat.update")[0]["blocks"], ensure_ascii=False)
    assert desk.poster.pacer.not_before("chat.postMessage") == 0.0  # posting is not held back


async def test_a_new_card_gets_no_unchanged_update(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "請求書の送付先を変更したいです。",
            "ts": "1763870000.000100",
        }
    )
    assert len(cards_posted(fake_slack)) == 1
    await desk.poster.refresh_changed()  # the sweep notes where history stands
    inquiry = all_rows(engine, Inquiry)[0]
    await desk.poster.refresh(inquiry.id or 0)  # nothing changed since the post
    assert fake_slack.called("chat.update") == []


async def test_a_changed_card_is_updated_once(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = all_rows(engine, Inquiry)[0].slack_card
    assert card is not None
    await slack.click(cards.ASSIGN, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    updates = fake_slack.called("chat.update")
    assert len(updates) == 1
    assert f"<@{STAFF}>" in json.dumps(updates[0]["blocks"], ensure_ascii=False)
    await desk.poster.refresh(inquiry_id)
    assert len(fake_slack.called("chat.update")) == 1
