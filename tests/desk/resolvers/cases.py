"""Hand-built case files with known numbers, shared by the resolver, drafting and template tests.

Today is 2026-06-10 (Wednesday). The Tokyo contract EG20240123 (京橋第一工場) is 実量制, 33.3 kW,
basic unit 1,650 円/kW, energy unit 18.50 円/kWh, metering day 15, direct debit, applied 2024-08-01.
Its last two months (hand-computed, power factor 100 %):

    2026-04: 7,000 kWh, fuel −1.00, renewable 3.98 → basic 46,703 + energy 129,500 − fuel 7,000
             + renewable 27,860 = 197,063 円
    2026-05: 8,000 kWh, fuel −1.20, renewable 3.98 → basic 46,703 + energy 148,000 − fuel 9,600
             + renewable 31,840 = 216,943 円

The Osaka contract EG20250999 (堺第二倉庫) is 協議制, 600 kW, latest max demand 612.3 kW at power factor 90 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from desk.casefile import CaseFile, ContractView, CustomerView, InvoiceView, UsageView
from desk.drafting import DeskInfo
from intents.knowledge import IntentKnowledge, Knowledge
from intents.knowledge import Need as KNeed
from intents.model import INTENT_IDS, IntentScore, Understanding

TODAY = dt.date(2026, 6, 10)

DESK = DeskInfo(
    company="エバーグリーン・マーケティング株式会社",
    desk_name="お客さまサポートデスク",
    phone="03-6271-0242",
    fax="03-6271-0241",
    hours_text="平日 9:00～12:00／13:00～17:00",
    email="support@desk.example.jp",
    portal_url="https://www.egmkt.co.jp/",
    company_en="Evergreen Marketing Co., Ltd.",
    desk_name_en="Customer Support Desk",
    hours_text_en="Weekdays 9:00–12:00 and 13:00–17:00 JST",
)


def _usage(
    month: dt.date, kwh: int, max_demand: str, fuel: str, *, cp: str = "33.3", pf: int = 100
) -> UsageView:
    """A month whose components are computed with the contract's units (exact, rounded down)."""
    cp_d, fuel_d, ren_d = D(cp), D(fuel), D("3.98")
    basic = int(cp_d * D("1650") * (185 - pf) / 100)
    energy = int(kwh * D("18.50"))
    fuel_yen = int(kwh * fuel_d)
    renewable = int(kwh * ren_d)
    return UsageView(
        month=month,
        kwh=kwh,
        max_demand_kw=D(max_demand),
        power_factor=pf,
        contract_power_kw=cp_d,
        fuel_adjustment_unit=fuel_d,
        renewable_unit=ren_d,
        basic_charge=basic,
        energy_charge=energy,
        fuel_adjustment=fuel_yen,
        renewable_surcharge=renewable,
        island_adjustment=0,
        total=basic + energy + fuel_yen + renewable,
    )


def _months(start: dt.date, count: int) -> list[dt.date]:
    out = []
    y, m = start.year, start.month
    for _ in range(count):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# 12 months 2025-06 … 2026-05; the largest max demand (33.3 kW) is in 2025-08.
_DEMANDS = ["29.5", "31.0", "33.3", "30.2", "27.4", "26.8", "28.1", "27.9", "26.5", "25.0", "28.8", "30.0"]
TOKYO_USAGE = tuple(
    _usage(m, 7000 if i < 11 else 8000, d, "-1.00" if i < 11 else "-1.20")
    for i, (m, d) in enumerate(zip(_months(dt.date(2025, 6, 1), 12), _DEMANDS, strict=True))
)

TOKYO = ContractView(
    contract_no="EG20240123",
    supply_point_id="0300111122223333444455",
    facility_name="京橋第一工場",
    facility_address="東京都中央区京橋一丁目1番1号",
    grid_area="03",
    voltage="high",
    scheme="jitsuryo",
    contract_power_kw=D("33.3"),
    basic_unit_price=D("1650.00"),
    energy_unit_price=D("18.50"),
    power_factor=100,
    supply_method="full",
    supply_start=dt.date(2024, 8, 1),
    applied_on=dt.date(2024, 8, 1),
    last_power_increase_on=None,
    metering_day=15,
    payment_method="debit",
    billing_address="東京都中央区京橋二丁目2番1号",
    billing_addressee="株式会社オオタ冷機 経理部",
    consolidated_group=None,
    status="active",
    usage=TOKYO_USAGE,
    invoices=(
        InvoiceView(dt.date(2026, 4, 1), 197063, dt.date(2026, 5, 27), True),
        InvoiceView(dt.date(2026, 5, 1), 216943, dt.date(2026, 6, 29), False),
    ),
)

OSAKA = ContractView(
    contract_no="EG20250999",
    supply_point_id="0600999988887777666655",
    facility_name="堺第二倉庫",
    facility_address="大阪府堺市堺区1-2-3",
    grid_area="06",
    voltage="high",
    scheme="kyogi",
    contract_power_kw=D("600.0"),
    basic_unit_price=D("1650.00"),
    energy_unit_price=D("17.00"),
    power_factor=90,
    supply_method="partial",
    supply_start=dt.date(2025, 4, 1),
    applied_on=dt.date(2025, 10, 1),
    last_power_increase_on=dt.date(2025, 10, 1),
    metering_day=1,
    payment_method="transfer",
    billing_address="大阪府大阪市北区梅田1-1-1",
    billing_addressee="株式会社オオタ冷機 関西支店",
    consolidated_group=None,
    status="active",
    usage=(
        _usage(dt.date(2026, 4, 1), 150000, "598.0", "-1.00", cp="600.0", pf=90),
        _usage(dt.date(2026, 5, 1), 160000, "612.3", "-1.20", cp="600.0", pf=90),
    ),
)

CUSTOMER = CustomerView(
    customer_no="30012345",
    name="株式会社オオタ冷機",
    contact_person="高田 真理子",
    billing_address="東京都中央区京橋二丁目2番1号",
    billing_addressee="株式会社オオタ冷機 経理部",
    contracts=(TOKYO, OSAKA),
)


def case(
    intents: str | list[str],
    *,
    verified: bool = True,
    contract: ContractView | None = TOKYO,
    entities: dict[str, str] | None = None,
    body: str = "",
    channel: str = "email",
    sender_name: str = "高田 真理子",
    unknown_ids: tuple[str, ...] = (),
) -> CaseFile:
    """A case about one contract; unverified cases carry no store data at all (as the pipeline builds them)."""
    ids = [intents] if isinstance(intents, str) else intents
    return CaseFile(
        understanding=Understanding(
            intents=tuple(IntentScore(i, 0.9 - n * 0.1) for n, i in enumerate(ids)),
            entities=dict(entities or {}),
            body=body,
        ),
        today=TODAY,
        channel=channel,
        sender_name=sender_name,
        customer=CUSTOMER if verified else None,
        contracts=((contract,) if contract else CUSTOMER.contracts) if verified else (),
        verified=verified,
        unknown_ids=unknown_ids,
    )


def knowledge(needs: dict[str, list[tuple[str, str]]] | None = None) -> Knowledge:
    """A small knowledge fixture: every intent with a label and the given needs (none by default)."""
    needs = needs or {}
    return Knowledge(
        intents={
            i: IntentKnowledge(
                id=i,
                label=f"{i}のラベル",
                description="fixture",
                examples=[f"{i}の例文"],
                needs=[KNeed(key=k, label=label) for k, label in needs.get(i, [])],
            )
            for i in INTENT_IDS
        }
    )
