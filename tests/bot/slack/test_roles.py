"""Roles through the real Bolt app and the fake Slack Web API: staff act on drafts, managers see figures,
anyone else learns nothing, and every refusal is in the audit log."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.staff import Role, StaffDirectory
from store.models import AuditEvent
from tests.bot.reporting.history import build_history
from tests.bot.slack.conftest import (
    CONTRACT_NO,
    CUSTOMER_NO,
    OUTSIDER,
    STAFF,
    STAFF2,
    SlackSim,
    seed_customer,
)
from tests.bot.slack.fake_slack import FakeSlack


def refusals(engine: Engine, user: str) -> list[str]:
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.actor == f"slack:{user}")).all()
    return [str(e.detail.get("what")) for e in events if e.action == "refused"]


async def test_a_staff_member_who_is_not_a_manager_sees_no_figures_on_app_home(
    slack: SlackSim, fake_slack: FakeSlack, engine: Engine
) -> None:
    build_history(engine)
    await slack.event({"type": "app_home_opened", "user": STAFF2, "channel": "D3", "tab": "home"})
    (call,) = fake_slack.called("views.publish")
    view = json.loads(call["view"]) if isinstance(call["view"], str) else call["view"]
    text = json.dumps(view, ensure_ascii=False)
    assert "管理者向け" in text and "件" not in text
    assert refusals(engine, STAFF2) == ["app_home"]


async def test_stats_are_for_managers_only_and_the_refusal_is_audited(
    slack: SlackSim, engine: Engine
) -> None:
    build_history(engine)
    refused = json.loads((await slack.command("stats week", user=STAFF2)).text)
    assert "管理者のみ" in refused["text"] and "件" not in refused["text"]
    assert refused["response_type"] == "ephemeral"
    allowed = json.loads((await slack.command("stats week", user=STAFF)).text)
    assert allowed["text"].startswith("*対応状況")
    assert refusals(engine, STAFF2) == ["command:stats"]


async def test_a_contract_look_up_by_a_non_staff_user_reveals_nothing(
    slack: SlackSim, engine: Engine
) -> None:
    seed_customer(engine)
    for ident in (CONTRACT_NO, CUSTOMER_NO, "yamada@example.com"):
        body = json.loads((await slack.command(f"contract {ident}", user=OUTSIDER)).text)
        assert "担当者のみ" in body["text"]
        assert not any(s in body["text"] for s in ("山田", "本社工場", "300", "EG2024"))
    assert refusals(engine, OUTSIDER) == ["command:contract"] * 3


async def test_roles_are_ranked_and_a_failed_group_look_up_grants_nothing(fake_slack: FakeSlack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from tests.bot.slack.fake_slack import BOT_TOKEN

    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
    roles = StaffDirectory(user_ids=["US"], manager_ids=["UM"], admin_ids=["UA"], manager_usergroup="SNOSUCH")
    assert await roles.role(client, "UA") == Role.ADMIN and await roles.has(client, "UA", Role.STAFF)
    assert await roles.has(client, "UM", Role.MANAGER) and not await roles.has(client, "UM", Role.ADMIN)
    assert await roles.has(client, "US", Role.STAFF) and not await roles.has(client, "US", Role.MANAGER)
    assert await roles.role(client, "UX") is None  # unknown group: nobody is a manager through it
