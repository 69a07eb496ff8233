"""One holder at a time across processes: a PostgreSQL advisory lock that its holder's death releases."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.leader import Leadership, lock_key


def _name() -> str:
    # Advisory locks are database-wide: a name of its own keeps parallel test runs apart.
    return f"imap:test-{uuid.uuid4().hex}"


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("imap:a@h/INBOX") == lock_key("imap:a@h/INBOX")
    assert lock_key("imap:a@h/INBOX") != lock_key("imap:b@h/INBOX")
    assert -(2**63) <= lock_key("x") < 2**63


def test_only_one_holder_and_a_dead_holder_is_taken_over(engine: Engine) -> None:
    name = _name()
    first, second = Leadership(engine, name), Leadership(engine, name)
    assert first.try_acquire()
    if engine.dialect.name != "postgresql":  # SQLite: one process by design, so the lock is always granted
        assert second.try_acquire() and first.still_held()
        return
    assert not second.try_acquire()
    assert first.try_acquire()  # holding it already: still ours
    # The holder's process dies: the server ends its session (as it does for a killed process).
    assert first._conn is not None
    pid = first._conn.execute(text("SELECT pg_backend_pid()")).scalar()
    first._conn.commit()
    with engine.begin() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    # pg_terminate_backend only signals: the session (and its lock) ends a moment later, under load not at once.
    gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
    for _ in range(100):
        with engine.connect() as conn:
            if conn.execute(gone, {"pid": pid}).scalar() == 0:
                break
        time.sleep(0.05)
    assert second.try_acquire()
    assert not first.still_held() and not first.try_acquire()
    second.release()
    assert first.try_acquire()
    first.release()


def test_release_lets_the_next_holder_in(engine: Engine) -> None:
    name = _name()
    first, second = Leadership(engine, name), Leadership(engine, name)
    assert first.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
