"""Refused attempts are audited and told only to the person who tried; forged modal submissions change
nothing; Slack link markup keeps its URL; notices name people with mentions; labels are Japanese."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings, SlackSettings
from bot.slack import cards
from bot.slack.app import SlackDesk
from store.models import AuditEvent, Draft, DraftStatus, Inquiry, Outbox
from tests.bot.slack.conftest import (
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    OUTSIDER,
    STAFF,
    STAFF2,
    TRIAGE,
    SlackSim,
    all_rows,
    inquiry_row,
    seed_customer,
    seed_drafted,
)
from tests.bot.slack.fake_slack import FakeSlack


async def posted(desk: SlackDesk, engine: Engine) -> tuple[int, int, str]:
    inquiry_id, draft_id = seed_drafted(engine)
    assert await desk.poster.post_pending() == 1
    card = inquiry_row(engine, inquiry_id).slack_card
    assert card is not None
    return inquiry_id, draft_id, card


def refusals(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all())


def edit_values(text: str) -> dict:
    return {cards.EDIT_BLOCK: {cards.EDIT_INPUT: {"type": "plain_text_input", "value": text}}}


async def test_modal_submission_by_non_staff_is_refused_and_audited(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    view = cards.edit_modal(inquiry_id=inquiry_id, draft_id=draft_id, text="改ざん", card=card)
    reply = await slack.submit(view, user=OUTSIDER, values=edit_values("勝手な返信です。"))
    assert reply.status == 200 and reply.json()["response_action"] == "errors"
    assert all_rows(engine, Outbox) == []
    events = refusals(engine)
    assert len(events) == 1
    assert events[0].actor == f"slack:{OUTSIDER}" and events[0].inquiry_id == inquiry_id
    assert events[0].detail == {"what": cards.EDIT_VIEW, "reason": "not_staff"}
    assert fake_slack.posts(TRIAGE)[1:] == []  # nothing public was said


async def test_forged_modal_metadata_is_refused_and_audited(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    # A staff member's signed submission, but the metadata pairs the inquiry with a draft that does not exist.
    forged = cards.edit_modal(inquiry_id=inquiry_id, draft_id=draft_id + 99, text="", card=card)
    reply = await slack.submit(forged, user=STAFF, values=edit_values("送ってしまえ"))
    broken = {**forged, "private_metadata": "not json"}
    reply2 = await slack.submit(broken, user=STAFF, values=edit_values("送ってしまえ"))
    rejected = cards.reject_modal(inquiry_id=inquiry_id + 5, draft_id=draft_id, card=card)
    reply3 = await slack.submit(
        rejected, user=STAFF, values={cards.REASON_BLOCK: {cards.REASON_INPUT: {"value": "理由"}}}
    )
    assert all(r.json()["response_action"] == "errors" for r in (reply, reply2, reply3))
    assert all_rows(engine, Outbox) == []
    with Session(engine) as session:
        assert session.get(Draft, draft_id).status == DraftStatus.PENDING  # type: ignore[union-attr]
    events = refusals(engine)
    assert [e.detail["reason"] for e in events] == ["invalid_view"] * 3
    assert events[0].inquiry_id == inquiry_id and events[0].draft_id is None
    assert events[0].detail["claimed"] == {"inquiry_id": inquiry_id, "draft_id": draft_id + 99}
    assert events[2].detail["what"] == cards.REJECT_VIEW


async def test_refused_attempts_do_not_crowd_the_card(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    await slack.click(cards.APPROVE, user=OUTSIDER, card=card, value=f"{inquiry_id}:{draft_id}")
    await desk.poster.refresh(inquiry_id)
    for update in fake_slack.called("chat.update"):
        assert "権限のない" not in json.dumps(update["blocks"], ensure_ascii=False)


async def test_second_approval_notice_mentions_the_approver(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, card = await posted(desk, engine)
    await slack.click(cards.APPROVE, user=STAFF, card=card, value=f"{inquiry_id}:{draft_id}")
    await slack.click(cards.APPROVE, user=STAFF2, card=card, value=f"{inquiry_id}:{draft_id}")
    notices = [p["text"] for p in fake_slack.called("chat.postEphemeral") if p["user"] == STAFF2]
    assert len(notices) == 1
    assert f"<@{STAFF}>" in notices[0] and "slack:" not in notices[0]


async def test_link_text_keeps_its_url(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customer(engine)
    await slack.event(
        {
            "type": "message",
            "channel": CUSTOMER_CHANNEL,
            "user": CUSTOMER_USER,
            "text": "請求書は<https://example.jp/files/inv-0423.pdf|こちら>です。"
            "連絡先は<mailto:keiri@example.jp|keiri@example.jp>、<https://example.jp/faq>も見ました。",
            "ts": "1763870000.000100",
        }
    )
    text = all_rows(engine, Inquiry)[0].text
    assert "こちら（https://example.jp/files/inv-0423.pdf）" in text
    assert "連絡先はkeiri@example.jp、" in text
    assert "https://example.jp/faq" in text


async def test_history_labels_are_japanese(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    inquiry_id, draft_id, _card = await posted(desk, engine)
    from desk import actions
    from store.db import session_scope

    with session_scope(engine) as session:
        for action in ("rerouted", "send_blocked", "customer_replied"):
            actor = "system" if action != "rerouted" else f"slack:{STAFF}"
            actions.audit(session, action=action, actor=actor, inquiry_id=inquiry_id, draft_id=draft_id)
    await desk.poster.refresh(inquiry_id)
    shown = json.dumps(fake_slack.called("chat.update")[-1]["blocks"], ensure_ascii=False)
    for raw in ("rerouted", "send_blocked", "customer_replied"):
        assert raw not in shown
    assert "区分を変更" in shown and "送信を止めました" in shown and "追記" in shown


def test_http_server_listens_on_loopback_unless_configured() -> None:
    assert Settings().slack.http_host == "127.0.0.1"
    assert SlackSettings(http_host="0.0.0.0").http_host == "0.0.0.0"
