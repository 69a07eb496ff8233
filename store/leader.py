"""One holder at a time across processes: who reads a mailbox, who settles the report columns.

``madoguchi serve`` may run as several processes against one PostgreSQL. Work that must not run twice at once
(an IMAP mailbox read by two processes would race on its checkpoint) takes a :class:`Leadership` first. On
PostgreSQL it is a session-level advisory lock held on a connection of its own: when the holder dies, the
server closes that connection and releases the lock, so a standby process takes over on its next try (within
``retry_seconds``). Other backends (SQLite) are single-process by design, so the lock is always granted.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a readable name."""
    return int.from_bytes(hashlib.sha256(f"madoguchi:{name}".encode()).digest()[:8], "big", signed=True)


class Leadership:
    """An exclusive, crash-released lock named ``name`` (e.g. ``"imap:INBOX"``)."""

    def __init__(self, engine: Engine, name: str, *, announce: bool = True) -> None:
        self.engine = engine
        self.name = name
        self.announce = announce  # log taking it (a mailbox: yes; each of many short-lived locks: no)
        self.key = lock_key(name)
        self._conn: Connection | None = None
        self._shared = engine.dialect.name != "postgresql"

    @property
    def held(self) -> bool:
        return self._shared or self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; ``True`` when this process holds it (again) afterwards."""
        if self.held:
            return True
        conn = self.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            conn.commit()  # the session lock outlives the transaction; end it so the connection idles
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        if self.announce:
            log.info("took the %s lock", self.name)
        return True

    def still_held(self) -> bool:
        """Whether the lock is still ours: its connection may have died with a database restart."""
        if self._shared:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except Exception:
            log.warning("lost the %s lock (its database connection failed)", self.name)
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
        except Exception:  # closing the connection below releases it as well
            log.warning("could not unlock %s; closing its connection releases it", self.name)
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing the %s lock connection failed", self.name)
