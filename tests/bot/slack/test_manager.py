"""Manager views in Slack through the real Bolt app and the fake Slack Web API (tests/bot/slack/fake_slack.py):
App Home dashboard, ``/madoguchi stats`` and the weekly digest."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings, SlackSettings
from bot.slack.manager import next_digest_at, post_digest, run_digest_scheduler, stats_text
from store.models import Inquiry
from tests.bot.reporting.history import build_history
from tests.bot.slack.conftest import OUTSIDER, STAFF, SlackSim, make_settings
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack

JST = ZoneInfo("Asia/Tokyo")
MANAGERS = "CMANAGERS"


def _texts(view: dict) -> str:
    return "\n".join(json.dumps(b, ensure_ascii=False) for b in view["blocks"])


def _add_this_week(engine: Engine, n: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s:
        for i in range(n):
            s.add(Inquiry(channel="email", external_id=f"<now{i}>", received_at=now, primary_intent="terms"))
        s.commit()


async def test_home_tab_publishes_the_dashboard_to_staff(
    slack: SlackSim, fake_slack: FakeSlack, engine: Engine
) -> None:
    build_history(engine)
    _add_this_week(engine, 2)
    reply = await slack.event({"type": "app_home_opened", "user": STAFF, "channel": "D1", "tab": "home"})
    assert reply.status == 200
    (call,) = fake_slack.called("views.publish")
    assert call["user_id"] == STAFF
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    text = _texts(view)
    assert view["type"] == "home"
    assert "今週 2件" in text
    # The queue is not bound to the week: sato holds 2 (the oldest from 2026-04-10), one is unassigned.
    assert "sato: 2件" in text and "未割り当て: 3件" in text  # the two new ones are unassigned too


async def test_home_tab_shows_no_numbers_to_non_staff(
    slack: SlackSim, fake_slack: FakeSlack, engine: Engine
) -> None:
    build_history(engine)
    await slack.event({"type": "app_home_opened", "user": OUTSIDER, "channel": "D2", "tab": "home"})
    (call,) = fake_slack.called("views.publish")
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    text = _texts(view)
    assert "管理者向け" in text and "件" not in text


async def test_stats_command_answers_with_this_week_against_last(slack: SlackSim, engine: Engine) -> None:
    _add_this_week(engine, 3)
    body = json.loads((await slack.command("stats week", user=STAFF)).text)
    assert body["text"].startswith("*対応状況（今週:")
    assert "今週 3件" in body["text"]


def test_stats_text_for_the_month(engine: Engine) -> None:
    _add_this_week(engine, 1)
    text = stats_text(engine, Settings(), "month")
    assert "今月 1件" in text and "未対応* 1件" in text.replace("　", " ")
    with pytest.raises(ValueError):
        stats_text(engine, Settings(), "year")


class QueryFakeSlack(FakeSlack):
    """The shared fake reads POST bodies only; slack_sdk sends the files.* upload methods' arguments in the
    query string, so record those too."""

    async def api(self, request: web.Request) -> web.Response:
        response = await super().api(request)
        self.calls[-1].params.update(dict(request.query))
        return response


@pytest.fixture
async def digest_fake() -> AsyncIterator[FakeSlack]:
    fake = QueryFakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


def _digest_settings(fake: FakeSlack, **extra: object) -> Settings:
    return make_settings(fake, managers_channel=MANAGERS, **extra)


async def test_digest_posts_last_weeks_summary_and_uploads_the_chart(
    digest_fake: FakeSlack, engine: Engine
) -> None:
    fake_slack = digest_fake
    build_history(engine)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    monday = dt.datetime(2026, 5, 11, 9, 0, tzinfo=JST)
    await post_digest(client, engine, _digest_settings(fake_slack), monday)
    (post,) = fake_slack.posts(MANAGERS)
    assert post["text"].startswith("*週次レポート（05/04～05/10）*")
    assert "先週 3件（前の週 4件、-1件）" in post["text"]
    (done,) = fake_slack.called("files.completeUploadExternal")
    assert done["channel_id"] == MANAGERS and done["thread_ts"] == "1700000000.000001"
    (url_call,) = fake_slack.called("files.getUploadURLExternal")
    assert url_call["filename"] == "madoguchi-weekly.png" and int(url_call["length"]) > 20_000


async def test_digest_without_managers_channel_posts_nothing(fake_slack: FakeSlack, engine: Engine) -> None:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    await post_digest(client, engine, make_settings(fake_slack), dt.datetime(2026, 5, 11, 9, tzinfo=JST))
    assert fake_slack.calls == []


def test_next_digest_time_is_the_configured_weekday_in_tokyo() -> None:
    settings = Settings(slack=SlackSettings(digest_weekday=0, digest_time=dt.time(9, 0)))
    # Sunday 2026-05-10 23:30 UTC is Monday 08:30 in Tokyo: the digest is due half an hour later.
    assert next_digest_at(dt.datetime(2026, 5, 10, 23, 30, tzinfo=dt.UTC), settings) == dt.datetime(
        2026, 5, 11, 9, 0, tzinfo=JST
    )
    # Exactly at the time: the next one is a week later.
    assert next_digest_at(dt.datetime(2026, 5, 11, 9, 0, tzinfo=JST), settings) == dt.datetime(
        2026, 5, 18, 9, 0, tzinfo=JST
    )


async def test_scheduler_posts_when_due_and_stops_on_the_event(fake_slack: FakeSlack, engine: Engine) -> None:
    soon = dt.datetime.now(JST) + dt.timedelta(seconds=2)
    if soon.date() != dt.datetime.now(JST).date():
        pytest.skip("too close to midnight in Tokyo")
    settings = _digest_settings(fake_slack, digest_weekday=soon.weekday(), digest_time=soon.time())
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    stop = asyncio.Event()
    task = asyncio.create_task(run_digest_scheduler(client, engine, settings, stop))
    for _ in range(600):  # wait for the post, whatever the machine's speed
        if fake_slack.posts(MANAGERS):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert len(fake_slack.posts(MANAGERS)) == 1
