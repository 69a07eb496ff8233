"""No personal data in the logs: a whole scenario (mail in through Dovecot → pipeline → Slack card → a bad
signature carrying a body → a non-staff click → staff approval → SMTP out) with logging configured as
``madoguchi serve`` does, at DEBUG; then every captured line is searched for the values the scenario used."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from email.message import EmailMessage
from email.utils import formatdate

import aiohttp
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.logs import configure, redact
from bot.runtime import Runtime
from bot.settings import SmtpSettings
from bot.slack import cards
from desk.pipeline import Pipeline
from store.models import Draft, Inquiry, Outbox, OutboxStatus
from tests.bot.slack.conftest import (
    OUTSIDER,
    SIGNING_SECRET,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    make_settings,
    seed_customer,
)
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.bot.slack.test_slack_end_to_end import until
from tests.services.dovecot import Dovecot, free_port
from tests.services.smtp import SmtpSink

ADDRESS = "yamada@example.com"
NAME = "山田 太郎"
PHONE = "03-5412-7789"
BODY_LINE = "本社経理部の請求書送付先を変更したいと考えております"
SUBJECT = "請求書の送付先変更について"


def inquiry_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{NAME} <{ADDRESS}>"
    msg["To"] = "support@example.jp"
    msg["Subject"] = SUBJECT
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = "<log-1@example.com>"
    msg.set_content(f"山田製作所の山田です。お客さま番号30012345の件で、{BODY_LINE}。\n電話 {PHONE}\n")
    return bytes(msg)


def test_the_redactor_removes_each_kind_of_value() -> None:
    line = f"from {NAME} <{ADDRESS}> tel {PHONE} token {BOT_TOKEN} sig v0=0123456789abcdef0123 body: {{x}}"
    cleaned = redact(line)
    for value in (NAME, ADDRESS, PHONE, BOT_TOKEN, "0123456789abcdef0123", "{x}"):
        assert value not in cleaned
    assert "from" in cleaned and "tel" in cleaned  # the English frame stays readable


async def test_a_full_scenario_leaves_no_personal_data_in_any_log_line(
    imap_server: Dovecot,
    smtp_server: SmtpSink,
    fake_slack: FakeSlack,
    engine: Engine,
    pipeline: Pipeline,
) -> None:
    from tests.bot.email.helpers import append, imap_settings

    buffer = io.StringIO()
    saved = list(logging.getLogger().handlers)  # pytest's own capture, put back afterwards
    handler = configure("DEBUG", "text", stream=buffer)
    try:
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
                await until(lambda: runtime.health.states.get("slack") == "running", "Slack HTTP")
                slack = SlackSim(f"http://127.0.0.1:{slack_port}/slack/events", session)
                await asyncio.to_thread(append, imap_server, inquiry_mail())
                await until(lambda: bool(fake_slack.posts(TRIAGE)), "the card")
                await until(lambda: all_rows(engine, Inquiry)[0].slack_card is not None, "the card ref")
                inquiry = all_rows(engine, Inquiry)[0]
                with Session(engine) as db:
                    draft = db.exec(select(Draft).where(Draft.inquiry_id == inquiry.id)).one()
                card, value = inquiry.slack_card or "", f"{inquiry.id}:{draft.id}"

                # A forged request carrying personal data: slack-bolt would log its whole body at INFO.
                forged = json.dumps(
                    {"type": "event_callback", "event": {"text": f"{NAME} {ADDRESS} {PHONE}"}}
                )
                reply = await slack.post(forged, "application/json", secret="wrong-secret")
                assert reply.status == 401
                await slack.click(cards.APPROVE, user=OUTSIDER, card=card, value=value)
                await slack.click(cards.APPROVE, user=STAFF, card=card, value=value)
                await until(lambda: len(smtp_server.messages) == 1, "the reply sent")
                await until(lambda: all_rows(engine, Outbox)[0].status == OutboxStatus.SENT, "sent recorded")
            finally:
                runtime.stop()
    finally:
        logging.getLogger().removeHandler(handler)
        for old in saved:
            logging.getLogger().addHandler(old)
    text = buffer.getvalue()
    assert "refused a card action" in text  # the scenario did log, at INFO and below
    secrets = [
        ADDRESS, "yamada@", NAME, "山田", PHONE, "5412", BODY_LINE, "経理部", SUBJECT, "30012345",
        BOT_TOKEN, SIGNING_SECRET, "xapp-test-token", "wrong-secret",
    ]  # fmt: skip
    leaked = [s for s in secrets if s in text]
    assert leaked == [], f"found in the logs: {leaked}"
