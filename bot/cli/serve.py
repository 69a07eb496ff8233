"""``madoguchi serve``: run Slack, email intake and the outbox senders until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Annotated

import typer

from bot.cli.common import StoreUnavailable, connect_store, err_console, load_settings
from bot.settings import Settings


class LogFormatChoice(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        log_format: Annotated[
            LogFormatChoice,
            typer.Option("--log-format", help="ログの形式: text / json（1行1オブジェクト）。"),
        ] = LogFormatChoice.text,
    ) -> None:
        """Slack・メール受信・送信キューを常駐させます（SIGTERM/SIGINT で安全に停止）。

        /healthz（各部の状態）と /metrics（Prometheus）を health_port で公開します。"""
        from bot import logs
        from bot.runtime import serve as run_serve

        settings = load_settings(ctx)
        logs.configure(settings.log_level, log_format.value)
        as_json = log_format == LogFormatChoice.json

        def say(level: int, text: str) -> None:
            # Under --log-format json every line of the process is a JSON object, these too.
            if as_json:
                logging.getLogger("bot.serve").log(level, text)
            else:
                mark = "[bold red]エラー:[/]" if level >= logging.ERROR else "[bold yellow]注意:[/]"
                err_console.print(f"{mark} {text}", highlight=False)

        problem = slack_problem(settings)
        if problem:
            say(logging.ERROR, problem)
            raise typer.Exit(2)
        silent = nothing_to_receive(settings)
        if silent:
            say(logging.WARNING, silent)
        try:
            engine = connect_store(settings)
        except StoreUnavailable as exc:
            say(logging.ERROR, str(exc))
            raise typer.Exit(2) from None
        try:
            asyncio.run(run_serve(settings, engine))
        finally:
            engine.dispose()


def slack_problem(settings: Settings) -> str | None:
    """What is missing for the configured Slack mode (None when Slack is off or complete)."""
    slack = settings.slack
    if not slack.bot_token.get_secret_value():
        return None
    if slack.mode == "http" and not slack.signing_secret.get_secret_value():
        return "HTTP モードには Slack の署名シークレット（signing_secret）が必要です。"
    if slack.mode == "socket" and not slack.app_token.get_secret_value():
        return "Socket Mode には Slack のアプリトークン（xapp-）が必要です。"
    return None


def nothing_to_receive(settings: Settings) -> str | None:
    """A warning when neither Slack nor IMAP is configured: the process would run and receive nothing."""
    slack = bool(settings.slack.bot_token.get_secret_value())
    imap = bool(settings.imap.host and settings.imap.username)
    if slack or imap:
        return None
    return (
        "Slack（slack.bot_token）も IMAP（imap.username）も設定されていないため、問い合わせを一件も受信しません。"
        " 承認済みの返信の送信とレポート集計だけを行います。"
    )
