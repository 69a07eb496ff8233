"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Create an engine; for SQLite the file's folder is created, for PostgreSQL ``schema`` (if given)
    becomes the search path so that separate test runs never see each other's rows."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["check_same_thread"] = False
    elif schema:
        connect_args["options"] = f"-csearch_path={schema}"
    # A server connection can die while it sits in the pool, so it is pinged at checkout; an embedded
    # SQLite file cannot drop a connection, and the ping would be one more statement on every checkout.
    # hide_parameters: a database error's message would otherwise carry the row's values (addresses,
    # names, bodies) into whatever logs or shows it.
    engine = create_engine(
        url, echo=echo, connect_args=connect_args, pool_pre_ping=not sqlite, hide_parameters=True
    )
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the Slack handler read while the intake writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Checkpoint after ~40 MB of WAL (10,000 pages) instead of SQLite's default 1,000 (~4 MB). The pipeline
    # writes ~30 pages per message, so at the default a checkpoint (copy pages back, two fsyncs) ran inside
    # the commit of every ~30th message and set the p99 latency; fewer, larger checkpoints also copy the
    # hot pages (newest table and index leaves, rewritten by every message) once each instead of many times.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (creating it from nothing on an empty database)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            return None
    return str(row[0]) if row else None


@contextmanager
def session_scope(bind: Engine | Connection) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    Bound to a ``Connection`` (not in a transaction), the session begins and ends its transactions on
    that one connection, so a unit of work that commits more than once checks a connection out only once.
    """
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
