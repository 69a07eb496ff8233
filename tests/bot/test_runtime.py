"""``madoguchi serve`` as a real process: it starts, answers /healthz and Slack, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.runtime import Health
from tests.bot.slack.conftest import SIGNING_SECRET, SlackSim
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.services.dovecot import free_port


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


async def get_health(session: aiohttp.ClientSession, port: int) -> tuple[int, dict] | None:
    try:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, await response.json()
    except aiohttp.ClientConnectionError:
        return None


async def test_serve_starts_answers_healthz_and_slack_and_stops_on_sigterm(
    fake: FakeSlack, tmp_path: Path
) -> None:
    health_port, slack_port = free_port(), free_port()
    env = {
        **os.environ,
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "MADOGUCHI_HEALTH_PORT": str(health_port),
        "MADOGUCHI_SLACK__MODE": "http",
        "MADOGUCHI_SLACK__BOT_TOKEN": BOT_TOKEN,
        "MADOGUCHI_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "MADOGUCHI_SLACK__API_URL": fake.api_url,
        "MADOGUCHI_SLACK__HTTP_PORT": str(slack_port),
        "MADOGUCHI_SLACK__TRIAGE_CHANNEL": "CTRIAGE",
        "MADOGUCHI_SLACK__STAFF_USER_IDS": '["USTAFF1"]',
        "MADOGUCHI_IMAP__USERNAME": "",
        "MADOGUCHI_SMTP__HOST": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session:
            answer = None
            async with asyncio.timeout(120):
                while answer is None or answer[0] != 200:
                    assert process.returncode is None, (await process.stderr.read()).decode()  # type: ignore[union-attr]
                    await asyncio.sleep(0.2)
                    answer = await get_health(session, health_port)
            _status, body = answer
            assert body["status"] == "ok"
            assert body["components"]["slack"] == {"state": "running", "detail": f"http:{slack_port}"}
            assert body["components"]["email_intake"]["state"] == "disabled"
            assert body["components"]["report_settle"]["state"] == "running"

            reply = await SlackSim(f"http://127.0.0.1:{slack_port}/slack/events", session).command(
                "help", user="U1"
            )
            assert reply.status == 200 and "使い方" in reply.json()["text"]
            unsigned = urllib.parse.urlencode({"command": "/madoguchi", "text": "help"})
            async with session.post(f"http://127.0.0.1:{slack_port}/slack/events", data=unsigned) as response:
                assert response.status == 401

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            code = await process.wait()
        stderr = (await process.stderr.read()).decode()  # type: ignore[union-attr]
        assert code == 0, stderr
        assert "madoguchi stopped" in stderr
        assert "Traceback" not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_health_is_degraded_when_a_component_failed_and_while_stopping() -> None:
    health = Health()
    health.set("slack", "running")
    health.set("email_intake", "disabled")
    assert health.snapshot()[0] == 200
    health.set("email_outbox", "failed", "SMTPConnectError")
    status, body = health.snapshot()
    assert status == 503 and body["status"] == "degraded"
    assert body["components"]["email_outbox"] == {"state": "failed", "detail": "SMTPConnectError"}
    health.set("email_outbox", "running")
    health.stopping = True
    assert health.snapshot() == (503, {**health.snapshot()[1], "status": "stopping"})
