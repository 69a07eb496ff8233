"""A real card for every intent, from the knowledge files' own example through the signed Slack intake: it
fits within 15 lines before 下書きを表示 and speaks Japanese only (no raw ids, keys or English labels)."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy.engine import Engine

from bot.slack.app import SlackDesk
from intents.model import INTENT_IDS
from store.models import Inquiry
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    TRIAGE,
    SlackSim,
    all_rows,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.test_slack_cards import shown, visible_lines

# What may be Latin script on a card: mentions and group pings, contract numbers, units, "ID", PAS (a switch's name in Japanese usage), "Slack".
ALLOWED = re.compile(r"<[@!][^>]+>|<https://[^|>]+\||\b[A-Z]{2}\d{6,}\b|kWh|kW|ID|PAS|Slack")


def example_of(intent: str) -> str:
    import tomllib
    from pathlib import Path

    data = tomllib.loads(Path(f"faq/intents/{intent}.toml").read_text(encoding="utf-8"))
    examples = data.get("examples") or []
    first = examples[0] if examples else "お問い合わせです。"
    return str(first.get("text") if isinstance(first, dict) else first)


@pytest.mark.parametrize("intent", INTENT_IDS)
async def test_card_for_each_intent_fits_in_fifteen_lines_in_japanese(
    intent: str, desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    text = "EG20240123 について。" + example_of(intent)
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": text,
            "ts": f"{time.time():.6f}",
        }
    )
    assert all_rows(engine, Inquiry)[0].slack_card
    posted = [p for p in fake_slack.posts(TRIAGE) if not p.get("thread_ts")]
    assert len(posted) == 1
    blocks = posted[0]["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert visible_lines(blocks) <= 15, shown(blocks)
    ours = [b for b in blocks if not (b["type"] == "section" and b["text"]["text"].startswith("> "))]
    readable = ALLOWED.sub(
        "", shown([{k: v for k, v in b.items() if k != "elements" or b["type"] != "actions"} for b in ours])
    )
    readable += ALLOWED.sub(
        "", shown([e.get("text") for b in ours if b["type"] == "actions" for e in b["elements"]])
    )
    assert not re.search(r"[A-Za-z]{2,}", readable), readable
    assert "_" not in readable, readable  # no fact keys such as penalty_yen


async def test_card_links_the_customers_thread_lists_attachments_and_counts_earlier_inquiries(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    base = time.time()
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "支払期日はいつですか。",
            "ts": f"{base - 600:.6f}",
        }
    )
    ts = f"{base:.6f}"
    await slack.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "先月の請求書について質問です。",
            "ts": ts,
            "files": [
                {"name": "請求書_2026年10月.pdf", "mimetype": "application/pdf", "size": 123456},
                {"name": "明細.xlsx", "mimetype": "application/vnd.ms-excel", "size": 2048},
            ],
        }
    )
    posted = [p for p in fake_slack.posts(TRIAGE) if not p.get("thread_ts")]
    assert len(posted) == 2
    text = json.dumps(posted[1]["blocks"], ensure_ascii=False)
    assert f"<https://slack.com/archives/{CUSTOMER_CHANNEL}/p{ts.replace('.', '')}|元のスレッド>" in text
    assert "📎 請求書_2026年10月.pdf（121KB） ほか1件" in text
    assert "過去90日の問い合わせ 1件" in text
