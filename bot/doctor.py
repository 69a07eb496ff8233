"""``madoguchi doctor``: the configuration checked against the real services, in plain words.

Each check connects the way the running product does (same settings, same libraries) and reports one line:
what works, or what is wrong and what to look at. Nothing is changed: the database is not migrated, no
folder is created, no mail is sent. Secrets never appear in the results.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Literal

from bot.settings import Settings

Status = Literal["ok", "warning", "failed", "skipped"]


@dataclass(frozen=True)
class Check:
    name: str  # what was checked, in Japanese
    status: Status
    message: str


def run_checks(settings: Settings, *, timeout: float = 10.0) -> list[Check]:
    return [
        check_database(settings),
        check_imap(settings, timeout=timeout),
        asyncio.run(check_smtp(settings, timeout=timeout)),
        check_slack(settings, timeout=timeout),
    ]


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


# -- database ------------------------------------------------------------------------------------------------
def check_database(settings: Settings) -> Check:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cli.common import safe_url
    from store.db import alembic_config, current_revision, make_engine

    name = "データベース"
    where = safe_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
    except SQLAlchemyError as exc:
        return Check(name, "failed", f"URL を使えません（{where}）: {_reason(exc)}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        return Check(
            name, "failed", f"{where} に接続できません（{first[0] if first else type(exc).__name__}）"
        )
    finally:
        engine.dispose()
    if revision is None:
        return Check(
            name,
            "warning",
            f"{where} に接続できますが、表がありません。madoguchi db migrate を実行してください。",
        )
    if revision != head:
        return Check(
            name,
            "warning",
            f"{where} のスキーマが古いままです（{revision}、最新は {head}）。madoguchi db migrate を実行してください。",
        )
    return Check(name, "ok", f"{where} に接続できます。スキーマは最新です（{revision}）。")


# -- IMAP ------------------------------------------------------------------------------------------------------
def check_imap(settings: Settings, *, timeout: float) -> Check:
    from imapclient.exceptions import LoginError

    from bot.email.intake import _close, connect

    name = "メール受信（IMAP）"
    imap = settings.imap
    if not (imap.host and imap.username):
        return Check(name, "skipped", "imap.username が未設定のため、メールは受信しません。")
    where = f"{imap.host}:{imap.port}（{imap.security}）"
    try:
        client = connect(imap, timeout)
    except LoginError:
        return Check(
            name,
            "failed",
            f"{where} にログインできません。imap.username と imap.password を確認してください。",
        )
    except ssl.SSLError as exc:
        return Check(
            name,
            "failed",
            f"{where} と TLS で接続できません（{_reason(exc)}）。imap.security と port を確認してください。",
        )
    except (OSError, TimeoutError) as exc:
        return Check(
            name,
            "failed",
            f"{where} に接続できません（{_reason(exc)}）。imap.host と imap.port を確認してください。",
        )
    except Exception as exc:
        return Check(name, "failed", f"{where} との接続に失敗しました（{_reason(exc)}）。")
    try:
        missing = [f for f in (imap.mailbox,) if not client.folder_exists(f)]
        folder = imap.processed_folder
        processed_exists = not folder or client.folder_exists(folder)
        idle = client.has_capability("IDLE")
    finally:
        _close(client)
    if missing:
        return Check(
            name,
            "failed",
            f"{where} にログインできますが、フォルダ「{missing[0]}」がありません（imap.mailbox）。",
        )
    notes = [] if idle else ["IDLE 非対応のため poll_seconds ごとに確認します"]
    if not processed_exists:
        notes.append(f"処理済みフォルダ「{folder}」は最初の受信時に作成します")
    suffix = f"（{'。'.join(notes)}）" if notes else ""
    return Check(
        name,
        "ok",
        f"{where} に {imap.username} でログインできます。フォルダ「{imap.mailbox}」があります{suffix}。",
    )


# -- SMTP ------------------------------------------------------------------------------------------------------
async def check_smtp(settings: Settings, *, timeout: float) -> Check:
    import aiosmtplib

    name = "メール送信（SMTP）"
    smtp = settings.smtp
    if not smtp.host:
        return Check(name, "skipped", "smtp.host が未設定のため、承認した返信をメールで送りません。")
    where = f"{smtp.host}:{smtp.port}（{smtp.security}）"
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        use_tls=smtp.security == "ssl",
        start_tls=smtp.security == "starttls",
        timeout=timeout,
    )
    try:
        await client.connect()
        await client.ehlo()
        if smtp.username:
            await client.login(smtp.username, smtp.password.get_secret_value())
    except aiosmtplib.SMTPAuthenticationError:
        return Check(
            name, "failed", f"{where} で認証できません。smtp.username と smtp.password を確認してください。"
        )
    except aiosmtplib.SMTPException as exc:
        if "TLS" in str(exc):
            return Check(name, "failed", f"{where}: {_reason(exc)}。smtp.security を確認してください。")
        return Check(
            name,
            "failed",
            f"{where} に接続できません（{_reason(exc)}）。smtp.host と smtp.port を確認してください。",
        )
    except (OSError, TimeoutError) as exc:
        return Check(
            name,
            "failed",
            f"{where} に接続できません（{_reason(exc)}）。smtp.host と smtp.port を確認してください。",
        )
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()
    auth = f"、{smtp.username} で認証できます" if smtp.username else ""
    return Check(name, "ok", f"{where} が EHLO に応答しました{auth}。")


# -- Slack -----------------------------------------------------------------------------------------------------
def check_slack(settings: Settings, *, timeout: float) -> Check:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    name = "Slack"
    slack = settings.slack
    token = slack.bot_token.get_secret_value()
    if not token:
        return Check(name, "skipped", "slack.bot_token が未設定のため、Slack は使いません。")
    client = WebClient(token=token, base_url=slack.api_url, timeout=int(max(1, timeout)))
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "") if exc.response is not None else ""
        hint = {
            "invalid_auth": "ボットトークン（slack.bot_token）が正しくありません",
            "not_authed": "ボットトークン（slack.bot_token）が送られていません",
            "account_inactive": "このトークンのアプリは無効化されています",
            "token_revoked": "このトークンは取り消されています",
        }.get(error, f"Slack がエラーを返しました（{error}）")
        return Check(name, "failed", f"auth.test: {hint}。")
    except Exception as exc:
        return Check(name, "failed", f"{slack.api_url} に接続できません（{_reason(exc)}）。")
    problems = []
    if slack.mode == "http" and not slack.signing_secret.get_secret_value():
        problems.append("HTTP モードには slack.signing_secret が必要です")
    if slack.mode == "socket" and not slack.app_token.get_secret_value():
        problems.append("Socket Mode には slack.app_token（xapp-）が必要です")
    if not slack.triage_channel:
        problems.append("slack.triage_channel（下書きを投稿するチャンネル）が未設定です")
    who = f"ワークスペース「{answer.get('team')}」のボット「{answer.get('user')}」として認証できます"
    if problems:
        return Check(name, "warning", f"{who}が、{'。'.join(problems)}。")
    return Check(name, "ok", f"{who}。")
