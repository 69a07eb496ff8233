"""SMTP outbox against a real aiosmtpd server: threading, retries, failures, the crash window, ack."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.email.outbox import UNKNOWN_OUTCOME, EmailOutbox, acknowledging, queue_ack
from bot.email.parse import ParseOptions, parse_email
from bot.settings import DeskSettings, SmtpSettings
from desk import actions
from store.db import session_scope
from store.models import AuditEvent, Draft, Inquiry, Outbox
from tests.bot.email.helpers import store_handler
from tests.services.smtp import SmtpSink

CORPUS = Path(__file__).with_name("corpus")
DESK = DeskSettings()
BODY = "山田様\n\n①ログインID は請求書の裏面に記載しております。\n受付時間 9:00～17:00\n"
LATER = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def outbox(engine: Engine, smtp: SmtpSink, **overrides: object) -> EmailOutbox:
    settings = SmtpSettings(host=smtp.host, port=smtp.port, security="plain", **overrides)  # type: ignore[arg-type]
    return EmailOutbox(engine=engine, smtp=settings, desk=DESK, timeout=5)


def approved_reply(
    engine: Engine,
    *,
    body: str = BODY,
    reply_to: str = "yamada@example.com",
    external_id: str = "<q1@example.com>",
) -> int:
    """An email inquiry with a pending draft, approved through the lead's ``desk.actions.approve``."""
    with session_scope(engine) as s:
        inquiry = Inquiry(
            channel="email",
            external_id=external_id,
            sender="yamada@example.com",
            sender_kind="customer_email",
            reply_to=reply_to,
            subject="Re: ログインできません",
            text="ログインできません",
            received_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            thread_ids=["<q0@example.com>"],
            status="drafted",
        )
        s.add(inquiry)
        s.flush()
        draft = Draft(inquiry_id=inquiry.id or 0, subject="ログインできません", text=body)
        s.add(draft)
        s.flush()
        row = actions.approve(s, draft_id=draft.id or 0, actor="cli:test")
        s.flush()
        return row.id or 0


def row_of(engine: Engine, outbox_id: int) -> Outbox:
    with Session(engine) as s:
        row = s.get(Outbox, outbox_id)
        assert row is not None
        return row


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]  # type: ignore[arg-type]


async def test_reply_is_threaded_under_the_customer_mail_and_recorded_sent(
    engine: Engine, smtp_server: SmtpSink
) -> None:
    oid = approved_reply(engine)
    outcomes = await outbox(engine, smtp_server).send_due()
    assert [o.status for o in outcomes] == ["sent"]
    (received,) = smtp_server.messages
    msg = received.message
    assert received.rcpt_tos == ["yamada@example.com"]
    assert received.mail_from == DESK.email
    assert msg["In-Reply-To"] == "<q1@example.com>"
    assert msg["References"] == "<q0@example.com> <q1@example.com>"
    inquiry_id = row_of(engine, oid).inquiry_id
    assert msg["Subject"] == f"Re: [#{inquiry_id:06d}] ログインできません"
    assert msg["Message-ID"].endswith("@desk.example.jp>")
    assert msg["Message-ID"] == row_of(engine, oid).message_id
    assert msg["From"].addresses[0].addr_spec == DESK.email
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == BODY
    with Session(engine) as s:
        row = s.get(Outbox, oid)
        assert row is not None and row.status == "sent" and row.sent_at is not None and row.attempts == 1
        draft = s.get(Draft, row.draft_id)
        inquiry = s.get(Inquiry, row.inquiry_id)
        assert draft is not None and draft.status == "sent"
        assert inquiry is not None and inquiry.status == "answered" and inquiry.first_response_at is not None
    assert "sent" in audit_actions(engine)


