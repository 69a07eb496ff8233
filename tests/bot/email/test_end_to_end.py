"""Mail in (real Dovecot) → intake → the lead's pipeline → staff approve → outbox → mail out (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.email.intake import ImapIntake
from bot.email.outbox import EmailOutbox
from bot.email.parse import ParseOptions
from bot.settings import Settings, SmtpSettings
from bot.wiring import build_pipeline
from desk import actions
from store.db import session_scope
from store.models import Draft, Inquiry
from tests.bot.email.helpers import append, folder_uids, imap_settings
from tests.services.dovecot import Dovecot
from tests.services.smtp import SmtpSink

CORPUS = Path(__file__).with_name("corpus")
OPTIONS = ParseOptions(desk_address="support@desk.example.jp", form_senders=("form@portal.egmkt.co.jp",))


async def test_form_and_plain_mail_become_drafts_and_the_approved_reply_is_threaded(
    engine: Engine, imap_server: Dovecot, smtp_server: SmtpSink
) -> None:
    settings = Settings()
    pipeline = build_pipeline(settings, engine)
    append(
        imap_server,
        (CORPUS / "05_iso2022jp_nec_body.eml").read_bytes(),
        (CORPUS / "30_form_portal_utf8.eml").read_bytes(),
        (CORPUS / "21_auto_submitted.eml").read_bytes(),
    )
    reader = ImapIntake(
        engine=engine, settings=imap_settings(imap_server), handle=pipeline.process, options=OPTIONS
    )
    assert await reader.run_once() == 3
    assert folder_uids(imap_server, "INBOX") == {}

    with Session(engine) as s:
        rows = s.exec(select(Inquiry).order_by(Inquiry.id)).all()  # type: ignore[arg-type]
        assert [(r.channel, r.kind) for r in rows] == [
            ("email", "inquiry"),
            ("form", "inquiry"),
            ("email", "auto_reply"),
        ]
        assert rows[1].reply_to == "sugiyama@fujimi-seiko.co.jp" and rows[1].sender_kind == "unknown"
        drafts = s.exec(select(Draft).where(Draft.inquiry_id == rows[0].id)).all()
        assert drafts and all(d.inquiry_id != rows[2].id for d in s.exec(select(Draft)).all())
        first_id, draft_id = rows[0].id, drafts[0].id

    with session_scope(engine) as s:
        actions.approve(
            s,
            draft_id=draft_id or 0,
            actor="cli:test",
            edited_text="山田様\n\n①ご確認ありがとうございます。\n",
        )
    sender = EmailOutbox(
        engine=engine,
        smtp=SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="plain"),
        desk=settings.desk,
    )
    assert [o.status for o in await sender.send_due()] == ["sent"]
    (received,) = smtp_server.messages
    msg = received.message
    assert received.rcpt_tos == ["yamada@example.com"]
    assert msg["In-Reply-To"] == "<c05@example.com>"
    assert msg["Subject"] == f"Re: [#{first_id:06d}] 請求書の件"
    assert msg.get_content().replace("\r\n", "\n") == "山田様\n\n①ご確認ありがとうございます。\n"
