"""Shared fixtures. The store runs on SQLite always and on PostgreSQL too when
``MADOGUCHI_TEST_DATABASE_URL`` is set; every test gets its own database file or schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.db import make_engine, migrate

PG_URL = os.environ.get("MADOGUCHI_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


def _pg_url() -> str:
    url = PG_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@pytest.fixture(params=BACKENDS)
def db_url_and_schema(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[str, str | None]]:
    """A fresh, empty database: a SQLite file in tmp, or a throw-away PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}", None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_pg_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(), schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def empty_engine(db_url_and_schema: tuple[str, str | None]) -> Iterator[Engine]:
    url, schema = db_url_and_schema
    engine = make_engine(url, schema=schema)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A migrated, empty store."""
    migrate(empty_engine)
    return empty_engine


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Without the variable every database test runs on SQLite only: say so where the results are read,
    # so a green run is never mistaken for a PostgreSQL run.
    if not PG_URL:
        terminalreporter.write_sep(
            "-",
            "PostgreSQL tests NOT run: set MADOGUCHI_TEST_DATABASE_URL=postgresql://… to run them",
            yellow=True,
        )
    else:
        terminalreporter.write_line("PostgreSQL tests ran against MADOGUCHI_TEST_DATABASE_URL")
