"""``madoguchi import customers|contacts|contracts|usage|invoices FILE.csv``: load a desk's own data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from bot.cli.common import console, err_console, fail, load_settings, open_store, print_json, user_errors

PROGRESS_FROM_ROWS = 2000  # a bar for files that take more than a moment
SHOWN_ERRORS = 50  # the rest are counted; --json lists them all


class Table(StrEnum):
    customers = "customers"
    contacts = "contacts"
    contracts = "contracts"
    usage = "usage"
    invoices = "invoices"


def import_cmd(
    ctx: typer.Context,
    table: Annotated[
        Table, typer.Argument(help="取り込む表: customers / contacts / contracts / usage / invoices")
    ],
    file: Annotated[Path, typer.Argument(help="CSV ファイル（UTF-8 または Shift_JIS/CP932、1行目は見出し）")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="検査だけ行い、何も書き込みません。")] = False,
    skip_bad: Annotated[
        bool,
        typer.Option(
            "--skip-bad",
            help="不正な行を飛ばして残りを取り込みます（既定: 1行でも不正なら何も取り込まない）。",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力します。")] = False,
) -> None:
    """CSV を取り込みます（お客さま・連絡先・契約・使用量・請求）。

    キー（お客さま番号・契約番号）で上書きするため、何度実行しても同じ結果です。
    列の一覧は docs/import.md、見本は docs/samples/ にあります。"""
    from store.importer import import_csv

    settings = load_settings(ctx)
    with user_errors(as_json=as_json):
        engine = open_store(settings)
        bar = _Bar(enabled=not as_json)
        try:
            result = import_csv(
                engine, table.value, file, dry_run=dry_run, skip_bad=skip_bad, progress=bar.update
            )
        finally:
            bar.close()
            engine.dispose()
    if as_json:
        print_json(
            {
                "table": result.table,
                "encoding": result.encoding,
                "rows": result.rows,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "skipped": result.skipped,
                "applied": result.applied,
                "dry_run": dry_run,
                "errors": [{"line": e.line, "message": e.message} for e in result.errors],
                "seconds": round(result.seconds, 3),
            }
        )
    else:
        for error in result.errors[:SHOWN_ERRORS]:
            typer.echo(f"{file.name} {error}", err=True)  # one line each, never wrapped
        if len(result.errors) > SHOWN_ERRORS:
            err_console.print(
                f"…ほか {len(result.errors) - SHOWN_ERRORS} 件の不正な行があります（--json で全件）。"
            )
        counts = f"新規 {result.inserted} 件、更新 {result.updated} 件、変更なし {result.unchanged} 件" + (
            f"、不正で除外 {result.skipped} 件" if result.skipped else ""
        )
        if dry_run:
            console.print(
                f"検査のみ（書き込みなし）: {result.rows} 行 — 取り込むと {counts}（文字コード {result.encoding}）"
            )
        elif result.errors and not skip_bad:
            err_console.print(
                f"[bold red]エラー:[/] 不正な行が {len(result.errors)} 件あるため、何も取り込んでいません。"
                "直して再実行するか、--skip-bad で正しい行だけを取り込んでください。"
            )
        else:
            console.print(
                f"{result.table} を取り込みました: {result.rows} 行 — {counts}（{result.seconds:.1f} 秒）"
            )
    if result.errors and not skip_bad:
        raise typer.Exit(2)


class _Bar:
    """A progress bar on stderr, shown only once the file turns out to have PROGRESS_FROM_ROWS rows or more
    (the importer reports (done, total) with total = 2 × rows: checking, then writing)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total < 2 * PROGRESS_FROM_ROWS:
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("取り込み中"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err_console,
            )
            self.progress.start()
            self.task = self.progress.add_task("import", total=total)
        assert self.task is not None
        self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)


__all__ = ["fail", "register"]