async def test_4xx_is_retried_with_backoff_then_sent_once(engine: Engine, smtp_server: SmtpSink) -> None:
    oid = approved_reply(engine)
    smtp_server.replies = ["421 4.3.0 try again later", "451 4.3.0 local error"]
    sender = outbox(engine, smtp_server)
    first = await sender.send_due()
    assert [o.status for o in first] == ["queued"]
    row = row_of(engine, oid)
    assert row.status == "queued" and row.next_attempt_at is not None and "421" in (row.last_error or "")
    assert await sender.send_due() == []  # not due yet
    await sender.send_due(now=LATER)
    assert [o.status for o in await sender.send_due(now=LATER + dt.timedelta(days=1))] == ["sent"]
    assert smtp_server.attempts == 3 and len(smtp_server.messages) == 1
    row = row_of(engine, oid)
    assert row.status == "sent" and row.attempts == 3
    assert smtp_server.messages[0].message["Message-ID"] == row.message_id


async def test_5xx_fails_with_reason_and_flags_the_inquiry(engine: Engine, smtp_server: SmtpSink) -> None:
    oid = approved_reply(engine)
    smtp_server.replies = ["550 5.1.1 mailbox unavailable"]
    (outcome,) = await outbox(engine, smtp_server).send_due()
    assert outcome.status == "failed" and "550" in outcome.error
    row = row_of(engine, oid)
    assert row.status == "failed" and "550 5.1.1 mailbox unavailable" in (row.last_error or "")
    with Session(engine) as s:
        inquiry = s.get(Inquiry, row.inquiry_id)
        assert inquiry is not None and "send_failed" in inquiry.flags
    assert "send_failed" in audit_actions(engine)
    assert await outbox(engine, smtp_server).send_due(now=LATER) == []  # never retried


async def test_row_left_in_sending_by_a_crash_goes_to_staff_not_to_smtp_again(
    engine: Engine, smtp_server: SmtpSink
) -> None:
    oid = approved_reply(engine)
    sender = outbox(engine, smtp_server)
    claimed = sender._claim(oid)  # the process died after the claim (and maybe after SMTP's 250)
    assert claimed is not None
    past_lease = dt.datetime.now(dt.UTC) + sender.lease + dt.timedelta(seconds=1)
    assert sender.recover_stuck(now=past_lease) == [oid]
    assert await sender.send_due(now=LATER) == []
    row = row_of(engine, oid)
    assert row.status == "failed" and row.last_error == UNKNOWN_OUTCOME.format(mid=row.message_id)
    assert smtp_server.messages == []


async def test_a_row_another_live_process_is_sending_is_never_recovered(
    engine: Engine, smtp_server: SmtpSink
) -> None:
    oid = approved_reply(engine)
    other_process = outbox(engine, smtp_server)
    assert other_process._claim(oid) is not None  # still inside its lease: that sender is alive
    starting_up = outbox(engine, smtp_server)
    assert starting_up.recover_stuck() == []
    assert await starting_up.send_due(now=LATER) == []  # and it does not send it a second time
    assert row_of(engine, oid).status == "sending"
    assert smtp_server.messages == []


async def test_two_senders_on_one_database_send_every_row_once(engine: Engine, smtp_server: SmtpSink) -> None:
    ids = [approved_reply(engine, external_id=f"<q{n}@example.com>") for n in range(12)]
    first, second = outbox(engine, smtp_server), outbox(engine, smtp_server)
    outcomes = await asyncio.gather(first.send_due(now=LATER), second.send_due(now=LATER))
    sent = sorted(o.outbox_id for batch in outcomes for o in batch if o.status == "sent")
    assert sent == sorted(ids)
    assert len(smtp_server.messages) == len(ids)


async def test_recipient_with_newline_is_refused_without_contacting_smtp(
    engine: Engine, smtp_server: SmtpSink
) -> None:
    oid = approved_reply(engine)
    with session_scope(engine) as s:
        row = s.get(Outbox, oid)
        assert row is not None
        row.recipient = "yamada@example.com\r\nBcc: x@example.net"
        s.add(row)
    (outcome,) = await outbox(engine, smtp_server).send_due()
    assert outcome.status == "failed" and smtp_server.attempts == 0


async def test_iso2022jp_setting_used_when_text_fits_else_utf8(engine: Engine, smtp_server: SmtpSink) -> None:
    approved_reply(engine, body="山田様\nご確認ください。\n")
    await outbox(engine, smtp_server, charset="iso-2022-jp").send_due()
    msg = smtp_server.messages[0].message
    assert msg.get_content_charset() == "iso-2022-jp"
    assert (
        msg.get_payload(decode=True).decode("iso2022_jp").replace("\r\n", "\n")
        == "山田様\nご確認ください。\n"
    )


