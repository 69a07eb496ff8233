"""Staff act on triage cards through the real Bolt app over signed HTTP; the store and the fake Slack
record what happened."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import cards
from bot.slack.app import SlackDesk
from store.models import AuditEvent, Draft, DraftStatus, InquiryStatus, Outbox
from tests.bot.slack.conftest import (
    GROUP_STAFF,
    OUTSIDER,
    STAFF,
    STAFF2,
    TRIAGE,
    SlackSim,
    all_rows,
    inquiry_row,
    seed_drafted,
)
from tests.bot.slack.fake_slack import FakeSlack


async def posted_card(desk: SlackDesk, engine: Engine) -> tuple[int, int, str]:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card
    assert card is not None
    return inquiry_id, draft_id, card


def value(inquiry_id: int, draft_id: int) -> str:
    return f"{inquiry_id}:{draft_id}"


def ephemerals(fake: FakeSlack, user: str) -> list[str]:
    return [p["text"] for p in fake.called("chat.postEphemeral") if p["user"] == user]


def last_update_text(fake: FakeSlack) -> str:
    return json.dumps(fake.called("chat.update")[-1]["blocks"], ensure_ascii=False)


async def test_card_is_posted_once_to_the_triage_channel_and_remembered(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    _inquiry_id, _draft_id, card = await posted_card(desk, engine)
    assert card.startswith(f"{TRIAGE}:")
    assert len(fake_slack.posts(TRIAGE)) == 1
    assert await desk.poster.post_pending() == 0  # nothing left without a card
    assert len(fake_slack.posts()) == 1


async def test_approve_queues_the_reply_once_even_when_two_staff_click(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    first = await slack.click(cards.APPROVE, user=STAFF, card=card, value=value(inquiry_id, draft_id))
    second = await slack.click(cards.APPROVE, user=STAFF2, card=card, value=value(inquiry_id, draft_id))
    assert (first.status, second.status) == (200, 200)
    outbox = all_rows(engine, Outbox)
    assert len(outbox) == 1
    assert outbox[0].recipient == "yamada@example.com" and outbox[0].channel == "email"
    assert inquiry_row(engine, inquiry_id).status == InquiryStatus.APPROVED
    refusal = ephemerals(fake_slack, STAFF2)
    assert len(refusal) == 1 and "すでに" in refusal[0]
    assert ephemerals(fake_slack, STAFF) == []
    text = last_update_text(fake_slack)
    assert "承認済み" in text and f"<@{STAFF}> が承認しました" in text
    assert cards.APPROVE not in text  # the buttons are gone
    with Session(engine) as session:
        approved = session.exec(select(AuditEvent).where(AuditEvent.action == "approved")).all()
    assert [e.actor for e in approved] == [f"slack:{STAFF}"]


async def test_non_staff_click_changes_nothing_and_explains(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    for action in (cards.APPROVE, cards.ASSIGN, cards.EDIT, cards.REJECT):
        reply = await slack.click(action, user=OUTSIDER, card=card, value=value(inquiry_id, draft_id))
        assert reply.status == 200
    assert all_rows(engine, Outbox) == []
    assert inquiry_row(engine, inquiry_id).assignee is None
    assert fake_slack.called("views.open") == []
    assert fake_slack.called("chat.update") == []
    notices = ephemerals(fake_slack, OUTSIDER)
    assert len(notices) == 4 and all("担当者のみ" in n for n in notices)
    with Session(engine) as session:  # every refused attempt is audited, and nothing else was recorded
        events = session.exec(select(AuditEvent).where(AuditEvent.actor == f"slack:{OUTSIDER}")).all()
    assert [e.action for e in events] == ["refused"] * 4
    assert [e.detail["what"] for e in events] == [cards.APPROVE, cards.ASSIGN, cards.EDIT, cards.REJECT]
    assert all(e.inquiry_id == inquiry_id and e.detail["reason"] == "not_staff" for e in events)


async def test_member_of_the_staff_usergroup_may_act(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    await slack.click(cards.ASSIGN, user=GROUP_STAFF, card=card, value=value(inquiry_id, draft_id))
    assert inquiry_row(engine, inquiry_id).assignee == f"slack:{GROUP_STAFF}"
    assert fake_slack.called("usergroups.users.list")[0]["usergroup"] == "SSTAFF"
    assert f"<@{GROUP_STAFF}>" in last_update_text(fake_slack)


async def open_edit_modal(
    slack: SlackSim, fake: FakeSlack, card: str, inquiry_id: int, draft_id: int
) -> dict:
    reply = await slack.click(cards.EDIT, user=STAFF, card=card, value=value(inquiry_id, draft_id))
    assert reply.status == 200
    opened = fake.called("views.open")
    assert len(opened) == 1 and opened[0]["trigger_id"] == f"trigger-{STAFF}"
    return opened[0]["view"]


def edit_values(text: str, *, save_only: bool) -> dict:
    chosen = [{"value": cards.SAVE_ONLY_VALUE}] if save_only else []
    return {
        cards.EDIT_BLOCK: {cards.EDIT_INPUT: {"type": "plain_text_input", "value": text}},
        cards.SAVE_ONLY_BLOCK: {cards.SAVE_ONLY_INPUT: {"type": "checkboxes", "selected_options": chosen}},
    }


async def test_edit_modal_submitted_with_changed_text_queues_the_changed_text(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    view = await open_edit_modal(slack, fake_slack, card, inquiry_id, draft_id)
    assert view["blocks"][0]["element"]["initial_value"].startswith("お問い合わせありがとうございます。")
    changed = "山田様\n\n送付先の変更を承りました。次回のご請求分から反映いたします。"
    reply = await slack.submit(view, user=STAFF, values=edit_values(changed, save_only=False))
    assert reply.status == 200 and reply.text == ""
    outbox = all_rows(engine, Outbox)
    assert len(outbox) == 1 and outbox[0].body == changed
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == DraftStatus.APPROVED and draft.edited_text == changed
    assert f"<@{STAFF}> が返信案を編集しました" in last_update_text(fake_slack)
    await slack.click(cards.SHOW_DRAFT, user=STAFF, card=card, value=value(inquiry_id, draft_id))
    shown = json.dumps(fake_slack.called("chat.postEphemeral")[-1]["blocks"], ensure_ascii=False)
    assert "送付先の変更を承りました" in shown  # 下書きを表示 shows the edited text


async def test_save_only_keeps_the_edit_without_sending(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    view = await open_edit_modal(slack, fake_slack, card, inquiry_id, draft_id)
    await slack.submit(view, user=STAFF, values=edit_values("保存だけの文面です。", save_only=True))
    assert all_rows(engine, Outbox) == []
    with Session(engine) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and draft.status == DraftStatus.PENDING
        assert draft.edited_text == "保存だけの文面です。"
    text = last_update_text(fake_slack)
    assert "返信案を編集しました" in text and cards.APPROVE in text  # still waiting, buttons kept
    await slack.click(cards.SHOW_DRAFT, user=STAFF, card=card, value=value(inquiry_id, draft_id))
    shown = json.dumps(fake_slack.called("chat.postEphemeral")[-1]["blocks"], ensure_ascii=False)
    assert "保存だけの文面です。" in shown


async def test_empty_edit_is_refused_inside_the_modal(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    view = await open_edit_modal(slack, fake_slack, card, inquiry_id, draft_id)
    reply = await slack.submit(view, user=STAFF, values=edit_values("  ", save_only=False))
    assert reply.json() == {
        "response_action": "errors",
        "errors": {cards.EDIT_BLOCK: "返信文を入力してください。"},
    }
    assert all_rows(engine, Outbox) == []


async def test_edit_submitted_after_someone_else_approved_sends_nothing_more(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    view = await open_edit_modal(slack, fake_slack, card, inquiry_id, draft_id)
    await slack.click(cards.APPROVE, user=STAFF2, card=card, value=value(inquiry_id, draft_id))
    await slack.submit(view, user=STAFF, values=edit_values("遅れて編集した文面", save_only=False))
    outbox = all_rows(engine, Outbox)
    assert len(outbox) == 1 and "遅れて編集" not in outbox[0].body
    assert any("すでに" in t for t in ephemerals(fake_slack, STAFF))


async def test_reject_with_a_reason_closes_the_inquiry(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    await slack.click(cards.REJECT, user=STAFF, card=card, value=value(inquiry_id, draft_id))
    view = fake_slack.called("views.open")[0]["view"]
    assert view["callback_id"] == cards.REJECT_VIEW
    empty = await slack.submit(
        view,
        user=STAFF,
        values={cards.REASON_BLOCK: {cards.REASON_INPUT: {"type": "plain_text_input", "value": ""}}},
    )
    assert empty.json()["response_action"] == "errors"
    reason = "電話で回答済みのため"
    await slack.submit(
        view,
        user=STAFF,
        values={cards.REASON_BLOCK: {cards.REASON_INPUT: {"type": "plain_text_input", "value": reason}}},
    )
    assert inquiry_row(engine, inquiry_id).status == InquiryStatus.REJECTED
    assert all_rows(engine, Outbox) == []
    text = last_update_text(fake_slack)
    assert "却下" in text and reason in text and f"<@{STAFF}>" in text


async def test_reroute_drafts_again_for_the_chosen_intent_and_updates_the_card(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted_card(desk, engine)
    reply = await slack.click(
        cards.REROUTE,
        user=STAFF,
        card=card,
        block_id=f"card_actions_{inquiry_id}_{draft_id}",
        type="static_select",
        selected_option={"text": {"type": "plain_text", "text": "お支払方法"}, "value": "payment_method"},
    )
    assert reply.status == 200
    with Session(engine) as session:
        drafts = session.exec(
            select(Draft).where(Draft.inquiry_id == inquiry_id).order_by(Draft.version)
        ).all()
        assert [d.status for d in drafts] == [DraftStatus.SUPERSEDED, DraftStatus.PENDING]
        assert drafts[1].intents == ["payment_method"]
        new_id = drafts[1].id
        rerouted = session.exec(select(AuditEvent).where(AuditEvent.action == "rerouted")).one()
        assert rerouted.actor == f"slack:{STAFF}"
    text = last_update_text(fake_slack)
    assert f"card_actions_{inquiry_id}_{new_id}" in text
    # The old draft's buttons no longer work.
    await slack.click(cards.APPROVE, user=STAFF2, card=card, value=value(inquiry_id, draft_id))
    assert all_rows(engine, Outbox) == []
    assert any("置き換え" in t for t in ephemerals(fake_slack, STAFF2))


async def test_bad_or_stale_signatures_get_401_and_change_nothing(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    import time
    import urllib.parse

    inquiry_id, draft_id, card = await posted_card(desk, engine)
    fake_slack.clear()
    payload = {
        "type": "block_actions",
        "team": {"id": "T111"},
        "user": {"id": STAFF},
        "channel": {"id": TRIAGE},
        "message": {"ts": card.split(":")[1]},
        "trigger_id": "t",
        "actions": [
            {
                "action_id": cards.APPROVE,
                "block_id": "b",
                "type": "button",
                "value": value(inquiry_id, draft_id),
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    wrong = await slack.post(body, "application/x-www-form-urlencoded", secret="not-the-secret")
    stale = await slack.post(body, "application/x-www-form-urlencoded", ts=int(time.time()) - 600)
    assert (wrong.status, stale.status) == (401, 401)
    assert all_rows(engine, Outbox) == []
    assert fake_slack.calls == []


async def test_urgent_card_mentions_oncall(desk: SlackDesk, engine: Engine, fake_slack: FakeSlack) -> None:
    seed_drafted(engine, urgent=True, text="停電しています。至急来てください。")
    await desk.poster.post_pending()
    blocks = json.dumps(fake_slack.posts(TRIAGE)[0]["blocks"], ensure_ascii=False)
    assert "<!subteam^SONCALL>" in blocks


async def test_long_inquiry_card_is_accepted_and_full_text_goes_to_its_thread(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    long_text = ("電気料金の明細について、各月の内訳を詳しく教えてください。\n" * 800)[:20000]
    inquiry_id, _draft_id = seed_drafted(engine, text=long_text)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card
    assert card is not None
    thread = [p for p in fake_slack.posts(TRIAGE) if p.get("thread_ts") == card.split(":")[1]]
    assert len(thread) >= 7
    assert "".join(p["text"].split("\n", 1)[1] for p in thread) == long_text


async def test_card_post_failure_is_retried_by_the_next_sweep(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, _draft_id = seed_drafted(engine)
    fake_slack.fail_next["chat.postMessage"] = (
        "internal_error"  # ratelimited is waited out (test_slack_rate_limits)
    )
    assert await desk.poster.post_pending() == 0
    assert inquiry_row(engine, inquiry_id).slack_card is None
    assert await desk.poster.post_pending() == 1
    assert inquiry_row(engine, inquiry_id).slack_card is not None


async def test_simultaneous_approvals_queue_once_and_one_person_is_told(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    import asyncio

    inquiry_id, draft_id, card = await posted_card(desk, engine)
    replies = await asyncio.gather(
        slack.click(cards.APPROVE, user=STAFF, card=card, value=value(inquiry_id, draft_id)),
        slack.click(cards.APPROVE, user=STAFF2, card=card, value=value(inquiry_id, draft_id)),
    )
    assert [r.status for r in replies] == [200, 200]
    assert len(all_rows(engine, Outbox)) == 1
    refusals = ephemerals(fake_slack, STAFF) + ephemerals(fake_slack, STAFF2)
    assert len(refusals) == 1 and "すでに" in refusals[0]


async def test_cards_changed_outside_slack_are_redrawn_by_the_sweep(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    from desk import actions
    from store.db import session_scope

    _inquiry_id, draft_id, _card = await posted_card(desk, engine)
    assert await desk.poster.refresh_changed() == 0  # the first sweep only notes where history stands
    with session_scope(engine) as session:  # a colleague approves in the terminal review
        actions.approve(session, draft_id=draft_id, actor="cli:suzuki")
    assert await desk.poster.refresh_changed() == 1
    assert "suzuki（端末） が承認しました" in last_update_text(fake_slack)
    assert await desk.poster.refresh_changed() == 0
