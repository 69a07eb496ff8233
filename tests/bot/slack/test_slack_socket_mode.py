"""Socket Mode against a local WebSocket server speaking Slack's envelope protocol (hello → envelopes → acks),
driven through the runtime exactly as ``madoguchi serve`` runs it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import Engine

from bot.runtime import Runtime
from desk.pipeline import Pipeline
from store.models import Inquiry
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    STAFF,
    TRIAGE,
    all_rows,
    make_settings,
    seed_customer,
)
from tests.bot.slack.fake_slack import APP_TOKEN, FakeSlack


@pytest.fixture
async def runtime(fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline) -> AsyncIterator[Runtime]:
    settings = make_settings(fake_slack, mode="socket", app_token=APP_TOKEN, signing_secret="")
    settings = settings.model_copy(
        update={"health_port": 0, "imap": settings.imap.model_copy(update={"username": ""})}
    )
    settings = settings.model_copy(update={"smtp": settings.smtp.model_copy(update={"host": ""})})
    rt = Runtime(settings, engine=engine, pipeline=pipeline)
    async with asyncio.TaskGroup() as group:
        group.create_task(rt.run())
        async with asyncio.timeout(30):
            await fake_slack.connected.wait()
        yield rt
        rt.stop()


async def health(rt: Runtime) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{rt.health_port}/healthz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_events_api_envelope_is_acked_and_becomes_an_inquiry(
    runtime: Runtime, fake_slack: FakeSlack, engine: Engine
) -> None:
    seed_customer(engine)
    assert fake_slack.called("apps.connections.open")  # the client asked for the WebSocket URL with xapp-
    envelope_id = await fake_slack.send_envelope(
        "events_api",
        {
            "team_id": "T111",
            "api_app_id": "A111",
            "type": "event_callback",
            "event_id": "EvSOCKET1",
            "event": {
                "type": "message",
                "channel": CUSTOMER_CHANNEL,
                "user": CUSTOMER_USER,
                "text": "パスワードを忘れてしまいました。再設定の方法を教えてください。",
                "ts": "1763871000.000100",
            },
        },
    )
    ack = await fake_slack.wait_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id}
    inquiries = all_rows(engine, Inquiry)
    assert len(inquiries) == 1 and inquiries[0].external_id == f"{CUSTOMER_CHANNEL}:1763871000.000100"
    # the card goes out after the ack, from the poster: wait for it rather than race it
    assert await fake_slack.wait_posts(TRIAGE) and not fake_slack.posts(CUSTOMER_CHANNEL)


async def test_slash_command_envelope_is_answered_in_the_ack(runtime: Runtime, fake_slack: FakeSlack) -> None:
    envelope_id = await fake_slack.send_envelope(
        "slash_commands",
        {
            "team_id": "T111",
            "channel_id": "CRANDOM",
            "user_id": STAFF,
            "command": "/madoguchi",
            "text": "help",
            "api_app_id": "A111",
            "response_url": "https://hooks.slack.com/commands/T111/1/x",
            "trigger_id": "t",
        },
        accepts_response=True,
    )
    ack = await fake_slack.wait_ack(envelope_id)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "/madoguchi` の使い方" in ack["payload"]["text"]


async def test_healthz_reports_each_component(runtime: Runtime) -> None:
    async with asyncio.timeout(30):
        while (await health(runtime))[0] != 200:
            await asyncio.sleep(0.05)
    status, body = await health(runtime)
    assert status == 200 and body["status"] == "ok"
    states = {name: c["state"] for name, c in body["components"].items()}
    assert states == {
        "slack": "running",
        "slack_cards": "running",
        "slack_incidents": "running",
        "slack_outbox": "running",
        "slack_digest": "disabled",  # no managers' channel configured
        "email_intake": "disabled",
        "email_outbox": "disabled",
        "report_settle": "running",
        "privacy_retention": "disabled",  # privacy.retention_days = 0 (the default)
    }
    assert body["components"]["slack"]["detail"] == "socket_mode"
