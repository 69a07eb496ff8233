"""Several serve processes share one store: each triage card is posted once, whoever's sweep finds it."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.engine import Engine

from bot.slack.app import build_desk
from desk.pipeline import Pipeline
from store.db import session_scope
from store.models import Draft, Inquiry, InquiryStatus
from tests.bot.slack.conftest import TRIAGE, all_rows, make_settings
from tests.bot.slack.fake_slack import FakeSlack


def drafted(engine: Engine, n: int) -> None:
    with session_scope(engine) as session:
        for i in range(n):
            inquiry = Inquiry(
                channel="email",
                external_id=f"<w{i}@example.com>",
                sender=f"c{i}@example.com",
                subject=f"パスワード {i}",
                text="パスワードを忘れました。",
                received_at=dt.datetime.now(dt.UTC),
                status=InquiryStatus.DRAFTED,
                intents=[{"intent": "password_reset", "score": 0.9}],
                primary_intent="password_reset",
            )
            session.add(inquiry)
            session.flush()
            session.add(Draft(inquiry_id=inquiry.id or 0, subject="Re", text="再設定の手順をご案内します。"))


async def test_two_processes_sweeping_at_once_post_each_card_once(
    fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline
) -> None:
    drafted(engine, 12)
    first = build_desk(settings=make_settings(fake_slack), engine=engine, pipeline=pipeline)
    # Several processes need PostgreSQL; on SQLite (one process by design) the same poster sweeps twice at once.
    multi = engine.dialect.name == "postgresql"
    second = (
        build_desk(settings=make_settings(fake_slack), engine=engine, pipeline=pipeline) if multi else first
    )
    counts = await asyncio.gather(first.poster.post_pending(), second.poster.post_pending())
    assert sum(counts) == 12
    cards = [p for p in fake_slack.posts(TRIAGE) if not p.get("thread_ts")]
    assert len(cards) == 12
    assert all(i.slack_card for i in all_rows(engine, Inquiry))
