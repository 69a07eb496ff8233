"""What every command shares: settings, the store, JSON output and turning errors into plain words."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from bot.settings import Settings
from desk.errors import MadoguchiError

console = Console()
err_console = Console(stderr=True)


def load_settings(ctx: typer.Context | None = None) -> Settings:
    """The settings built once in the entry point (``ctx.obj``), or fresh ones outside a Typer context."""
    if ctx is not None and isinstance(ctx.obj, Settings):
        return ctx.obj
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, Settings):
        return root.obj
    return Settings()


class StoreUnavailable(Exception):
    """The configured store cannot be opened; the message says why in plain words (password masked)."""


def connect_store(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the latest schema, or :class:`StoreUnavailable`."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from store.db import make_engine, migrate

    try:
        engine = make_engine(settings.database_url)
    except (ArgumentError, NoSuchModuleError):
        raise StoreUnavailable(
            f"データベースの URL を使えません: {safe_url(settings.database_url)}"
        ) from None
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise StoreUnavailable(database_problem(settings.database_url, exc)) from None
    return engine


def open_store(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the latest schema (first use creates it).

    A database that cannot be reached or opened ends the command with a plain message (exit 2), never a
    driver traceback; the URL is shown without its password."""
    try:
        return connect_store(settings)
    except StoreUnavailable as exc:
        fail(str(exc), as_json=False)


def safe_url(url: str) -> str:
    """The URL as it may be shown to people: the password masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "（読み取れない URL）"


def database_problem(url: str, exc: BaseException) -> str:
    """What went wrong opening the store, in plain words, with the driver's first line for the operator."""
    detail = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    return f"データベース {safe_url(url)} に接続できません（{first}）。URL・サーバーの起動・権限を確認してください。"


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def fail(message: str, *, as_json: bool, code: int = 2) -> NoReturn:
    """Report a user-facing error: JSON ``{"error": …}`` with ``--json``, else red text on stderr."""
    if as_json:
        print_json({"error": message})
    else:
        err_console.print(f"[bold red]エラー:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def user_errors(*, as_json: bool) -> Iterator[None]:
    """Turn the product's own errors (and pydantic/ValueError input errors) into a clear message, exit 2."""
    try:
        yield
    except MadoguchiError as exc:
        fail(str(exc), as_json=as_json)


Register = Callable[[typer.Typer], None]
