"""Entry point of the ``madoguchi`` command. Heavy imports stay inside commands so start-up is fast."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import typer

from bot.cli import (
    calc,
    contract,
    db,
    demo,
    doctor,
    importer,
    ingest,
    mail,
    privacy,
    report,
    review,
    serve,
    understand,
)
from bot.settings import SettingsError, load_settings_checked

app = typer.Typer(
    name="madoguchi",
    help="窓口 — support-desk assistant: understands inquiries, drafts replies, staff approve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def package_version() -> str:
    try:
        return version("madoguchi")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"madoguchi {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    _version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="バージョンを表示して終了します。"
    ),
) -> None:
    # Settings are built once here and handed to every command through the context. A configuration that
    # cannot be used stops every command here, before anything runs on silent defaults.
    try:
        ctx.obj = load_settings_checked()
    except SettingsError as exc:
        # Plain lines (not rich): a key's name must never be wrapped in the middle.
        for line in str(exc).splitlines():
            typer.echo(f"設定エラー: {line}", err=True)
        typer.echo("madoguchi.toml・.env・環境変数 MADOGUCHI_… を確認してください。", err=True)
        raise typer.Exit(2) from None


for module in (
    db,
    calc,
    contract,
    understand,
    review,
    demo,
    mail,
    serve,
    report,
    importer,
    ingest,
    doctor,
    privacy,
):
    module.register(app)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
