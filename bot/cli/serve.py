"""``madoguchi serve``: run Slack, email intake and the outbox senders until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import err_console, load_settings, open_store
from bot.settings import Settings


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(ctx: typer.Context) -> None:
        """Slack・メール受信・送信キューを常駐させます（SIGTERM/SIGINT で安全に停止）。"""
        from bot.logs import configure_logging
        from bot.runtime import serve as run_serve

        settings = load_settings(ctx)
        configure_logging(settings.log_level)
        problem = slack_problem(settings)
        if problem:
            err_console.print(f"[bold red]エラー:[/] {problem}")
            raise typer.Exit(2)
        engine = open_store(settings)
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
