"""Logging that holds no personal data: library loggers pinned to WARNING and a redacting filter on every
handler ``configure_logging`` installs.

What the filter removes from every line (message, arguments and traceback alike):

* email addresses (also Message-IDs, which carry the sender's domain) → ``[email]``;
* Japanese phone numbers (0…, +81…) → ``[phone]``;
* Slack tokens (``xox…-``, ``xapp-``), request signatures (``v0=<hex>``) → ``[secret]``;
* anything after ``body:``/``body=`` (slack-bolt prints a whole request body on a bad signature) →
  ``[body]``;
* every run of non-ASCII text → ``[…]``. The code logs in English, so Japanese in a log line can only have
  come from a customer or staff (a name, a subject, a sentence of the body).

Library loggers that print request or message bodies at INFO/DEBUG (slack_bolt, slack_sdk, aiohttp's
access log, SQLAlchemy's statement echo, imapclient's protocol trace, aiosmtplib, aiosmtpd) are set to WARNING
whatever the configured level, so those bodies are never even formatted.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

QUIET_LIBRARIES = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "imapclient",
    "aiosmtplib",
    "mail.log",  # aiosmtpd
    "aiohttp.access",
    "aiohttp.server",
    "urllib3",
    "websockets",
)

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(request\s+)?body\s*[:=].*", re.DOTALL), "body: [body]"),
    (re.compile(r"\bxox[a-z]-[\w-]+|\bxapp-[\w-]+|\bv0=[0-9a-f]{16,}", re.IGNORECASE), "[secret]"),
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w.])(?:\+81[-\s]?|0)\d{1,4}[-\s(]?\d{1,4}[-\s)]?\d{3,4}(?![\w.])"), "[phone]"),
    (re.compile(r"[^\x00-\x7f]+"), "[…]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class Redactor(logging.Filter):
    """Rewrites each record in place: the formatted message and any traceback, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor print its arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Install one redacting handler on the root logger (replacing earlier ones) and quiet the libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redactor())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "madoguchi", False):
            root.removeHandler(old)
    handler.madoguchi = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
