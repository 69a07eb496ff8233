"""Card posting under Slack's rate limit: N customer messages arrive in a shared channel at once, against the
fake Slack Web API (loopback) limiting chat.postMessage to one call per --interval seconds with Retry-After.
Prints how long until every card was posted, how many calls Slack refused and how long the poster waited.

    .venv/bin/python benchmarks/slack_burst_bench.py [--messages 30] [--interval 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.slack.app import build_desk
from bot.wiring import build_pipeline
from store.db import make_engine, migrate
from store.models import Inquiry
from tests.bot.slack.conftest import CUSTOMER_CHANNEL, CUSTOMER_USER, make_settings, seed_customer
from tests.bot.slack.fake_slack import FakeSlack


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=30)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between accepted chat.postMessage")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="madoguchi-slack-bench-"))
    engine = make_engine(f"sqlite:///{root / 'bench.db'}")
    migrate(engine)
    seed_customer(engine)
    fake = FakeSlack(usergroups={"SSTAFF": [], "SONCALL": []}, users={CUSTOMER_USER: "山田 太郎"})
    await fake.start()
    settings = make_settings(fake)
    desk = build_desk(settings=settings, engine=engine, pipeline=build_pipeline(settings, engine))
    desk.pipeline.understander  # load before timing  # noqa: B018
    fake.rate_limits["chat.postMessage"] = args.interval
    started = time.monotonic()
    events = [
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": f"請求書の送付先を変更したいです（{n}件目）。",
            "ts": f"{time.time():.0f}.{n:06d}",
        }
        for n in range(1, args.messages + 1)
    ]
    answered = await asyncio.gather(*(timed(desk.on_message(e, desk.client)) for e in events))
    await desk.poster.drained()
    elapsed = time.monotonic() - started
    from sqlmodel import Session, select

    with Session(engine) as session:
        cards = sum(1 for i in session.exec(select(Inquiry)).all() if i.slack_card)
    waited = sum(s for _m, s in desk.poster.pacer.waits)
    print(f"messages {args.messages}, cards posted {cards}, all posted after {elapsed:.1f} s")
    print(
        f"Slack refused {len(fake.refused)} calls; the poster waited {len(desk.poster.pacer.waits)} times, {waited:.0f} s in all"
    )
    print(
        f"event handler returned after: max {max(answered):.2f} s, median {sorted(answered)[len(answered) // 2]:.2f} s"
    )
    await fake.stop()


async def timed(work: object) -> float:
    start = time.monotonic()
    await work  # type: ignore[misc]
    return time.monotonic() - start


if __name__ == "__main__":
    asyncio.run(main())
