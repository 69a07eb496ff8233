"""Outage incidents through the real Bolt app (signed HTTP) and the fake Slack Web API: one incident card for
several customers of one area, one approval that queues one copy per inquiry with only that customer's data,
late reports sent after a one-click confirmation, double clicks that send once."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack import incidents as slack_incidents
from bot.slack.app import SlackDesk
from desk.pipeline import ProcessResult
from store.models import Incident, IncidentStatus, Outbox
from tests.bot.slack.conftest import (
    CONTRACT_NO,
    CUSTOMER_CHANNEL,
    CUSTOMER_USER,
    OUTSIDER,
    STAFF,
    STAFF2,
    TRIAGE,
    SlackSim,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack
from tests.desk.incident_cases import CUSTOMERS, KANSAI, START, TOKYO, outage_mail, seed_customers

NOTICE = "東京エリアの一部で停電が発生しております。復旧の見込みが分かりしだいご連絡いたします。"
STRANGER = "someone@freemail.example.com"


async def report(desk: SlackDesk, sender: str, *, minutes: float, **kw: Any) -> ProcessResult:
    return await desk.pipeline.process(outage_mail(sender, minutes=minutes, **kw))


def incident_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in fake.posts(TRIAGE) if "停電の障害" in str(p.get("text"))]


def blocks_text(params: dict[str, Any]) -> str:
    blocks = params["blocks"]
    return json.dumps(json.loads(blocks) if isinstance(blocks, str) else blocks, ensure_ascii=False)


def the_incident(engine: Engine) -> Incident:
    with Session(engine) as session:
        [incident] = session.exec(select(Incident)).all()
    return incident


def outbox(engine: Engine) -> dict[str, Outbox]:
    with Session(engine) as session:
        rows = session.exec(select(Outbox)).all()
    by_recipient = {o.recipient: o for o in rows}
    assert len(by_recipient) == len(rows)  # never two rows for one recipient
    return by_recipient


def ephemerals(fake: FakeSlack, user: str) -> list[str]:
    return [p["text"] for p in fake.called("chat.postEphemeral") if p["user"] == user]


async def three_reports(desk: SlackDesk, engine: Engine) -> str:
    """Three Tokyo customers (and one Kansai customer) report; returns the incident card's ref."""
    seed_customers(engine)
    for i, c in enumerate(TOKYO):
        await report(desk, c.email, minutes=i * 7, name=c.person)
    await report(desk, KANSAI.email, minutes=3, name=KANSAI.person)
    assert await desk.incidents.sync() == 1
    ref = the_incident(engine).slack_card
    assert ref is not None
    return ref


async def approve_all(
    slack: SlackSim, fake: FakeSlack, card: str, *, user: str = STAFF, text: str = NOTICE
) -> None:
    incident_id = card_incident(fake)
    reply = await slack.click(slack_incidents.APPROVE_ALL, user=user, card=card, value=str(incident_id))
    assert reply.status == 200
    view = fake.called("views.open")[-1]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        slack_incidents.NOTICE_BLOCK: {
            slack_incidents.NOTICE_INPUT: {"type": "plain_text_input", "value": text}
        },
        slack_incidents.NOTICE_EN_BLOCK: {
            slack_incidents.NOTICE_EN_INPUT: {"type": "plain_text_input", "value": None}
        },
    }
    submitted = await slack.submit(view, user=user, values=values)
    assert submitted.status == 200


def card_incident(fake: FakeSlack) -> int:
    [post] = incident_posts(fake)
    return int(str(post["text"]).split("#", 1)[1].split("：", 1)[0])


async def test_three_customers_of_one_area_get_one_incident_card(
    desk: SlackDesk, engine: Engine, fake_slack: FakeSlack
) -> None:
    await three_reports(desk, engine)
    [post] = incident_posts(fake_slack)
    shown = blocks_text(post)
    assert "東京エリア" in shown and "東京電力" in shown
    assert "3社（お問い合わせ 3 件）" in shown
    assert "10:00" in shown and "10:14" in shown  # first and latest report, Tokyo time
    for c in TOKYO:
        assert c.name in shown and c.contract_no in shown
    assert KANSAI.name not in shown  # another area: not part of this incident
    assert "<!subteam^SONCALL>" in shown and slack_incidents.APPROVE_ALL in shown
    assert await desk.incidents.sync() == 0  # nothing changed: no second post, no update
    assert len(incident_posts(fake_slack)) == 1
    assert await desk.poster.post_pending() == 4  # the members' own cards say where they went
    own_cards = [blocks_text(p) for p in fake_slack.posts(TRIAGE) if "新しいお問い合わせ" in str(p["text"])]
    assert sum("停電の障害 #" in c for c in own_cards) == 3


