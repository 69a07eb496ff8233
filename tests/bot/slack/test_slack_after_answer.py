"""A customer writing again in the Slack thread of an answered inquiry: thanks are recorded and need no
reply (no new draft a hurried 承認 could send); a real question is a follow-up, drafted, and the card says so."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.models import AuditEvent, Draft, DraftStatus, Inquiry, InquiryStatus, Outbox
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    STAFF,
    TRIAGE,
    SlackSim,
    all_rows,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack

TS = "1763870000.000100"


def message(text: str, ts: str, **extra: object) -> dict:
    return {
        "type": "message",
        "channel": CUSTOMER_CHANNEL,
        "user": CUSTOMER_USER,
        "text": text,
        "ts": ts,
        **extra,
    }


def drafts(engine: Engine) -> list[Draft]:
    with Session(engine) as session:
        return list(session.exec(select(Draft).order_by(col(Draft.version))).all())


async def answered(desk: SlackDesk, slack: SlackSim, engine: Engine) -> Inquiry:
    seed_customer(engine)
    await slack.event(message("請求書の送付先を本社経理部に変更したいです。", TS))
    inquiry = all_rows(engine, Inquiry)[0]
    draft = drafts(engine)[0]
    assert inquiry.slack_card is not None
    await slack.click(cards.APPROVE, user=STAFF, card=inquiry.slack_card, value=f"{inquiry.id}:{draft.id}")
    assert await desk.outbox.send_due() == 1
    inquiry = all_rows(engine, Inquiry)[0]
    assert inquiry.status == InquiryStatus.ANSWERED
    return inquiry


async def test_thanks_in_the_thread_of_an_answered_inquiry_needs_no_reply(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    before = await answered(desk, slack, engine)
    await slack.event(
        message("ご対応ありがとうございました。承知しました。", "1763870500.000100", thread_ts=TS)
    )
    inquiry = all_rows(engine, Inquiry)[0]
    assert inquiry.status == InquiryStatus.ANSWERED and inquiry.resolved_at == before.resolved_at
    assert [d.status for d in drafts(engine)] == [DraftStatus.SENT]  # no new draft to approve by mistake
    assert len(all_rows(engine, Outbox)) == 1
    with Session(engine) as session:
        closing = session.exec(select(AuditEvent).where(AuditEvent.action == "closing")).all()
    assert len(closing) == 1 and closing[0].inquiry_id == inquiry.id
    notes = [p for p in fake_slack.posts(TRIAGE) if p.get("thread_ts")]
    assert "返信は不要" in notes[-1]["text"]
    card = json.dumps(fake_slack.called("chat.update")[-1]["blocks"], ensure_ascii=False)
    assert "お礼・了承" in card and cards.APPROVE not in card
    assert len([p for p in fake_slack.posts(TRIAGE) if not p.get("thread_ts")]) == 1  # no second card


async def test_a_new_question_after_the_answer_is_a_follow_up_on_the_card(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    await answered(desk, slack, engine)
    await slack.event(
        message(
            "ありがとうございます。あわせて、次回の支払期日はいつになりますか？",
            "1763870500.000100",
            thread_ts=TS,
        )
    )
    inquiry = all_rows(engine, Inquiry)[0]
    assert inquiry.status == InquiryStatus.DRAFTED and "follow_up" in inquiry.flags
    assert [d.status for d in drafts(engine)] == [DraftStatus.SENT, DraftStatus.PENDING]
    update = fake_slack.called("chat.update")[-1]
    blocks = json.loads(update["blocks"]) if isinstance(update["blocks"], str) else update["blocks"]
    assert blocks[0]["text"]["text"].startswith("↩ *フォローアップ*")
    assert "お客さまの追記: ありがとうございます。あわせて、次回の支払期日" in json.dumps(
        blocks, ensure_ascii=False
    )
    assert cards.APPROVE in json.dumps(blocks)
    broadcast = [p for p in fake_slack.posts(TRIAGE) if p.get("thread_ts") and "フォローアップ" in p["text"]]
    assert len(broadcast) == 1 and str(broadcast[0].get("reply_broadcast")).lower() == "true"
