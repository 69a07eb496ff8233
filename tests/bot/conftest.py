"""Service fixtures for the adapters' tests: a real Dovecot IMAP server and a real aiosmtpd SMTP server.

``imap_server`` skips when the dovecot binary is absent, unless ``MADOGUCHI_REQUIRE_SERVICES=1`` (CI),
where a missing server fails the test. Debian packages: ``dovecot-imapd dovecot-lmtpd``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.dovecot import Dovecot, dovecot_binary
from tests.services.smtp import SmtpSink

REQUIRE = os.environ.get("MADOGUCHI_REQUIRE_SERVICES") == "1"


def _missing(what: str) -> None:
    message = f"{what} is not installed (apt-get install -y dovecot-imapd dovecot-lmtpd)"
    if REQUIRE:
        pytest.fail(message + "; MADOGUCHI_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


@pytest.fixture
def imap_server() -> Iterator[Dovecot]:
    """A fresh Dovecot: ``host``, ``port``, ``user``, ``password``, ``maildir``; ``stop()``/``restart()``."""
    if dovecot_binary() is None or os.geteuid() != 0:
        _missing("dovecot (run as root)" if dovecot_binary() else "dovecot")
    # Not under tmp_path: pytest keeps /tmp/pytest-of-<user> at mode 0700 (and re-applies it when another
    # session starts), but Dovecot's unprivileged users must traverse every parent directory.
    root = Path(tempfile.mkdtemp(prefix="madoguchi-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root / "dovecot")
    server.configure()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """aiosmtpd in-process: ``host``, ``port``, ``messages`` (received, in order), ``replies`` (scripted)."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
