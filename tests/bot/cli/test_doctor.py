"""``madoguchi doctor`` against the real Dovecot, aiosmtpd and the fake Slack Web API."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from store.db import make_engine, migrate
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.bot.test_runtime import free_port
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink

runner = CliRunner()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


def _clean_env() -> dict[str, str]:
    return {k: "" for k in os.environ if k.startswith("MADOGUCHI_") and not k.startswith("MADOGUCHI_TEST_")}


def _doctor(env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]]]:
    result = runner.invoke(app, ["doctor", "--json", "--timeout", "5"], env={**_clean_env(), **env})
    checks = {c["check"]: c for c in json.loads(result.stdout)}
    return result.exit_code, checks


async def test_everything_configured_and_reachable_is_ok(
    imap_server: Dovecot, smtp_server: SmtpSink, fake: FakeSlack, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'doc.db'}"
    migrate(make_engine(url))
    env = {
        "MADOGUCHI_DATABASE_URL": url,
        "MADOGUCHI_IMAP__HOST": imap_server.host,
        "MADOGUCHI_IMAP__PORT": str(imap_server.port),
        "MADOGUCHI_IMAP__SECURITY": "plain",
        "MADOGUCHI_IMAP__USERNAME": imap_server.user,
        "MADOGUCHI_IMAP__PASSWORD": imap_server.password,
        "MADOGUCHI_SMTP__HOST": smtp_server.host,
        "MADOGUCHI_SMTP__PORT": str(smtp_server.port),
        "MADOGUCHI_SMTP__SECURITY": "plain",
        "MADOGUCHI_SLACK__BOT_TOKEN": BOT_TOKEN,
        "MADOGUCHI_SLACK__API_URL": fake.api_url,
        "MADOGUCHI_SLACK__MODE": "http",
        "MADOGUCHI_SLACK__SIGNING_SECRET": "s",
        "MADOGUCHI_SLACK__TRIAGE_CHANNEL": "CTRIAGE",
    }
    code, checks = await _in_thread(env)
    assert code == 0, checks
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert "スキーマは最新" in checks["データベース"]["message"]
    assert "ログインできます" in checks["メール受信（IMAP）"]["message"]
    assert "EHLO に応答しました" in checks["メール送信（SMTP）"]["message"]
    assert "認証できます" in checks["Slack"]["message"]
    assert smtp_server.messages == []  # nothing was sent
    assert [c.method for c in fake.calls] == ["auth.test"]


async def test_each_wrong_setting_is_said_in_plain_words(
    imap_server: Dovecot, fake: FakeSlack, tmp_path: Path
) -> None:
    env = {
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "MADOGUCHI_IMAP__HOST": imap_server.host,
        "MADOGUCHI_IMAP__PORT": str(imap_server.port),
        "MADOGUCHI_IMAP__SECURITY": "plain",
        "MADOGUCHI_IMAP__USERNAME": imap_server.user,
        "MADOGUCHI_IMAP__PASSWORD": "wrong-password-42",
        "MADOGUCHI_SMTP__HOST": "127.0.0.1",
        "MADOGUCHI_SMTP__PORT": str(free_port()),
        "MADOGUCHI_SMTP__SECURITY": "plain",
        "MADOGUCHI_SLACK__BOT_TOKEN": "xoxb-not-the-right-one",
        "MADOGUCHI_SLACK__API_URL": fake.api_url,
    }
    code, checks = await _in_thread(env)
    assert code == 1
    assert (
        checks["データベース"]["status"] == "warning"
        and "madoguchi db migrate" in checks["データベース"]["message"]
    )
    assert checks["メール受信（IMAP）"]["status"] == "failed"
    assert "ログインできません" in checks["メール受信（IMAP）"]["message"]
    assert (
        checks["メール送信（SMTP）"]["status"] == "failed"
        and "接続できません" in checks["メール送信（SMTP）"]["message"]
    )
    assert checks["Slack"]["status"] == "failed" and "ボットトークン" in checks["Slack"]["message"]
    text = json.dumps(checks, ensure_ascii=False)
    assert "wrong-password-42" not in text and "xoxb-not-the-right-one" not in text
    assert (
        not (tmp_path / "empty.db").exists() or _tables(tmp_path / "empty.db") == []
    )  # doctor changed nothing


def test_nothing_configured_is_skipped_not_failed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'doc.db'}"
    migrate(make_engine(url))
    env = {"MADOGUCHI_DATABASE_URL": url, "MADOGUCHI_SMTP__HOST": ""}
    code, checks = _doctor(env)
    assert code == 0
    assert [c["status"] for c in checks.values()] == ["ok", "skipped", "skipped", "skipped"]
    human = runner.invoke(app, ["doctor"], env={**_clean_env(), **env, "COLUMNS": "200"})
    assert "メールは受信しません" in human.stdout


def _tables(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]


async def _in_thread(env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]]]:
    # The fake Slack runs on this test's event loop; doctor (which runs its own loop for SMTP) runs beside it.
    import asyncio

    return await asyncio.to_thread(_doctor, env)
