"""Bulk approval: `/madoguchi bulk` lists only low-risk drafts (verified, no contract data, nothing missing,
no remark, not urgent, a sure intent) with a confirmation; the button approves each again after checking it,
so a draft handled meanwhile or slipped into the request is skipped and nothing is sent twice."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.db import session_scope
from store.models import AuditEvent, Draft, DraftStatus, Inquiry, InquiryStatus, Outbox
from tests.bot.slack.conftest import OUTSIDER, STAFF, STAFF2, TRIAGE, SlackSim, all_rows, seed_customer
from tests.bot.slack.fake_slack import FakeSlack


def add(
    engine: Engine,
    customer_id: int,
    n: int,
    *,
    verified: bool = True,
    score: float = 0.95,
    digest: str = "",
) -> tuple[int, int]:
    with session_scope(engine) as session:
        inquiry = Inquiry(
            channel="email",
            external_id=f"<bulk{n}@example.com>",
            sender="yamada@example.com",
            sender_kind="customer_email",
            reply_to="yamada@example.com",
            subject=f"マイページについて（{n}）",
            text="マイページのログイン方法を教えてください。",
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=60 - n),
            status=InquiryStatus.DRAFTED,
            intents=[{"intent": "mypage_login", "score": score}],
            primary_intent="mypage_login",
            customer_id=customer_id,
            identity_verified=verified,
        )
        session.add(inquiry)
        session.flush()
        draft = Draft(
            inquiry_id=inquiry.id or 0,
            subject="Re: マイページについて",
            text="マイページのログイン方法をご案内いたします。",
            source_digest=digest,
        )
        session.add(draft)
        session.flush()
        return inquiry.id or 0, draft.id or 0


def reply_of(raw: str) -> dict:
    return dict(json.loads(raw))


async def test_bulk_lists_only_low_risk_drafts_and_approves_each_once(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    customer_id = seed_customer(engine)
    first = add(engine, customer_id, 1)
    second = add(engine, customer_id, 2)
    unverified = add(engine, customer_id, 3, verified=False)
    unsure = add(engine, customer_id, 4, score=0.5)
    with_contract_data = add(engine, customer_id, 5, digest="ab" * 32)
    reply = reply_of((await slack.command("bulk", user=STAFF)).text)
    assert reply["response_type"] == "ephemeral"
    listed = json.dumps(reply["blocks"], ensure_ascii=False)
    for inquiry_id, _draft in (first, second):
        assert f"#{inquiry_id:06d}" in listed
    for inquiry_id, _draft in (unverified, unsure, with_contract_data):
        assert f"#{inquiry_id:06d}" not in listed
    button = reply["blocks"][1]["elements"][0]
    assert button["action_id"] == cards.BULK_APPROVE and "confirm" in button
    assert button["value"] == f"{first[1]},{second[1]}"
    assert "2件を承認して送信" in button["text"]["text"]

    # A colleague approves the second one on its card meanwhile; an unverified draft is slipped in.
    assert await desk.poster.post_pending() == 5
    card = all_rows(engine, Inquiry)[1].slack_card
    await slack.click(cards.APPROVE, user=STAFF2, card=card, value=f"{second[0]}:{second[1]}")
    value = f"{button['value']},{unverified[1]}"
    await slack.click(cards.BULK_APPROVE, user=STAFF, card=f"{TRIAGE}:1.1", value=value)
    outbox = all_rows(engine, Outbox)
    assert sorted(o.draft_id for o in outbox) == sorted([first[1], second[1]])  # the second one only once
    with Session(engine) as session:
        statuses = {d.id: d.status for d in session.exec(select(Draft)).all()}
        approvers = {
            e.draft_id: e.actor
            for e in session.exec(select(AuditEvent).where(AuditEvent.action == "approved"))
        }
    assert statuses[first[1]] == DraftStatus.APPROVED and statuses[unverified[1]] == DraftStatus.PENDING
    assert approvers[first[1]] == f"slack:{STAFF}" and approvers[second[1]] == f"slack:{STAFF2}"
    summary = [p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF][-1]
    assert "1件を承認しました" in summary and "2件は承認しませんでした" in summary
    assert "本人確認未了" in summary and "すでに" in summary


async def test_bulk_is_for_staff_only_and_refusals_are_audited(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    customer_id = seed_customer(engine)
    first = add(engine, customer_id, 1)
    assert "担当者のみ" in reply_of((await slack.command("bulk", user=OUTSIDER)).text)["text"]
    await slack.click(cards.BULK_APPROVE, user=OUTSIDER, card=f"{TRIAGE}:1.1", value=str(first[1]))
    assert all_rows(engine, Outbox) == []
    with Session(engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    # Both refusals are audited: the command (issue 14: every refusal) and the button.
    assert [e.detail["what"] for e in refused] == ["command:bulk", cards.BULK_APPROVE]


async def test_bulk_with_nothing_low_risk_says_what_qualifies(slack: SlackSim, engine: Engine) -> None:
    customer_id = seed_customer(engine)
    add(engine, customer_id, 1, verified=False)
    text = reply_of((await slack.command("bulk", user=STAFF)).text)["text"]
    assert "一括承認できる返信案はありません" in text and "本人確認済み" in text
