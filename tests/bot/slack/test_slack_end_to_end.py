"""The whole desk in one process, with real servers: an inquiry email arrives on Dovecot → the runtime's
IMAP intake and pipeline draft it → the card appears in the (fake) Slack triage channel → a non-staff click
changes nothing → staff edit the draft in the modal → the changed text reaches the aiosmtpd receiver, once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

import aiohttp
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.settings import SmtpSettings
from bot.slack import cards
from desk.pipeline import Pipeline
from store.models import Draft, Inquiry, Outbox, OutboxStatus
from tests.bot.slack.conftest import (
    OUTSIDER,
    STAFF,
    STAFF2,
    TRIAGE,
    SlackSim,
    all_rows,
    make_settings,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack
from tests.services.dovecot import Dovecot, free_port
from tests.services.smtp import SmtpSink

CHANGED = (
    "山田製作所株式会社\n山田 太郎 様\n\n"
    "お問い合わせありがとうございます。請求書の送付先を本社経理部へ変更いたしました。\n"
    "次回のご請求分から新しい送付先へお送りします。\n"
)


def inquiry_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "山田 太郎 <yamada@example.com>"
    msg["To"] = "support@example.jp"
    msg["Subject"] = "請求書の送付先変更について"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = "<e2e-1@example.com>"
    msg.set_content(
        "いつもお世話になっております。山田製作所の山田です。\n"
        "お客さま番号30012345の請求書の送付先を、本社経理部に変更したいと考えております。\n"
        "手続きの方法を教えてください。\n"
    )
    return bytes(msg)


async def until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for: {what}") from None


async def test_email_inquiry_to_slack_card_to_edited_reply_by_smtp(
    imap_server: Dovecot,
    smtp_server: SmtpSink,
    fake_slack: FakeSlack,
    engine: Engine,
    pipeline: Pipeline,
) -> None:
    from tests.bot.email.helpers import append, imap_settings

    seed_customer(engine)
    slack_port = free_port()
    settings = make_settings(fake_slack, http_port=slack_port)
    settings = settings.model_copy(
        update={
            "health_port": 0,
            "imap": imap_settings(imap_server),
            "smtp": SmtpSettings(
                host=smtp_server.host, port=smtp_server.port, security="plain", password=SecretStr("")
            ),
        }
    )
    runtime = Runtime(settings, engine=engine, pipeline=pipeline)
    async with asyncio.TaskGroup() as group, aiohttp.ClientSession() as session:
        group.create_task(runtime.run())
        try:
            await until(lambda: runtime.health.states.get("slack") == "running", "Slack HTTP to listen")
            slack = SlackSim(f"http://127.0.0.1:{slack_port}/slack/events", session)
            await asyncio.to_thread(append, imap_server, inquiry_mail())

            await until(lambda: bool(fake_slack.posts(TRIAGE)), "the card in the triage channel")
            inquiry = all_rows(engine, Inquiry)[0]
            assert inquiry.channel == "email" and inquiry.identity_verified
            await until(lambda: all_rows(engine, Inquiry)[0].slack_card is not None, "the card reference")
            card = all_rows(engine, Inquiry)[0].slack_card
            assert card is not None
            with Session(engine) as db:
                draft = db.exec(select(Draft).where(Draft.inquiry_id == inquiry.id)).one()
            value = f"{inquiry.id}:{draft.id}"

            await slack.click(cards.APPROVE, user=OUTSIDER, card=card, value=value)
            await slack.click(cards.EDIT, user=OUTSIDER, card=card, value=value)
            assert all_rows(engine, Outbox) == [] and fake_slack.called("views.open") == []

            await slack.click(cards.EDIT, user=STAFF, card=card, value=value)
            view = fake_slack.called("views.open")[0]["view"]
            values = {
                cards.EDIT_BLOCK: {cards.EDIT_INPUT: {"type": "plain_text_input", "value": CHANGED}},
                cards.SAVE_ONLY_BLOCK: {
                    cards.SAVE_ONLY_INPUT: {"type": "checkboxes", "selected_options": []}
                },
            }
            submitted = await slack.submit(view, user=STAFF, values=values)
            assert submitted.status == 200 and submitted.text == ""
            await slack.click(cards.APPROVE, user=STAFF2, card=card, value=value)  # a second, late approval

            await until(lambda: len(smtp_server.messages) >= 1, "the reply at the SMTP receiver")
            await until(
                lambda: all_rows(engine, Outbox)[0].status == OutboxStatus.SENT, "the outbox row sent"
            )
            assert len(all_rows(engine, Outbox)) == 1
            assert len(smtp_server.messages) == 1
            received = smtp_server.messages[0]
            assert received.rcpt_tos == ["yamada@example.com"]
            body = received.message.get_body(("plain",))
            assert body is not None
            assert "請求書の送付先を本社経理部へ変更いたしました。" in body.get_content()
            assert any(
                "すでに" in p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF2
            )
        finally:
            runtime.stop()
