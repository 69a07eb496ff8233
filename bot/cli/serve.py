"""``madoguchi serve``: run Slack, email intake and the outbox senders until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging

import typer

from bot.cli.common import err_console, load_settings, open_store


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(ctx: typer.Context) -> None:
        """Slack・メール受信・送信キューを常駐させます（SIGTERM/SIGINT で安全に停止）。"""
        from bot.runtime import serve as run_serve

        settings = load_settings(ctx)
        logging.basicConfig(
            level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if settings.slack.bot_token.get_secret_value() and settings.slack.mode == "http":
            if not settings.slack.signing_secret.get_secret_value():
                err_console.print("[bold red]エラー:[/] HTTP モードには Slack の署名シークレットが必要です。")
                raise typer.Exit(2)
        if settings.slack.bot_token.get_secret_value() and settings.slack.mode == "socket":
            if not settings.slack.app_token.get_secret_value():
                err_console.print(
                    "[bold red]エラー:[/] Socket Mode には Slack のアプリトークン（xapp-）が必要です。"
                )
                raise typer.Exit(2)
        engine = open_store(settings)
        try:
            asyncio.run(run_serve(settings, engine))
        finally:
            engine.dispose()
