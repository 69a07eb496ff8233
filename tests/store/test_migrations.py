"""Migrations build the schema from nothing, and the schema they build is exactly the models'."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401
from store.db import current_revision, migrate


def test_migrate_creates_every_table_from_nothing(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    migrate(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert current_revision(empty_engine) is not None


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(engine: Engine) -> None:
    before = current_revision(engine)
    migrate(engine)
    assert current_revision(engine) == before
