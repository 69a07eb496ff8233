"""A backlog of raw mail — a folder of ``.eml`` files or an mbox — through the same intake path as IMAP.

Each message is parsed by :func:`bot.email.parse.parse_email` with the options IMAP intake uses and handed to
the same pipeline, so it is stored, understood and drafted exactly as if it had arrived in the mailbox. The
pipeline is idempotent on (channel, Message-ID or the raw bytes' hash): replaying a backlog twice, or a
backlog IMAP already read, stores nothing new.
"""

from __future__ import annotations

import mailbox
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.email.parse import ParseOptions, parse_email
from desk.errors import InputError
from desk.message import IncomingMessage

Handle = Callable[[IncomingMessage], Awaitable[Any]]
MAIL_SUFFIXES = (".eml", ".msg", ".txt")  # .msg here is the raw RFC 5322 some tools save, not Outlook's


@dataclass
class BacklogResult:
    read: int = 0  # messages found
    stored: int = 0  # new to the store
    already: int = 0  # stored before (same Message-ID / same bytes)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (where, why) — the rest still ran


def sources(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, raw bytes) of every message under ``path``: a folder of mail files (recursively, by name)
    or one mbox file."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MAIL_SUFFIXES)
        for file in files:
            yield str(file.relative_to(path)), file.read_bytes()
        return
    if not path.is_file():
        raise InputError(f"{path} が見つかりません（.eml のフォルダか mbox ファイルを指定してください）。")
    if path.suffix.lower() in MAIL_SUFFIXES:
        yield path.name, path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.keys(), start=1):
            yield f"{path.name} #{number}", box.get_bytes(key)
    finally:
        box.close()


async def ingest(
    path: Path,
    *,
    handle: Handle,
    options: ParseOptions,
    progress: Callable[[BacklogResult], None] | None = None,
) -> BacklogResult:
    """Parse and hand every message under ``path`` to ``handle`` (the pipeline's ``process``), in order."""
    result = BacklogResult()
    for where, raw in sources(path):
        result.read += 1
        parsed = parse_email(raw, options=options)
        try:
            outcome = await handle(parsed.message)
        except Exception as exc:  # one bad message must not stop a replay; it is reported by name
            result.failed.append((where, type(exc).__name__))
        else:
            if getattr(outcome, "created", True):
                result.stored += 1
            else:
                result.already += 1
        if progress:
            progress(result)
    return result
