"""Customers of one grid area reporting an outage, shared by the core and the Slack incident tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Engine

from desk.message import Channel, IncomingMessage, SenderKind
from store.db import session_scope
from store.models import ContactEmail, Contract, Customer

START = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo
OUTAGE_TEXT = "停電しています。工場の電気が全部止まりました。至急確認をお願いします。"


@dataclass(frozen=True)
class Seeded:
    customer_no: str
    name: str
    person: str
    email: str
    contract_no: str
    supply_point_id: str
    facility: str
    area: str


# Three customers in the Tokyo area, one in Kansai. Names, numbers and facilities are all distinct so a test
# can tell whose data a text carries.
CUSTOMERS = (
    Seeded(
        "30010001",
        "青葉精機株式会社",
        "青木 一郎",
        "aoki@aoba.example.jp",
        "EG20240001",
        "0300000000000000000001",
        "相模原第一工場",
        "03",
    ),
    Seeded(
        "30010002",
        "白浜食品株式会社",
        "白井 花子",
        "shirai@shirahama.example.jp",
        "EG20240002",
        "0300000000000000000002",
        "川崎物流センター",
        "03",
    ),
    Seeded(
        "30010003",
        "黒岩化成株式会社",
        "黒田 次郎",
        "kuroda@kuroiwa.example.jp",
        "EG20240003",
        "0300000000000000000003",
        "千葉研究所",
        "03",
    ),
    Seeded(
        "30010004",
        "緑川鉄工株式会社",
        "緑川 三郎",
        "midori@midorikawa.example.jp",
        "EG20240004",
        "0600000000000000000004",
        "堺工場",
        "06",
    ),
)
TOKYO = CUSTOMERS[:3]
KANSAI = CUSTOMERS[3]


def seed_customers(engine: Engine) -> None:
    with session_scope(engine) as session:
        for c in CUSTOMERS:
            customer = Customer(customer_no=c.customer_no, name=c.name, contact_person=c.person)
            session.add(customer)
            session.flush()
            session.add(ContactEmail(customer_id=customer.id or 0, email=c.email, person=c.person))
            session.add(
                Contract(
                    contract_no=c.contract_no,
                    supply_point_id=c.supply_point_id,
                    customer_id=customer.id or 0,
                    facility_name=c.facility,
                    grid_area=c.area,
                    contract_power_kw=Decimal("400"),
                    basic_unit_price=Decimal("1650.00"),
                    energy_unit_price=Decimal("15.20"),
                    supply_start=dt.date(2024, 4, 1),
                    applied_on=dt.date(2024, 4, 1),
                    metering_day=1,
                )
            )


def outage_mail(
    sender: str, *, minutes: float = 0, name: str = "", text: str = OUTAGE_TEXT, n: int = 0
) -> IncomingMessage:
    """An outage email ``minutes`` after :data:`START` (a registered address proves identity)."""
    return IncomingMessage(
        channel=Channel.EMAIL,
        external_id=f"<outage-{sender}-{minutes}-{n}@test>",
        sender=sender,
        sender_name=name,
        sender_kind=SenderKind.CUSTOMER_EMAIL,
        reply_to=sender,
        received_at=START + dt.timedelta(minutes=minutes),
        subject="停電しています",
        text=text,
    )
