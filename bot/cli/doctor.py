"""``madoguchi doctor``: check the configuration against the real services."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import console, load_settings, print_json

MARKS = {
    "ok": "[green]OK[/]",
    "warning": "[yellow]注意[/]",
    "failed": "[bold red]NG[/]",
    "skipped": "[dim]—[/]",
}


def doctor(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力します。")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="各サーバーへの接続を待つ秒数。")] = 10.0,
) -> None:
    """設定どおりに各サーバーへ接続できるか確認します。

    データベース・IMAP・SMTP・Slack を確認し、何も変更しません。

    終了コード: 0 すべて使える（注意を含む）、1 使えないものがある。"""
    from bot.doctor import run_checks

    checks = run_checks(load_settings(ctx), timeout=timeout)
    if as_json:
        print_json([{"check": c.name, "status": c.status, "message": c.message} for c in checks])
    else:
        for check in checks:
            console.print(f"{MARKS[check.status]}  {check.name}: {check.message}", highlight=False)
    if any(c.status == "failed" for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
