"""Shared by the email tests: a store-writing intake callback and small IMAP/mail builders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from imapclient import IMAPClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import ImapSettings
from desk.message import IncomingMessage
from store.db import session_scope
from store.models import Inquiry
from tests.services.dovecot import Dovecot


def imap_settings(server: Dovecot, **overrides: Any) -> ImapSettings:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "security": "plain",
        "username": server.user,
        "password": SecretStr(server.password),
        "idle_seconds": 60,
        "poll_seconds": 0.5,
    }
    values.update(overrides)
    return ImapSettings(**values)


def client(server: Dovecot, port: int | None = None) -> IMAPClient:
    c = IMAPClient(server.host, port=port or server.port, ssl=False, timeout=10)
    c.login(server.user, server.password)
    return c


def append(server: Dovecot, *raws: bytes) -> None:
    c = client(server)
    try:
        for raw in raws:
            c.append("INBOX", raw)
    finally:
        c.logout()


def folder_uids(server: Dovecot, folder: str) -> dict[int, tuple[bytes, ...]]:
    """UID → flags of every message in ``folder``."""
    c = client(server)
    try:
        if not c.folder_exists(folder):
            return {}
        c.select_folder(folder, readonly=True)
        return {uid: data[b"FLAGS"] for uid, data in c.fetch(c.search(["ALL"]), ["FLAGS"]).items()}
    finally:
        c.logout()


def plain_mail(n: int, subject: str = "ログインできません", sender: str = "yamada@example.com") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"山田 太郎 <{sender}>"
    msg["To"] = "support@example.jp"
    msg["Subject"] = f"{subject} {n}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<m{n}@example.com>"
    msg.set_content(f"山田です。マイページにログインできません（{n}）。\n")
    return bytes(msg)


Handle = Callable[[IncomingMessage], Awaitable[Any]]


def store_handler(engine: Engine, calls: list[str] | None = None) -> Handle:
    """Like the pipeline's first step: store the message once per (channel, external_id)."""

    def write(m: IncomingMessage) -> None:
        with session_scope(engine) as s:
            found = s.exec(
                select(Inquiry).where(Inquiry.channel == m.channel, Inquiry.external_id == m.external_id)
            ).first()
            if found is not None:
                return
            s.add(
                Inquiry(
                    channel=m.channel,
                    external_id=m.external_id,
                    kind=m.kind,
                    sender=m.sender,
                    sender_kind=m.sender_kind,
                    reply_to=m.reply_to,
                    subject=m.subject,
                    text=m.text,
                    received_at=m.received_at,
                    form=m.form,
                    thread_ids=list(m.thread_ids),
                )
            )

    async def handle(m: IncomingMessage) -> None:
        if calls is not None:
            calls.append(m.external_id)
        await asyncio.to_thread(write, m)

    return handle


def inquiries(engine: Engine) -> list[Inquiry]:
    with Session(engine) as s:
        return list(s.exec(select(Inquiry).order_by(Inquiry.id)).all())  # type: ignore[arg-type]


async def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait (bounded) for a condition; the bound is a safety net, not an assertion about speed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if await asyncio.to_thread(predicate):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")
