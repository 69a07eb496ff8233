"""Entry point of the ``madoguchi`` command. Heavy imports stay inside commands so start-up is fast."""

from __future__ import annotations

import typer

from bot.cli import calc, contract, db, demo, mail, privacy, report, review, serve, understand
from bot.settings import Settings

app = typer.Typer(
    name="madoguchi",
    help="窓口 — support-desk assistant: understands inquiries, drafts replies, staff approve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    # Settings are built once here and handed to every command through the context.
    ctx.obj = Settings()


for module in (db, calc, contract, understand, review, demo, mail, serve, report, privacy):
    module.register(app)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