async def test_one_approval_sends_each_customer_only_their_own_copy(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    card = await three_reports(desk, engine)
    await approve_all(slack, fake_slack, card)
    opened = json.dumps(fake_slack.called("views.open")[0]["view"], ensure_ascii=False)
    assert "東京電力パワーグリッド" in opened  # the modal starts from the area's default notice
    assert "東京エリアの 3 件" in opened
    rows = outbox(engine)
    assert set(rows) == {c.email for c in TOKYO}
    for c in TOKYO:
        body = rows[c.email].body
        assert NOTICE in body
        assert c.name in body and f"{c.person} 様" in body
        assert c.contract_no in body and c.facility in body and "東京電力" in body
        others = [o for o in CUSTOMERS if o is not c]
        for o in others:
            for value in (o.name, o.person, o.contract_no, o.facility, o.email, o.customer_no):
                assert value not in body, (c.email, value)
    incident = the_incident(engine)
    assert incident.status == IncidentStatus.APPROVED and incident.approved_by == f"slack:{STAFF}"
    assert "3 件の返信を送信キューに入れました" in ephemerals(fake_slack, STAFF)[-1]
    updated = blocks_text(fake_slack.called("chat.update")[-1])
    assert "承認済み" in updated and slack_incidents.APPROVE_ALL not in updated


async def test_double_click_and_second_approval_send_once(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    card = await three_reports(desk, engine)
    incident_id = card_incident(fake_slack)
    # Two staff open the modal before either submits; both submit.
    for user in (STAFF, STAFF2):
        await slack.click(slack_incidents.APPROVE_ALL, user=user, card=card, value=str(incident_id))
    views = [v["view"] for v in fake_slack.called("views.open")]
    values = {
        slack_incidents.NOTICE_BLOCK: {
            slack_incidents.NOTICE_INPUT: {"type": "plain_text_input", "value": NOTICE}
        }
    }
    for user, view in zip((STAFF, STAFF2), views, strict=True):
        await slack.submit(view, user=user, values=values)
    assert len(outbox(engine)) == 3
    assert any("すでに承認済み" in t for t in ephemerals(fake_slack, STAFF2))
    # A click on the stale button after approval opens nothing.
    await slack.click(slack_incidents.APPROVE_ALL, user=STAFF2, card=card, value=str(incident_id))
    assert len(fake_slack.called("views.open")) == 2
    assert len(outbox(engine)) == 3


async def test_a_late_report_joins_and_is_sent_after_one_click_confirmation(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customers(engine)
    for i, c in enumerate(TOKYO[:2]):
        await report(desk, c.email, minutes=i, name=c.person)
    await desk.incidents.sync()
    card = the_incident(engine).slack_card or ""
    await approve_all(slack, fake_slack, card)
    assert len(outbox(engine)) == 2
    late = TOKYO[2]
    await report(desk, late.email, minutes=25, name=late.person)
    await desk.incidents.sync()
    updated = blocks_text(fake_slack.called("chat.update")[-1])
    assert "追加の 1 件に送信" in updated and late.name in updated
    assert late.email not in outbox(engine)  # nothing leaves before staff confirm
    incident_id = card_incident(fake_slack)
    for _ in range(2):  # the second click finds nothing left to send
        await slack.click(slack_incidents.SEND_LATE, user=STAFF, card=card, value=f"{incident_id}:1")
    rows = outbox(engine)
    assert len(rows) == 3
    body = rows[late.email].body
    assert NOTICE in body and late.contract_no in body and late.facility in body
    assert all(o.contract_no not in body for o in TOKYO[:2])
    assert any("すべて送信済み" in t for t in ephemerals(fake_slack, STAFF))
    assert "追加の" not in blocks_text(fake_slack.called("chat.update")[-1])


async def test_an_unverified_senders_copy_carries_no_contract_data(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customers(engine)
    await report(desk, TOKYO[0].email, minutes=0, name=TOKYO[0].person)
    # Writes the supply point id and contract number of TOKYO[1] from a free-mail address: grouped by the
    # area those digits name, but proven to be nobody.
    text = f"停電しています。供給地点特定番号 {TOKYO[1].supply_point_id}、契約番号 {TOKYO[1].contract_no}"
    await report(desk, STRANGER, minutes=2, text=text)
    await desk.incidents.sync()
    assert "本人確認未了" in blocks_text(incident_posts(fake_slack)[0])
    await approve_all(slack, fake_slack, the_incident(engine).slack_card or "")
    rows = outbox(engine)
    body = rows[STRANGER].body
    assert NOTICE in body and "東京電力" in body
    assert "対象のご契約" not in body and TOKYO[1].contract_no not in body
    assert all(c.name not in body and c.facility not in body for c in CUSTOMERS)
    assert TOKYO[0].contract_no in rows[TOKYO[0].email].body


async def test_non_staff_cannot_approve_an_incident(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    card = await three_reports(desk, engine)
    incident_id = card_incident(fake_slack)
    await slack.click(slack_incidents.APPROVE_ALL, user=OUTSIDER, card=card, value=str(incident_id))
    assert fake_slack.called("views.open") == []
    view = slack_incidents.approve_modal(
        desk.incidents._load(incident_id), notice=NOTICE, notice_en="", card=card
    )
    values = {
        slack_incidents.NOTICE_BLOCK: {
            slack_incidents.NOTICE_INPUT: {"type": "plain_text_input", "value": NOTICE}
        }
    }
    reply = await slack.submit(view, user=OUTSIDER, values=values)
    assert reply.json()["response_action"] == "errors"
    assert outbox(engine) == {} and the_incident(engine).status == IncidentStatus.OPEN


async def test_a_slack_customer_gets_its_copy_in_its_own_thread(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    seed_customers(engine)
    seed_customer(engine)  # 山田製作所, whose Slack Connect channel is CUSTOMER_CHANNEL (Tokyo area)
    await report(desk, TOKYO[0].email, minutes=0, name=TOKYO[0].person)
    ts = f"{START.timestamp() + 120:.6f}"
    event = {
        "type": "message",
        "channel": CUSTOMER_CHANNEL,
        "channel_type": "channel",
        "user": CUSTOMER_USER,
        "text": "停電しています。工場の電気が止まりました。",
        "ts": ts,
        "event_ts": ts,
    }
    assert (await slack.event(event)).status == 200
    card = the_incident(engine).slack_card  # the Slack intake drew the incident card itself
    assert card is not None
    await approve_all(slack, fake_slack, card)
    rows = outbox(engine)
    assert set(rows) == {TOKYO[0].email, f"{CUSTOMER_CHANNEL}:{ts}"}
    assert await desk.outbox.send_due() == 1
    [posted] = fake_slack.posts(CUSTOMER_CHANNEL)
    assert posted["thread_ts"] == ts
    assert NOTICE in posted["text"] and CONTRACT_NO in posted["text"]
    assert all(c.name not in posted["text"] and c.contract_no not in posted["text"] for c in CUSTOMERS)
    assert not any("停電の障害" in str(p.get("text")) for p in fake_slack.posts(CUSTOMER_CHANNEL))


async def test_a_notice_with_template_leftovers_is_refused_in_the_modal_and_nothing_is_sent(
    desk: SlackDesk, slack: SlackSim, engine: Engine, fake_slack: FakeSlack
) -> None:
    card = await three_reports(desk, engine)
    incident_id = card_incident(fake_slack)
    await slack.click(slack_incidents.APPROVE_ALL, user=STAFF, card=card, value=str(incident_id))
    view = fake_slack.called("views.open")[-1]["view"]
    values = {
        slack_incidents.NOTICE_BLOCK: {
            slack_incidents.NOTICE_INPUT: {"type": "plain_text_input", "value": "停電中です {{ area }}"}
        }
    }
    reply = await slack.submit(view, user=STAFF, values=values)
    answer = reply.json()
    assert (
        answer["response_action"] == "errors"
        and "差し込み記号" in answer["errors"][slack_incidents.NOTICE_BLOCK]
    )
    assert outbox(engine) == {} and the_incident(engine).status == IncidentStatus.OPEN
    await approve_all(slack, fake_slack, card)  # corrected, it goes through
    assert len(outbox(engine)) == 3
