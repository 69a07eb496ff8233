"""The Slack app under test, served over real HTTP on loopback, talking to the fake Slack Web API; and a
client that signs requests exactly as Slack does."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings, SlackSettings
from bot.slack.app import SlackDesk, build_desk
from bot.wiring import desk_info
from desk.pipeline import Pipeline
from store.db import session_scope
from store.models import ContactEmail, Contract, Customer, Draft, Inquiry, InquiryStatus
from tests.bot.slack.fake_slack import BOT_TOKEN, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TRIAGE = "CTRIAGE"
CUSTOMER_CHANNEL = "CCUST1"
OTHER_CHANNEL = "CRANDOM"
STAFF = "USTAFF1"
STAFF2 = "USTAFF2"
GROUP_STAFF = "UGROUP1"  # staff only through the user group
OUTSIDER = "UOUTSIDE"
CUSTOMER_USER = "UCUST1"
CUSTOMER_NO = "30012345"
CONTRACT_NO = "EG20240123"


@pytest.fixture(scope="session")
def understander() -> Any:
    from intents.understand import Understander

    return Understander.load()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(
        usergroups={"SSTAFF": [GROUP_STAFF], "SONCALL": ["UONCALL"]},
        users={CUSTOMER_USER: "山田 太郎", STAFF: "佐藤 花子"},
    )
    await fake.start()
    yield fake
    await fake.stop()


def make_settings(fake: FakeSlack, **slack: Any) -> Settings:
    values: dict[str, Any] = {
        "mode": "http",
        "bot_token": BOT_TOKEN,
        "app_token": "xapp-test-token",
        "signing_secret": SIGNING_SECRET,
        "api_url": fake.api_url,
        "triage_channel": TRIAGE,
        "staff_user_ids": [STAFF, STAFF2],
        "staff_usergroup": "SSTAFF",
        "manager_user_ids": [STAFF],  # STAFF2 is staff only (roles: tests/bot/slack/test_roles.py)
        "oncall_usergroup": "SONCALL",
        "intake_channels": {CUSTOMER_CHANNEL: CUSTOMER_NO},
        **slack,
    }
    return Settings(slack=SlackSettings(**values))


@pytest.fixture
def pipeline(engine: Engine, understander: Any) -> Pipeline:
    info = desk_info(Settings())
    return Pipeline(engine=engine, desk=info, understander=understander)


@pytest.fixture
def desk(fake_slack: FakeSlack, engine: Engine, pipeline: Pipeline) -> SlackDesk:
    return build_desk(settings=make_settings(fake_slack), engine=engine, pipeline=pipeline)


@dataclass
class Reply:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class SlackSim:
    """Sends events, interactions and commands to the app the way Slack does (signed HTTP POSTs)."""

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession,
        settle: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        self.url = url
        self.session = session
        # Awaited after each event: the app answers Slack within a second and may finish posting cards in
        # the background; tests look at the result only once that work is done (no timing in assertions).
        self.settle = settle
        self._n = 0

    @staticmethod
    def sign(body: str, ts: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
        stamp = str(ts if ts is not None else int(time.time()))
        digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None, **sign: Any
    ) -> Reply:
        all_headers = {"Content-Type": content_type, **self.sign(body, **sign), **(headers or {})}
        async with self.session.post(self.url, data=body.encode(), headers=all_headers) as response:
            return Reply(response.status, await response.text())

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Reply:
        self._n += 1
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T111",
                "api_app_id": "A111",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self._n:06d}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
            },
            ensure_ascii=False,
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        reply = await self.post(body, "application/json", headers)
        if self.settle is not None:
            await self.settle()
        return reply

    async def interaction(self, payload: dict[str, Any]) -> Reply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(
        self, action_id: str, *, user: str, card: str, value: str = "", block_id: str = "b", **extra: Any
    ) -> Reply:
        channel, ts = card.split(":", 1)
        action = {"action_id": action_id, "block_id": block_id, "type": "button", "value": value}
        action.update(extra)
        return await self.interaction(
            {
                "type": "block_actions",
                "team": {"id": "T111", "domain": "test"},
                "user": {"id": user, "username": user.lower(), "team_id": "T111"},
                "api_app_id": "A111",
                "trigger_id": f"trigger-{user}",
                "channel": {"id": channel, "name": "triage"},
                "container": {"type": "message", "message_ts": ts, "channel_id": channel},
                "message": {"ts": ts, "type": "message"},
                "actions": [{**action, "action_ts": str(time.time())}],
            }
        )

    async def submit(self, view: dict[str, Any], *, user: str, values: dict[str, Any]) -> Reply:
        return await self.interaction(
            {
                "type": "view_submission",
                "team": {"id": "T111", "domain": "test"},
                "user": {"id": user, "username": user.lower(), "team_id": "T111"},
                "api_app_id": "A111",
                "view": {
                    "id": "V123",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view["private_metadata"],
                    "state": {"values": values},
                },
            }
        )

    async def command(self, text: str, *, user: str, channel: str = OTHER_CHANNEL) -> Reply:
        body = urllib.parse.urlencode(
            {
                "token": "legacy",
                "team_id": "T111",
                "team_domain": "test",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/madoguchi",
                "text": text,
                "api_app_id": "A111",
                "response_url": "https://hooks.slack.com/commands/T111/1/x",
                "trigger_id": "trigger-cmd",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")


@pytest.fixture
async def slack(desk: SlackDesk) -> AsyncIterator[SlackSim]:
    runner = web.AppRunner(desk.app.web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with aiohttp.ClientSession() as session:
        yield SlackSim(url, session, settle=desk.poster.drained)
    await runner.cleanup()


# -- store seeds --------------------------------------------------------------------------------------------
def seed_customer(engine: Engine) -> int:
    """山田製作所 (30012345) with contract EG20240123, debit on metering day 15; returns the customer id."""
    with session_scope(engine) as session:
        customer = Customer(customer_no=CUSTOMER_NO, name="山田製作所株式会社", contact_person="山田 太郎")
        session.add(customer)
        session.flush()
        session.add(
            ContactEmail(customer_id=customer.id or 0, email="yamada@example.com", person="山田 太郎")
        )
        session.add(
            Contract(
                contract_no=CONTRACT_NO,
                supply_point_id="0300111122223333444455",
                customer_id=customer.id or 0,
                facility_name="本社工場",
                grid_area="03",
                contract_power_kw=Decimal("300"),
                basic_unit_price=Decimal("1650.00"),
                energy_unit_price=Decimal("15.20"),
                supply_start=dt.date(2024, 4, 1),
                applied_on=dt.date(2024, 4, 1),
                metering_day=15,
            )
        )
        return customer.id or 0


def seed_drafted(
    engine: Engine,
    *,
    text: str = "請求書の送付先を変更したいです。",
    draft_text: str = "お問い合わせありがとうございます。送付先の変更はマイページから行えます。",
    channel: str = "email",
    urgent: bool = False,
    external_id: str = "<q1@example.com>",
) -> tuple[int, int]:
    """A verified email inquiry with one pending draft, as the pipeline leaves it; (inquiry id, draft id)."""
    customer_id = seed_customer(engine)
    with session_scope(engine) as session:
        inquiry = Inquiry(
            channel=channel,
            external_id=external_id,
            sender="yamada@example.com",
            sender_name="山田 太郎",
            sender_kind="customer_email",
            reply_to="yamada@example.com",
            subject="送付先の変更",
            text=text,
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90),
            status=InquiryStatus.DRAFTED,
            intents=[{"intent": "billing_address_change", "score": 0.91}],
            primary_intent="billing_address_change",
            customer_id=customer_id,
            identity_verified=True,
            urgent=urgent,
        )
        session.add(inquiry)
        session.flush()
        draft = Draft(inquiry_id=inquiry.id or 0, subject="Re: 送付先の変更", text=draft_text)
        session.add(draft)
        session.flush()
        return inquiry.id or 0, draft.id or 0


def inquiry_row(engine: Engine, inquiry_id: int) -> Inquiry:
    with Session(engine) as session:
        row = session.get(Inquiry, inquiry_id)
        assert row is not None
        return row


def all_rows(engine: Engine, table: Any) -> list[Any]:
    with Session(engine) as session:
        return list(session.exec(select(table)).all())
