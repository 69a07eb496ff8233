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


def open_store(settings: Settings) -> Engine:
    """An engine on the configured database, migrated to the latest schema (first use creates it)."""
    from store.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


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