def test_ack_is_queued_once_per_inquiry_and_day_with_ticket_and_hours(engine: Engine) -> None:
    approved_reply(engine)
    with session_scope(engine) as s:
        inquiry = s.exec(select(Inquiry)).one()
        today = dt.date(2026, 6, 1)
        first = queue_ack(s, inquiry=inquiry, desk=DESK, today=today)
        assert first is not None
        assert queue_ack(s, inquiry=inquiry, desk=DESK, today=today) is None
        assert queue_ack(s, inquiry=inquiry, desk=DESK, today=today + dt.timedelta(days=1)) is not None
        assert f"受付番号：{inquiry.id:06d}" in first.body and DESK.hours_text in first.body
        assert first.subject.startswith(f"[#{inquiry.id:06d}]") and first.kind == "ack"


def test_ack_for_an_english_inquiry_is_in_english_with_the_desks_english_names(engine: Engine) -> None:
    approved_reply(engine)
    with session_scope(engine) as s:
        inquiry = s.exec(select(Inquiry)).one()
        inquiry.sender_name, inquiry.subject = "John Smith", "Cannot log in"
        row = queue_ack(s, inquiry=inquiry, desk=DESK, today=dt.date(2026, 6, 1), language="en")
        assert row is not None
        assert row.subject == f"[#{inquiry.id:06d}] We have received your inquiry (automatic reply)"
        assert row.body.startswith("Dear John Smith,\n")
        assert f"Reference number: {inquiry.id:06d}" in row.body
        assert DESK.hours_text_en in row.body and DESK.company_en in row.body
        assert not re.search(r"[\u3040-\u30ff]", row.body)  # no kana: nothing of the Japanese template


async def test_ack_carries_auto_submitted_and_threading(engine: Engine, smtp_server: SmtpSink) -> None:
    approved_reply(engine)
    with session_scope(engine) as s:
        inquiry = s.exec(select(Inquiry)).one()
        queue_ack(s, inquiry=inquiry, desk=DESK, today=dt.date(2026, 6, 1))
    await outbox(engine, smtp_server).send_due()
    acks = [m for m in smtp_server.messages if m.message["Auto-Submitted"]]
    assert len(acks) == 1
    ack = acks[0].message
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"] == "<q1@example.com>"
    # Our own acknowledgement, seen by any RFC 3834 parser (ours included), is an auto-reply.
    options = ParseOptions(desk_address="other@elsewhere.example")
    assert parse_email(acks[0].content, options=options).message.kind == "auto_reply"


@pytest.mark.parametrize(
    "name", ["21_auto_submitted.eml", "25_subject_fuzai_tsuchi.eml", "27_bounce_multipart_report.eml"]
)
async def test_autoresponder_facing_us_gets_no_ack(engine: Engine, name: str) -> None:
    """Two autoresponders facing each other: the other side's auto-reply is recorded, never answered."""
    handle = acknowledging(store_handler(engine), engine=engine, desk=DESK)
    message = parse_email((CORPUS / name).read_bytes()).message
    assert message.kind in ("auto_reply", "bounce")
    await handle(message)
    with Session(engine) as s:
        assert s.exec(select(Outbox)).all() == []


async def test_ack_wrapper_queues_for_a_real_inquiry(engine: Engine) -> None:
    class Result:
        def __init__(self, inquiry_id: int) -> None:
            self.inquiry_id = inquiry_id

    store = store_handler(engine)

    async def process(m):  # type: ignore[no-untyped-def]
        await store(m)
        with Session(engine) as s:
            return Result(s.exec(select(Inquiry.id)).one())

    handle = acknowledging(process, engine=engine, desk=DESK)
    await handle(parse_email((CORPUS / "01_utf8_8bit.eml").read_bytes()).message)
    await handle(parse_email((CORPUS / "01_utf8_8bit.eml").read_bytes()).message)  # same day, same thread
    with Session(engine) as s:
        rows = s.exec(select(Outbox)).all()
    assert [(r.kind, r.recipient) for r in rows] == [("ack", "yamada@example.com")]
