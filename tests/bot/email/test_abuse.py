"""Abuse limits and loop breakers, attacked through the real path: raw mail → parse → pipeline (+ the
acknowledgement wrapper) → SMTP (aiosmtpd) → the sender's automatic answer back in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.email.intake import ImapIntake
from bot.email.outbox import EmailOutbox, acknowledging
from bot.email.parse import ParseOptions, parse_email
from bot.settings import DeskSettings, SmtpSettings
from desk import trust
from desk.limits import Limits
from desk.pipeline import Pipeline
from intents.understand import Understander
from store.models import Draft, Inquiry, Outbox
from store.seed import seed_store
from tests.bot.email.helpers import append, folder_uids, imap_settings
from tests.desk.resolvers.cases import DESK as DESK_INFO
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink

DESK = DeskSettings()
OPTIONS = ParseOptions(desk_address=DESK.email)


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


@pytest.fixture
def pipeline(engine: Engine, understander: Understander) -> Iterator[Pipeline]:
    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    yield Pipeline(engine=engine, desk=DESK_INFO, understander=understander, limits=Limits())


def mail(
    n: int,
    *,
    sender: str = "flood@spam.example",
    subject: str = "ログインできません",
    in_reply_to: str = "",
    to: list[str] | None = None,
    attachment: bytes = b"",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"送信者 <{sender}>"
    msg["To"] = ", ".join(to or [DESK.email])
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<abuse{n}@{sender.split('@')[1]}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(f"マイページにログインできません（{n}）。\n")
    if attachment:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="図面.pdf")
    return bytes(msg)


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


async def test_a_burst_of_100_mails_from_one_sender_gets_bounded_acks_and_drafts(pipeline: Pipeline) -> None:
    engine = pipeline.engine
    handle = acknowledging(pipeline.process, engine=engine, desk=DESK)
    for n in range(100):
        await handle(parse_email(mail(n), options=OPTIONS).message)
    assert count(engine, Inquiry) == 100  # every mail is kept
    assert count(engine, Outbox, Outbox.kind == "ack") == 3  # acks_per_sender_per_day
    assert count(engine, Draft) == 20  # drafts_per_sender per hour
    with Session(engine) as s:
        held = s.exec(select(Inquiry).where(Inquiry.status == "failed")).all()
    assert len(held) == 80
    assert all(trust.RATE_LIMITED in i.flags and "上限" in (i.error or "") for i in held)


async def test_the_domain_limit_holds_a_burst_spread_over_many_addresses(
    engine: Engine, understander: Understander
) -> None:
    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    pipeline = Pipeline(
        engine=engine, desk=DESK_INFO, understander=understander, limits=Limits(per_sender=0, per_domain=5)
    )
    for n in range(8):
        raw = mail(n, sender=f"user{n}@spam.example")
        await pipeline.process(parse_email(raw, options=OPTIONS).message)
    assert count(engine, Draft) == 5 and count(engine, Inquiry, Inquiry.status == "failed") == 3


async def test_an_autoresponder_without_auto_submitted_cannot_loop(
    pipeline: Pipeline, smtp_server: SmtpSink
) -> None:
    """A customer's mail gets our ack; their autoresponder (no Auto-Submitted, no 不在 subject) answers
    every mail it gets, 20 times; from the same address and from a no-reply address."""
    engine = pipeline.engine
    handle = acknowledging(pipeline.process, engine=engine, desk=DESK)
    smtp = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="plain")
    sender = EmailOutbox(engine=engine, smtp=smtp, desk=DESK, timeout=5)
    await handle(parse_email(mail(0, sender="info@robot.example"), options=OPTIONS).message)
    await sender.send_due()
    assert len(smtp_server.messages) == 1
    for n in range(1, 21):
        ours = smtp_server.messages[-1].message
        answer = mail(
            n,
            sender="info@robot.example" if n % 2 else "noreply@robot.example",
            subject="Re: " + str(ours["Subject"]) if n % 3 else "ご連絡ありがとうございます",
            in_reply_to=str(ours["Message-ID"]),
        )
        await handle(parse_email(answer, options=OPTIONS).message)
        await sender.send_due()
    assert len(smtp_server.messages) == 1  # the one acknowledgement, nothing more
    with Session(engine) as s:
        rows = s.exec(select(Inquiry).where(Inquiry.sender == "noreply@robot.example")).all()
    assert rows and all(trust.REPLY_TO_ACK in r.flags for r in rows)  # staff see why


def test_too_many_recipients_and_a_large_attachment_are_flagged() -> None:
    crowd = [f"r{i}@example.jp" for i in range(60)]
    parsed = parse_email(mail(1, to=crowd), options=OPTIONS)
    assert trust.TOO_MANY_RECIPIENTS in parsed.message.flags
    options = ParseOptions(desk_address=DESK.email, max_attachment_bytes=1000)
    parsed = parse_email(mail(2, attachment=b"%PDF" + b"0" * 2000), options=options)
    assert trust.OVERSIZE_ATTACHMENT in parsed.message.flags
    assert trust.OVERSIZE_ATTACHMENT not in parse_email(mail(3), options=options).message.flags


async def test_a_30mb_attachment_is_not_downloaded_but_stored_and_shown_to_staff(
    engine: Engine, imap_server: Dovecot, understander: Understander
) -> None:
    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    pipeline = Pipeline(engine=engine, desk=DESK_INFO, understander=understander)
    big = mail(1, sender="k.tanaka@sakura-seiki.example.jp", attachment=b"%PDF" + bytes(30 * 1024 * 1024))
    append(imap_server, big, mail(2, sender="k.tanaka@sakura-seiki.example.jp"))
    fetched: list[object] = []

    class Watching(ImapIntake):
        def _fetch(self, client, uids):  # type: ignore[no-untyped-def]
            out = super()._fetch(client, uids)
            fetched.extend(len(d.get(b"BODY[]", b"")) for d in out.values())
            return out

    settings = imap_settings(imap_server, max_message_bytes=25 * 1024 * 1024)
    reader = Watching(
        engine=engine,
        settings=settings,
        handle=pipeline.process,
        options=ParseOptions(max_bytes=settings.max_message_bytes),
    )
    assert await reader.run_once() == 2
    assert max(fetched) < 1024 * 1024  # the 40 MB message body never crossed the wire
    assert folder_uids(imap_server, "INBOX") == {} and len(folder_uids(imap_server, "Processed")) == 2
    with Session(engine) as s:
        first, second = s.exec(select(Inquiry).order_by(Inquiry.id)).all()  # type: ignore[arg-type]
    assert first.kind == "oversize" and first.status == "failed" and "サイズ上限" in (first.error or "")
    assert first.sender == "k.tanaka@sakura-seiki.example.jp" and first.subject == "ログインできません"
    assert second.kind == "inquiry" and second.status == "drafted"
