"""``madoguchi ingest DIR|FILE.mbox``: replay a backlog of raw mail through the email intake path."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import console, err_console, load_settings, open_store, print_json, user_errors

if TYPE_CHECKING:
    from bot.email.backlog import BacklogResult


def ingest_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help=".eml ファイルのフォルダ、mbox ファイル、または .eml ファイル1通")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力します。")] = False,
) -> None:
    """過去のメール（.eml のフォルダや mbox）を取り込みます。

    IMAP 受信と同じ経路で保存・理解・下書き作成を行います。同じメールを二度取り込んでも重複しません
    （Message-ID で判定）。"""
    from bot.email.backlog import ingest
    from bot.email.intake import parse_options
    from bot.wiring import build_pipeline

    settings = load_settings(ctx)
    with user_errors(as_json=as_json):
        if not path.exists():
            from desk.errors import InputError

            raise InputError(
                f"{path} が見つかりません（.eml のフォルダか mbox ファイルを指定してください）。"
            )
        engine = open_store(settings)
        try:
            pipeline = build_pipeline(settings, engine)
            status = err_console.status("取り込み中…") if not as_json else None

            def progress(done: BacklogResult) -> None:
                if status is not None:
                    status.update(f"取り込み中… {done.read} 通")

            with status or contextlib.nullcontext():
                result = asyncio.run(
                    ingest(path, handle=pipeline.process, options=parse_options(settings), progress=progress)
                )
        finally:
            engine.dispose()
    if as_json:
        print_json(
            {
                "read": result.read,
                "stored": result.stored,
                "already": result.already,
                "failed": [{"where": w, "error": e} for w, e in result.failed],
            }
        )
    else:
        console.print(
            f"{result.read} 通を読みました: 新規 {result.stored} 通、取り込み済み {result.already} 通"
            + (f"、失敗 {len(result.failed)} 通" if result.failed else "")
        )
        for where, error in result.failed:
            err_console.print(f"[red]{where}: 取り込めませんでした（{error}）[/]", highlight=False)
        if result.stored:
            console.print("下書きは madoguchi review（または Slack）で確認できます。")
    if result.failed:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
