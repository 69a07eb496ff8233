"""``madoguchi db init | migrate | seed``: create, upgrade and fill the contract store."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import console, fail, load_settings, open_store, print_json, user_errors
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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
    try:
        migrate(engine, revision)
        console.print(f"スキーマを更新しました（リビジョン: {current_revision(engine)}）")
    finally:
        engine.dispose()


@contextlib.contextmanager
def store(settings: Settings) -> Iterator[Engine]:
    """The migrated store for one command, its connections closed when the command ends."""
    engine = open_store(settings)
    try:
        yield engine
    finally:
        engine.dispose()


def today_in(timezone: str) -> dt.date:
    """Today's date where the desk works (settings.timezone, Asia/Tokyo by default)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(timezone)).date()


def parse_day(value: str | None, *, timezone: str, as_json: bool) -> dt.date:
    """``--today`` as a date (YYYY-MM-DD), or today's date in the desk's time zone."""
    if value is None:
        return today_in(timezone)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        fail(f"日付「{value}」は存在しないか、形式が正しくありません（例: 2025-06-10）。", as_json=as_json)


@db_app.command("seed")
def seed_cmd(
    ctx: typer.Context,
    customers: Annotated[
        int, typer.Option("--customers", min=0, help="生成するお客さまの数（デモ顧客は別）。")
    ] = 200,
    contracts: Annotated[
        int | None,
        typer.Option("--contracts", min=1, help="お客さま数の代わりに、契約数がこの数になるまで生成します。"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="乱数の種。同じ値なら同じデータになります。")] = 0,
    today: Annotated[
        str | None, typer.Option("--today", help="基準日 YYYY-MM-DD（既定: 今日）。使用量は前月までです。")
    ] = None,
    months: Annotated[int, typer.Option("--months", min=1, max=120, help="契約ごとの使用量の月数。")] = 24,
    invoice_months: Annotated[
        int, typer.Option("--invoice-months", min=0, help="請求書を作る直近の月数。")
    ] = 12,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="固定のデモ顧客を含めるか。")] = True,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="既存のデータ（問い合わせ・下書きを含む）をすべて削除してから投入します。"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="結果をJSONで出力します。")] = False,
) -> None:
    """Fill the store with deterministic demo data (same options → same rows)."""
    from store.seed import seed_store

    settings = load_settings(ctx)
    day = parse_day(today, timezone=settings.timezone, as_json=as_json)
    with (
        user_errors(as_json=as_json),
        store(settings) as engine,
        console.status("デモデータを投入しています…", spinner="dots") if not as_json else _quiet(),
    ):
        result = seed_store(
            engine,
            customers=customers,
            contracts=contracts,
            seed=seed,
            today=day,
            months=months,
            invoice_months=invoice_months,
            demo=demo,
            reset=reset,
        )
    if as_json:
        print_json({"today": day.isoformat(), "seed": seed, **_counts(result)})
        return
    console.print(
        f"デモデータを投入しました（基準日 {day.isoformat()}、乱数の種 {seed}）: "
        f"お客さま {result.customers:,} 件、契約 {result.contracts:,} 件、登録メール {result.emails:,} 件、"
        f"使用量 {result.usage_rows:,} 行、請求 {result.invoices:,} 件（{result.seconds:.1f} 秒）"
    )


def _counts(result: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(result) and not isinstance(result, type)
    data = asdict(result)
    data["seconds"] = round(float(data["seconds"]), 2)
    return data


def _quiet() -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
