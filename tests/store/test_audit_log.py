"""The audit log is append-only: no code path updates or deletes an audit row, and PostgreSQL refuses it
(trigger from migration 0007_trust.py, revision 0003_trust) whoever asks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from desk import actions
from store.db import session_scope
from tests.conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
# Any way of writing an UPDATE or DELETE of audit rows: Core on the table or model, ORM delete, raw SQL.
_CHANGES = re.compile(
    r"update\(\s*(AuditEvent|AUDIT|_AUDIT)\b|delete\(\s*(AuditEvent|AUDIT|_AUDIT)\b"
    r"|(AuditEvent|AUDIT)(\.__table__)?\.(update|delete)\(|UPDATE\s+audit_event|DELETE\s+FROM\s+audit_event"
    r"|session\.delete\(\s*(event|audit)",
    re.IGNORECASE,
)


def test_no_code_path_updates_or_deletes_an_audit_row() -> None:
    offenders = []
    for folder in ("bot", "desk", "store", "intents"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _CHANGES.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_see_an_update() -> None:
    assert _CHANGES.search("conn.execute(update(AUDIT).values(actor='x'))")
    assert _CHANGES.search('session.execute(text("DELETE FROM audit_event WHERE id = 1"))')


@pytest.mark.parametrize("db_url_and_schema", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_postgresql_refuses_to_change_or_delete_an_audit_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        actions.audit(session, action="received", actor="system", inquiry_id=None)
    for statement in ("UPDATE audit_event SET actor = 'intruder'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.begin() as conn:  # appending still works
        conn.execute(
            text("INSERT INTO audit_event (actor, action, detail, at) VALUES ('s', 'x', '{}', now())")
        )
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE actor = 'intruder'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == 2
