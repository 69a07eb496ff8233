"""``madoguchi parse-email FILE… --json``: show how the email channel reads raw .eml files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import console, err_console, load_settings, print_json


def parse_email_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Raw RFC 5322 files (.eml).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Parse raw emails exactly as IMAP intake would.

    A file that cannot be read is reported and the command ends with exit code 2 after the others; a file
    that is no valid email is a result, not an error."""
    from bot.email.intake import parse_options
    from bot.email.parse import parse_email

    options = parse_options(load_settings(ctx))
    unreadable = 0
    for file in files:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            unreadable += 1
            result: dict[str, Any] = {
                "file": str(file),
                "kind": "unparseable",
                "reason": f"読み込めません: {exc.strerror}",
            }
        else:
            result = parse_email(raw, options=options).to_json(str(file))
        if as_json:
            print_json(result)
        else:
            _print_human(result)
    if unreadable:
        if not as_json:
            err_console.print(f"[bold red]エラー:[/] 読み込めないファイルが {unreadable} 件ありました。")
        raise typer.Exit(2)


_LABELS = (("from", "差出人"), ("subject", "件名"), ("message_id", "Message-ID"), ("reason", "理由"))


def _print_human(result: dict[str, Any]) -> None:
    console.print(f"[bold]{result['file']}[/]  種別: {result['kind']}")
    for key, label in _LABELS:
        if result.get(key):
            console.print(f"  {label}: {result[key]}", markup=False)
    form = result.get("form") or {}
    if form:
        console.print("  フォーム: " + ", ".join(f"{k}={v}" for k, v in form.items()), markup=False)
    text = str(result.get("text") or "")
    if text:
        lines = text.splitlines()[:20]
        console.print("  本文:\n" + "\n".join("    " + line for line in lines), markup=False)


def register(app: typer.Typer) -> None:
    app.command("parse-email")(parse_email_cmd)
