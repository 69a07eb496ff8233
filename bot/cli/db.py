"""``madoguchi db init | migrate | seed``: create, upgrade and fill the contract store."""

from __future__ import annotations

import typer

from bot.cli.common import console, load_settings

db_app = typer.Typer(help="契約ストアの作成・移行・デモデータ投入 (create, migrate and seed the store).")


@db_app.command("init")
def init(ctx: typer.Context) -> None:
    """Create the schema on an empty database (same as ``migrate``; safe to run twice)."""
    migrate_cmd(ctx)


@db_app.command("migrate")
def migrate_cmd(ctx: typer.Context, revision: str = typer.Option("head", help="Target revision.")) -> None:
    """Upgrade the schema to the latest (or the given) revision."""
    from store.db import current_revision, make_engine, migrate

    settings = load_settings(ctx)
    engine = make_engine(settings.database_url)
    migrate(engine, revision)
    console.print(f"スキーマを更新しました（リビジョン: {current_revision(engine)}）")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
