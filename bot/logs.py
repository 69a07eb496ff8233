"""Process logging for ``madoguchi serve``: plain text or JSON lines (``--log-format json``), holding no
personal data.

Log records never carry message bodies by design (the code logs ids, counts and error types). As a second
line of defence every record passes a filter that masks, in the message and in any traceback:

* e-mail addresses (Message-IDs too, which carry the sender's domain) → ``<address>``;
* Slack tokens, bearer tokens and request signatures (``v0=<hex>``) → ``<token>``;
* Japanese phone numbers (0…, +81…) → ``<phone>``;
* anything after ``body:``/``body=`` (slack-bolt prints a whole request body on a bad signature) → ``<body>``;
* every run of non-ASCII text → ``<…>``: the code logs in English, so Japanese in a log line can only have
  come from a customer or staff (a name, a subject, a sentence of a body) — except on the operator loggers
  (:data:`OPERATOR_LOGGERS`), whose Japanese is the desk's own start-up messages.

And library loggers that print request or message bodies at INFO/DEBUG (slack_bolt, slack_sdk, SQLAlchemy's
statement echo, imapclient's protocol trace, aiosmtplib, aiosmtpd, aiohttp's access log) are set to WARNING
whatever the configured level, so those bodies are never even formatted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

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

_BODY = re.compile(r"(?i)\b((?:request\s+)?body\s*[:=]).*", re.DOTALL)
_TOKEN = re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]+|\bv0=[0-9a-f]{16,}", re.IGNORECASE)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_ADDRESS = re.compile(r"[A-Za-z0-9._%+!#$&'*/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?<![\w.])(?:\+81[-\s]?|0)\d{1,4}[-\s(]?\d{1,4}[-\s)]?\d{3,4}(?![\w.])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


# Loggers whose Japanese lines are the desk's own words to the operator (``madoguchi serve``'s start-up
# problems under --log-format json), never a customer's text: only their non-ASCII text is kept.
OPERATOR_LOGGERS = frozenset({"bot.serve"})


def redact(text: str, *, keep_japanese: bool = False) -> str:
    text = _BODY.sub(r"\1 <body>", text)
    text = _TOKEN.sub("<token>", text)
    text = _BEARER.sub(r"\1<token>", text)
    text = _ADDRESS.sub("<address>", text)
    text = _PHONE.sub("<phone>", text)
    return text if keep_japanese else _NON_ASCII.sub("<…>", text)


class RedactingFilter(logging.Filter):
    """Masks personal data and secrets in the formatted message, the exception text and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor print its arguments
            message = str(record.msg)
        cleaned = redact(message, keep_japanese=record.name in OPERATOR_LOGGERS)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: LogFormat = "text", stream: TextIO | None = None) -> logging.Handler:
    """Route the root logger to stderr (or ``stream``) in the chosen format, through the redacting filter,
    and quiet the libraries that log bodies."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


class FailureLog:
    """A loop that retries (a sender round, a card sweep) logs its failure's traceback once, then one line per
    round while the failure lasts — not a traceback every few seconds — and says when it recovers."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger = logger
        self.what = what
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.failures == 1:
            self.logger.error("%s failed", self.what, exc_info=exc)
        else:
            self.logger.error(
                "%s failed again (%s, %d in a row)", self.what, type(exc).__name__, self.failures
            )

    def ok(self) -> None:
        if self.failures:
            self.logger.info("%s works again after %d failed rounds", self.what, self.failures)
        self.failures = 0
