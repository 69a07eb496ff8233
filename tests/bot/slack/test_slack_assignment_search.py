"""Assignment beyond 担当する (unassign, hand over to a colleague, "my queue", the assignee in the queue) and
searching past inquiries, through signed requests against the real app."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.db import session_scope
from store.models import AuditEvent, Inquiry, InquiryStatus
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_NO,
    GROUP_STAFF,
    OUTSIDER,
    STAFF,
    STAFF2,
    SlackSim,
    inquiry_row,
    seed_drafted,
)
from tests.bot.slack.fake_slack import FakeSlack


async def posted(desk: SlackDesk, engine: Engine) -> tuple[int, int, str]:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card
    assert card is not None
    return inquiry_id, draft_id, card


async def choose_user(
    slack: SlackSim, *, user: str, card: str, inquiry_id: int, draft_id: int, chosen: str
) -> None:
    await slack.click(
        cards.REASSIGN,
        user=user,
        card=card,
        type="users_select",
        block_id=f"card_actions_{inquiry_id}_{draft_id}",
        selected_user=chosen,
    )


def last_card(fake: FakeSlack) -> str:
    return json.dumps(fake.called("chat.update")[-1]["blocks"], ensure_ascii=False)


def command_text(reply_text: str) -> str:
    return str(json.loads(reply_text)["text"])


async def test_assignee_can_be_removed_and_the_card_offers_to_take_it_again(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    await slack.click(cards.ASSIGN, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    assert cards.UNASSIGN in last_card(fake_slack) and cards.ASSIGN not in last_card(fake_slack)
    await slack.click(cards.UNASSIGN, user=STAFF2, card=card, value=f"{inquiry_id}:{draft_id}")
    assert inquiry_row(engine, inquiry_id).assignee is None
    assert "未割当" in last_card(fake_slack) and f"<@{STAFF2}> が担当を外しました" in last_card(fake_slack)
    await slack.click(cards.UNASSIGN, user=STAFF2, card=card, value=f"{inquiry_id}:{draft_id}")
    notices = [p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF2]
    assert notices and "担当者がいません" in notices[-1]


async def test_staff_can_hand_an_inquiry_to_a_colleague_but_not_to_an_outsider(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    await choose_user(
        slack, user=STAFF, card=card, inquiry_id=inquiry_id, draft_id=draft_id, chosen=GROUP_STAFF
    )
    assert inquiry_row(engine, inquiry_id).assignee == f"slack:{GROUP_STAFF}"
    assert f"担当 <@{GROUP_STAFF}>" in last_card(fake_slack)
    await choose_user(slack, user=STAFF, card=card, inquiry_id=inquiry_id, draft_id=draft_id, chosen=OUTSIDER)
    assert inquiry_row(engine, inquiry_id).assignee == f"slack:{GROUP_STAFF}"
    notice = [p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF][-1]
    assert f"<@{OUTSIDER}>" in notice and "担当にできません" in notice
    # An outsider cannot hand it over either, and the attempt is audited.
    await choose_user(
        slack, user=OUTSIDER, card=card, inquiry_id=inquiry_id, draft_id=draft_id, chosen=OUTSIDER
    )
    assert inquiry_row(engine, inquiry_id).assignee == f"slack:{GROUP_STAFF}"
    with Session(engine) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [(e.detail["what"], e.inquiry_id) for e in refused] == [(cards.REASSIGN, inquiry_id)]


async def test_my_queue_lists_only_my_open_inquiries_and_the_queue_shows_assignees(
    desk: SlackDesk, slack: SlackSim, engine: Engine
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    assert "ありません" in command_text((await slack.command("mine", user=STAFF)).text)
    await slack.click(cards.ASSIGN, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    mine = command_text((await slack.command("mine", user=STAFF)).text)
    assert f"#{inquiry_id:06d}" in mine and "あなたの担当" in mine
    assert "ありません" in command_text((await slack.command("mine", user=STAFF2)).text)
    queue = command_text((await slack.command("queue", user=STAFF2)).text)
    assert f"担当 <@{STAFF}>" in queue
    with session_scope(engine) as session:  # answered inquiries leave my queue
        row = session.get(Inquiry, inquiry_id)
        assert row is not None
        row.status = InquiryStatus.ANSWERED
        session.add(row)
    assert "ありません" in command_text((await slack.command("mine", user=STAFF)).text)
    assert "担当者のみ" in command_text((await slack.command("mine", user=OUTSIDER)).text)


async def test_search_finds_past_inquiries_by_customer_number_company_or_text(
    desk: SlackDesk, slack: SlackSim, engine: Engine
) -> None:
    inquiry_id, _draft_id = seed_drafted(engine, text="請求書の送付先を大阪支店に変更したいです。")
    for query in (CUSTOMER_NO, "EG20240123", "山田製作所", "大阪支店"):
        text = command_text((await slack.command(f"search {query}", user=STAFF)).text)
        assert f"#{inquiry_id:06d}" in text and "承認待ち" in text, query
    assert "見つかりませんでした" in command_text((await slack.command("search 名古屋工場", user=STAFF)).text)
    assert "2文字以上" in command_text((await slack.command("search", user=STAFF)).text)
    assert "担当者のみ" in command_text((await slack.command("search 山田", user=OUTSIDER)).text)
    # Never public in a channel shared with a customer: results may list other customers.
    reply = json.loads((await slack.command("search 山田 公開", user=STAFF, channel=CUSTOMER_CHANNEL)).text)
    assert reply["response_type"] == "ephemeral" and "公開で表示できません" in reply["text"]
