"""Deterministic, realistic demo data for the contract store (``madoguchi db seed``).

The same ``customers``, ``seed``, ``today`` and ``months`` always give the same rows (ids included), with
one Faker version: names, towns and building names come from Faker's ``ja_JP`` data, drawn with our own
seeded :class:`random.Random`. Bills are computed by :func:`desk.rules.billing.compute_bill`, so the store
never disagrees with the rules that explain it.

Besides the generated customers, the fixed :data:`DEMO_CUSTOMERS` are always written first (ids 1…): their
numbers, names and registered addresses never change, whatever ``seed`` or ``customers`` is, so demos,
sample inquiries and tests can rely on them. Their dates are relative to ``today`` where a state needs it
(a term that ends soon, a recent power increase).

Rows go straight to the driver in chunks inside one transaction (executemany on SQLite, COPY on PostgreSQL);
the bill computation dominates the time. ``benchmarks/lookup_bench.py`` measures 100,000 contracts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from faker import Faker
from sqlalchemy import Boolean, Date, Numeric, Table, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from desk.errors import InputError
from desk.rules.billing import (
    BillInput,
    compute_bill,
    fuel_adjustment_unit_for,
    island_unit_for,
    renewable_unit_for,
)
from desk.rules.payment import due_date, metering_date
from store.models import (
    ContactEmail,
    Contract,
    ContractStatus,
    Customer,
    Invoice,
    MonthlyUsage,
    PaymentMethod,
    Scheme,
    SupplyMethod,
    Voltage,
)
from store.names import name_key, phone_digits

__all__ = [
    "DEMO_CUSTOMERS",
    "KYOGI_THRESHOLD_KW",
    "DemoContract",
    "DemoCustomer",
    "SeedResult",
    "StoreNotEmpty",
    "billing_month_due_date",
    "generate",
    "metering_of",
    "seed_store",
]

KYOGI_THRESHOLD_KW = Decimal(500)  # 実量制 below, 協議制 at or above (domain.md § Contract power)
_MAX_KW = 5_000  # no generated or demo contract is larger
_CHUNK = 20_000  # usage rows per insert batch; bounds memory whatever the store's size


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# --- demo customers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoContract:
    """A demo facility. Dates given as month offsets are relative to the first day of ``today``'s month."""

    contract_no: str
    supply_point_id: str
    facility_name: str
    grid_area: str
    city: tuple[str, str, str]  # (prefecture, city, phone area code)
    kw: int  # contract power; for 実量制 the largest max demand of the last 12 months
    scheme: str
    voltage: str = Voltage.HIGH
    metering_day: int = 1
    payment_method: str = PaymentMethod.DEBIT
    consolidated_group: str | None = None
    status: str = ContractStatus.ACTIVE
    applied_on: dt.date | None = None  # fixed 契約適用日 (None: see applied_offset_months / supply_start)
    applied_offset_months: int | None = None  # 契約適用日 = this many months from today's month, N years ago
    power_increased_months_ago: int | None = None  # power raised from kw_before this many months ago
    kw_before: int | None = None
    peak_month_ago: int | None = None  # this many months before today's month, max demand = peak_kw
    peak_kw: int | None = None
    supply_start: dt.date = dt.date(2018, 4, 1)
    basic_unit_price: Decimal = Decimal("1650.00")
    energy_unit_price: Decimal = Decimal("16.80")
    power_factor: int = 100
    state: str = ""  # what the contract demonstrates


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    customer_no: str
    name: str
    name_kana: str
    emails: tuple[tuple[str, str], ...]  # (registered address, person)
    contracts: tuple[DemoContract, ...]
    state: str = ""


_TOKYO_MINATO = ("東京都", "港区", "03")
_TOKYO_OTA = ("東京都", "大田区", "03")

DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        customer_no="30012345",
        name="株式会社さくら精機",
        name_kana="サクラセイキ",
        emails=(
            ("k.tanaka@sakura-seiki.example.jp", "田中 健一"),
            ("soumu@sakura-seiki.example.jp", "総務部"),
        ),
        contracts=(
            DemoContract(
                contract_no="EG20240123",
                supply_point_id="0300000000000020240123",
                facility_name="本社工場",
                grid_area="03",
                city=_TOKYO_OTA,
                kw=320,
                scheme=Scheme.JITSURYO,
                applied_offset_months=4,
                basic_unit_price=Decimal("1650.00"),
                energy_unit_price=Decimal("16.80"),
                power_factor=98,
                state="term ends on the last day of the 3rd month after today's month; notice due this month",
            ),
            DemoContract(
                contract_no="EG20240124",
                supply_point_id="0300000000000020240124",
                facility_name="第二工場",
                grid_area="03",
                city=_TOKYO_OTA,
                kw=650,
                scheme=Scheme.KYOGI,
                applied_on=dt.date(2022, 4, 1),
                basic_unit_price=Decimal("1720.50"),
                energy_unit_price=Decimal("15.95"),
                power_factor=96,
                state="ordinary 協議制 contract",
            ),
        ),
        state="two facilities in Tokyo, direct debit, metering day 1",
    ),
    DemoCustomer(
        customer_no="30000002",
        name="株式会社みなと冷蔵",
        name_kana="ミナトレイゾウ",
        emails=(("h.sato@minato-reizo.example.jp", "佐藤 浩"),),
        contracts=(
            DemoContract(
                contract_no="EG30000021",
                supply_point_id="0600000000000030000021",
                facility_name="南港冷蔵倉庫",
                grid_area="06",
                city=("大阪府", "大阪市住之江区", "06"),
                kw=800,
                kw_before=700,
                scheme=Scheme.KYOGI,
                power_increased_months_ago=2,
                metering_day=10,
                basic_unit_price=Decimal("1580.00"),
                energy_unit_price=Decimal("17.40"),
                power_factor=95,
                state="contract power raised 700 → 800 kW two months ago (new 契約適用日)",
            ),
        ),
    ),
    DemoCustomer(
        customer_no="30000003",
        name="有限会社北斗食品",
        name_kana="ホクトショクヒン",
        emails=(("m.suzuki@hokuto-foods.example.jp", "鈴木 美穂"),),
        contracts=(
            DemoContract(
                contract_no="EG30000031",
                supply_point_id="0400000000000030000031",
                facility_name="岐阜工場",
                grid_area="04",
                city=("岐阜県", "岐阜市", "058"),
                kw=520,
                scheme=Scheme.JITSURYO,
                peak_month_ago=4,
                peak_kw=520,
                payment_method=PaymentMethod.TRANSFER,
                applied_on=dt.date(2020, 7, 1),
                basic_unit_price=Decimal("1490.00"),
                energy_unit_price=Decimal("18.20"),
                power_factor=92,
                state="実量制 with a 520 kW max demand four months ago: must move to 協議制",
            ),
        ),
    ),
    DemoCustomer(
        customer_no="30000004",
        name="東邦化学工業株式会社",
        name_kana="トウホウカガクコウギョウ",
        emails=(
            ("y.nakamura@toho-chem.example.jp", "中村 洋介"),
            ("denki@toho-chem.example.jp", "設備課"),
        ),
        contracts=(
            DemoContract(
                contract_no="EG30000041",
                supply_point_id="0900000000000030000041",
                facility_name="北九州工場",
                grid_area="09",
                city=("福岡県", "北九州市若松区", "093"),
                kw=1000,
                scheme=Scheme.KYOGI,
                peak_month_ago=1,
                peak_kw=1080,
                metering_day=20,
                applied_on=dt.date(2021, 10, 1),
                basic_unit_price=Decimal("1850.00"),
                energy_unit_price=Decimal("15.10"),
                power_factor=97,
                state="協議制 1,000 kW, 1,080 kW max demand last month: 80 kW overage (九州: island unit)",
            ),
        ),
    ),
    DemoCustomer(
        customer_no="30000005",
        name="株式会社あおば物流",
        name_kana="アオバブツリュウ",
        emails=(("keiri@aoba-logi.example.jp", "経理部"), ("a.ito@aoba-logi.example.jp", "伊藤 彩")),
        contracts=tuple(
            DemoContract(
                contract_no=f"EG3000005{i}",
                supply_point_id=f"{area}{'0' * 12}3000005{i}",
                facility_name=facility,
                grid_area=area,
                city=city,
                kw=kw,
                scheme=Scheme.JITSURYO if kw < 500 else Scheme.KYOGI,
                payment_method=PaymentMethod.TRANSFER,
                consolidated_group="G30000005",
                applied_on=dt.date(2019, 4, 1),
                basic_unit_price=Decimal("1540.00"),
                energy_unit_price=Decimal("16.30"),
                power_factor=99,
                state="おまとめ請求 (bank transfer), one of three sites",
            )
            for i, area, facility, city, kw in (
                (1, "02", "仙台物流センター", ("宮城県", "仙台市宮城野区", "022"), 420),
                (2, "03", "東京物流センター", ("東京都", "江東区", "03"), 760),
                (3, "01", "札幌物流センター", ("北海道", "札幌市東区", "011"), 280),
            )
        ),
        state="consolidated billing over three areas",
    ),
    DemoCustomer(
        customer_no="30000006",
        name="合同会社うるまホテル",
        name_kana="ウルマホテル",
        emails=(("info@uruma-hotel.example.jp", "フロント"), ("r.higa@uruma-hotel.example.jp", "比嘉 涼子")),
        contracts=(
            DemoContract(
                contract_no="EG30000061",
                supply_point_id="1000000000000030000061",
                facility_name="うるまホテル本館",
                grid_area="10",
                city=("沖縄県", "うるま市", "098"),
                kw=380,
                scheme=Scheme.JITSURYO,
                metering_day=2,
                payment_method=PaymentMethod.TRANSFER,
                supply_start=dt.date(2016, 2, 1),
                applied_on=dt.date(2024, 2, 29),
                basic_unit_price=Decimal("1960.00"),
                energy_unit_price=Decimal("21.50"),
                power_factor=90,
                state="契約適用日 2024-02-29: terms end on February 28 in common years",
            ),
        ),
    ),
    DemoCustomer(
        customer_no="30000007",
        name="株式会社瀬戸内製作所",
        name_kana="セトウチセイサクショ",
        emails=(("t.kobayashi@setouchi-ss.example.jp", "小林 拓也"),),
        contracts=(
            DemoContract(
                contract_no="EG30000071",
                supply_point_id="0700000000000030000071",
                facility_name="水島工場",
                grid_area="07",
                city=("岡山県", "倉敷市", "086"),
                kw=2000,
                scheme=Scheme.KYOGI,
                voltage=Voltage.EXTRA_HIGH,
                metering_day=25,
                applied_on=dt.date(2020, 12, 1),
                basic_unit_price=Decimal("1420.00"),
                energy_unit_price=Decimal("14.60"),
                power_factor=99,
                state="特別高圧 2,000 kW",
            ),
            DemoContract(
                contract_no="EG30000072",
                supply_point_id="0700000000000030000072",
                facility_name="旧倉庫棟",
                grid_area="07",
                city=("岡山県", "倉敷市", "086"),
                kw=180,
                scheme=Scheme.JITSURYO,
                metering_day=25,
                status=ContractStatus.CANCELLATION_REQUESTED,
                applied_on=dt.date(2022, 6, 1),
                basic_unit_price=Decimal("1700.00"),
                energy_unit_price=Decimal("19.30"),
                power_factor=88,
                state="cancellation requested",
            ),
        ),
    ),
)


# --- reference pools ----------------------------------------------------------------------------------

# Area → (prefecture, city, phone area code), so that addresses and phone numbers agree with the grid area.
_CITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "01": (("北海道", "札幌市中央区", "011"), ("北海道", "苫小牧市", "0144"), ("北海道", "旭川市", "0166")),
    "02": (
        ("宮城県", "仙台市若林区", "022"),
        ("福島県", "郡山市", "024"),
        ("新潟県", "新潟市東区", "025"),
        ("岩手県", "北上市", "0197"),
        ("山形県", "米沢市", "0238"),
    ),
    "03": (
        _TOKYO_OTA,
        ("東京都", "八王子市", "042"),
        ("神奈川県", "横浜市鶴見区", "045"),
        ("神奈川県", "川崎市川崎区", "044"),
        ("埼玉県", "川口市", "048"),
        ("千葉県", "市原市", "0436"),
        ("茨城県", "つくば市", "029"),
        ("栃木県", "宇都宮市", "028"),
        ("群馬県", "高崎市", "027"),
    ),
    "04": (
        ("愛知県", "名古屋市港区", "052"),
        ("愛知県", "豊田市", "0565"),
        ("静岡県", "浜松市中央区", "053"),
        ("岐阜県", "大垣市", "0584"),
        ("三重県", "四日市市", "059"),
        ("長野県", "松本市", "0263"),
    ),
    "05": (("富山県", "富山市", "076"), ("石川県", "金沢市", "076"), ("福井県", "福井市", "0776")),
    "06": (
        ("大阪府", "大阪市西淀川区", "06"),
        ("大阪府", "堺市堺区", "072"),
        ("兵庫県", "尼崎市", "06"),
        ("兵庫県", "姫路市", "079"),
        ("京都府", "京都市南区", "075"),
        ("滋賀県", "草津市", "077"),
    ),
    "07": (("広島県", "広島市南区", "082"), ("岡山県", "倉敷市", "086"), ("山口県", "周南市", "0834")),
    "08": (("香川県", "高松市", "087"), ("愛媛県", "松山市", "089"), ("徳島県", "徳島市", "088")),
    "09": (
        ("福岡県", "福岡市博多区", "092"),
        ("熊本県", "熊本市東区", "096"),
        ("鹿児島県", "鹿児島市", "099"),
        ("大分県", "大分市", "097"),
    ),
    "10": (("沖縄県", "那覇市", "098"), ("沖縄県", "浦添市", "098")),
}
_AREA_WEIGHTS = {"01": 5, "02": 8, "03": 30, "04": 14, "05": 4, "06": 16, "07": 6, "08": 4, "09": 10, "10": 3}

# Company-name stems besides family names: (written, kana, romaji).
_STEMS: tuple[tuple[str, str, str], ...] = (
    ("東洋", "トウヨウ", "toyo"),
    ("大和", "ヤマト", "yamato"),
    ("富士", "フジ", "fuji"),
    ("旭", "アサヒ", "asahi"),
    ("三協", "サンキョウ", "sankyo"),
    ("太平", "タイヘイ", "taihei"),
    ("昭和", "ショウワ", "showa"),
    ("大成", "タイセイ", "taisei"),
    ("新光", "シンコウ", "shinko"),
    ("北斗", "ホクト", "hokuto"),
    ("光洋", "コウヨウ", "koyo"),
    ("中央", "チュウオウ", "chuo"),
    ("東和", "トウワ", "towa"),
    ("協和", "キョウワ", "kyowa"),
    ("明和", "メイワ", "meiwa"),
    ("丸栄", "マルエイ", "maruei"),
    ("千代田", "チヨダ", "chiyoda"),
    ("瀬戸内", "セトウチ", "setouchi"),
    ("若葉", "ワカバ", "wakaba"),
    ("青葉", "アオバ", "aoba"),
    ("三和", "サンワ", "sanwa"),
    ("信和", "シンワ", "shinwa"),
    ("日進", "ニッシン", "nisshin"),
    ("共栄", "キョウエイ", "kyoei"),
    ("玉川", "タマガワ", "tamagawa"),
    ("白山", "ハクサン", "hakusan"),
    ("正和", "セイワ", "seiwa"),
    ("日東", "ニットウ", "nitto"),
    ("サンライズ", "サンライズ", "sunrise"),
    ("アルファ", "アルファ", "alpha"),
    ("グリーン", "グリーン", "green"),
    ("ミライ", "ミライ", "mirai"),
    ("みどり", "ミドリ", "midori"),
    ("ひかり", "ヒカリ", "hikari"),
)

# Industries: (written, kana, romaji, facility kinds).
_INDUSTRIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("製作所", "セイサクショ", "ss", ("工場", "第二工場", "加工センター")),
    ("工業", "コウギョウ", "kogyo", ("工場", "第二工場")),
    ("精機", "セイキ", "seiki", ("工場", "技術センター")),
    ("化学", "カガク", "chem", ("工場", "研究所")),
    ("食品", "ショクヒン", "foods", ("工場", "センター")),
    ("冷蔵", "レイゾウ", "reizo", ("冷蔵倉庫", "物流センター")),
    ("物流", "ブツリュウ", "logi", ("物流センター", "配送センター")),
    ("鋳造", "チュウゾウ", "chuzo", ("工場",)),
    ("金属", "キンゾク", "kinzoku", ("工場", "加工センター")),
    ("樹脂", "ジュシ", "jushi", ("工場",)),
    ("印刷", "インサツ", "print", ("工場", "印刷センター")),
    ("製紙", "セイシ", "seishi", ("工場",)),
    ("電子", "デンシ", "denshi", ("工場", "開発センター")),
    ("電機", "デンキ", "denki", ("工場",)),
    ("製菓", "セイカ", "seika", ("工場",)),
    ("酒造", "シュゾウ", "shuzo", ("蔵", "瓶詰工場")),
    ("商事", "ショウジ", "shoji", ("倉庫", "営業所")),
    ("ストア", "ストア", "store", ("店", "駅前店", "物流センター")),
    ("ホテル", "ホテル", "hotel", ("ホテル", "別館")),
    ("不動産", "フドウサン", "fudosan", ("ビル", "第二ビル")),
    ("倉庫", "ソウコ", "soko", ("倉庫", "第二倉庫")),
    ("運輸", "ウンユ", "unyu", ("配送センター",)),
    ("水産", "スイサン", "suisan", ("加工場", "冷凍庫")),
    ("製薬", "セイヤク", "pharma", ("工場", "研究所")),
    ("繊維", "センイ", "seni", ("工場",)),
    ("鉄工", "テッコウ", "tekko", ("工場",)),
    ("産業", "サンギョウ", "sangyo", ("工場", "センター")),
    ("データ", "データ", "data", ("データセンター",)),
)
_ROLE_MAILBOXES = (("soumu", "総務部"), ("keiri", "経理部"), ("info", "代表"), ("setsubi", "設備課"))

# Share of the yearly peak per calendar month: summer and winter peaks, mild spring and autumn.
_SEASON = (0.94, 0.93, 0.84, 0.77, 0.76, 0.84, 0.97, 1.0, 0.91, 0.78, 0.81, 0.9)
_HOURS = Decimal(24)
_EARLIEST_START = dt.date(2012, 4, 1)  # first supply start the generator draws
_PF_WEIGHTS = (30, 40, 25, 5)  # power factor 100 / 95–99 / 85–94 / 80–84


@cache
def _faker_pools() -> tuple[
    tuple[tuple[str, str, str], ...],
    tuple[tuple[str, str, str], ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]:
    fake = Faker("ja_JP")
    person = fake.provider("faker.providers.person")
    address = fake.provider("faker.providers.address")
    company = fake.provider("faker.providers.company")
    assert person is not None and address is not None and company is not None
    last_names: tuple[tuple[str, str, str], ...] = tuple(person.last_name_pairs)
    first_names = tuple(person.first_name_male_pairs) + tuple(person.first_name_female_pairs)
    towns: tuple[str, ...] = tuple(address.towns)
    buildings: tuple[str, ...] = tuple(address.building_names)
    legal_forms: tuple[str, ...] = tuple(company.company_prefixes)
    return last_names, first_names, towns, buildings, legal_forms


# --- dates and the bill ---------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    """First-of-month arithmetic (the day is kept only when it exists in the target month)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def metering_of(*, billing_month: dt.date, metering_day: int) -> dt.date:
    """The metering date that closes the usage of ``billing_month`` (the month its period ends).

    Metering day 1 reads on the 1st of the next month (usage 10/01–10/31 is billing month 10); a later
    metering day reads in the billing month itself (usage 10/15–11/14 is billing month 11, read on 11/15).
    """
    if metering_day == 1:
        return _add_months(_month_start(billing_month), 1)
    return metering_date(billing_month.year, billing_month.month, metering_day)


def billing_month_due_date(*, billing_month: dt.date, metering_day: int, payment_method: str) -> dt.date:
    """When the invoice of ``billing_month`` is due (debit date or transfer deadline, off bank holidays)."""
    metering = metering_of(billing_month=billing_month, metering_day=metering_day)
    return due_date(metering=metering, method=payment_method).actual


_USAGE_COLUMNS = (
    "contract_id",
    "month",
    "kwh",
    "max_demand_kw",
    "power_factor",
    "contract_power_kw",
    "fuel_adjustment_unit",
    "renewable_unit",
    "basic_charge",
    "energy_charge",
    "fuel_adjustment",
    "renewable_surcharge",
    "island_adjustment",
    "total",
)
_INVOICE_COLUMNS = ("contract_id", "billing_month", "amount", "due_date", "paid")
_SUMMER = (7, 8, 9)  # months billed at energy_unit_price_summer when a contract has one


# --- generation -----------------------------------------------------------------------------------------


Row = tuple[Any, ...]


@dataclass(slots=True)
class Batch:
    """Rows for each table, in insertion order (parents before children). Usage and invoice rows, the
    bulk of the data, are tuples in the order of their column lists; the others are dicts."""

    customer: list[dict[str, Any]] = field(default_factory=list)
    contact_email: list[dict[str, Any]] = field(default_factory=list)
    contract: list[dict[str, Any]] = field(default_factory=list)
    monthly_usage: list[Row] = field(default_factory=list)
    invoice: list[Row] = field(default_factory=list)

    def tables(self) -> tuple[tuple[Table, tuple[str, ...], list[Row]], ...]:
        """(table, columns, rows as tuples) for each table."""
        return (
            _as_tuples(_table(Customer), self.customer),
            _as_tuples(_table(ContactEmail), self.contact_email),
            _as_tuples(_table(Contract), self.contract),
            (_table(MonthlyUsage), _USAGE_COLUMNS, self.monthly_usage),
            (_table(Invoice), _INVOICE_COLUMNS, self.invoice),
        )

    def extend(self, other: Batch) -> None:
        self.customer += other.customer
        self.contact_email += other.contact_email
        self.contract += other.contract
        self.monthly_usage += other.monthly_usage
        self.invoice += other.invoice


def _as_tuples(table: Table, rows: list[dict[str, Any]]) -> tuple[Table, tuple[str, ...], list[Row]]:
    columns = tuple(rows[0]) if rows else ()
    return table, columns, [tuple(row[c] for c in columns) for row in rows]


@dataclass(slots=True)
class _Plan:
    """What a contract's usage must show, besides the seasonal shape (kW are whole numbers)."""

    peak_kw: float  # typical yearly peak of max demand
    kyogi_kw: int | None = None  # agreed contract power (協議制); None for 実量制
    kw_before: int | None = None  # agreed power before an increase
    increased_on: dt.date | None = None
    spike: tuple[dt.date, int] | None = None  # a month whose max demand is forced


class _Generator:
    def __init__(self, *, seed: int, today: dt.date, months: int, invoice_months: int) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.months = months
        self.invoice_months = min(invoice_months, months)
        self.last_month = _add_months(_month_start(today), -1)
        self.first_month = _add_months(self.last_month, -(months - 1))
        self.last_names, self.first_names, self.towns, self.buildings, self.legal_forms = _faker_pools()
        demo = DEMO_CUSTOMERS
        self.customer_nos = {c.customer_no for c in demo}
        self.contract_nos = {k.contract_no for c in demo for k in c.contracts}
        self.supply_points = {k.supply_point_id for c in demo for k in c.contracts}
        self.emails = {e for c in demo for e, _ in c.emails}
        self.domains: set[str] = set()
        self.customer_id = 0
        self.contract_id = 0
        self.contracts_made = 0
        # (month, hours, seasonal share) from 11 months before the first stored one: 実量制 looks back.
        self.calendar = [
            (m, 24 * calendar.monthrange(m.year, m.month)[1], _SEASON[m.month - 1])
            for m in (_add_months(self.first_month, i) for i in range(-11, months))
        ]
        self._units: dict[str, list[tuple[Decimal, Decimal, Decimal]]] = {}
        self._due: dict[tuple[dt.date, int, str], dt.date] = {}
        self._decimals = [Decimal(i) for i in range(_MAX_KW + 1)]

    def units(self, area: str) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(fuel, renewable, island) unit of each stored month for a grid area."""
        if area not in self._units:
            self._units[area] = [
                (fuel_adjustment_unit_for(m, area), renewable_unit_for(m), island_unit_for(m, area))
                for m, _, _ in self.calendar[11:]
            ]
        return self._units[area]

    def due(self, month: dt.date, metering_day: int, method: str) -> dt.date:
        key = (month, metering_day, method)
        if key not in self._due:
            self._due[key] = billing_month_due_date(
                billing_month=month, metering_day=metering_day, payment_method=method
            )
        return self._due[key]

    # -- identifiers

    def _unique(self, used: set[str], make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in used:
                used.add(value)
                return value

    def new_customer_no(self) -> str:
        return self._unique(self.customer_nos, lambda: str(self.rng.randrange(30_100_000, 40_000_000)))

    def new_contract_no(self) -> str:
        return self._unique(self.contract_nos, lambda: f"EG{self.rng.randrange(10_000_000, 100_000_000)}")

    def new_supply_point(self, area: str) -> str:
        return self._unique(self.supply_points, lambda: f"{area}{self.rng.randrange(10**20):020d}")

    # -- people and places

    def area(self) -> str:
        return self.rng.choices(list(_AREA_WEIGHTS), weights=list(_AREA_WEIGHTS.values()))[0]

    def address(self, city: tuple[str, str, str]) -> tuple[str, str]:
        rng = self.rng
        postal = f"{rng.randrange(100, 1000)}-{rng.randrange(10000):04d}"
        block = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
        street = f"{city[0]}{city[1]}{rng.choice(self.towns)}{block}"
        if rng.random() < 0.3:
            street += f" {rng.choice(self.towns)}{rng.choice(self.buildings)}{rng.randint(1, 9)}階"
        return postal, street

    def phone(self, area_code: str) -> str:
        rest = 10 - len(area_code)  # subscriber digits after the area code
        local = str(self.rng.randrange(10 ** (rest - 1) * 2, 10**rest))
        exchange = rest - 4
        return f"{area_code}-{local[:exchange]}-{local[exchange:]}"

    def company(self) -> tuple[str, str, str, tuple[str, ...]]:
        rng = self.rng
        stem = rng.choice(self.last_names) if rng.random() < 0.55 else rng.choice(_STEMS)
        written, kana, romaji = stem[0], stem[1], stem[2].lower()
        if rng.random() < 0.6:  # a second stem makes names distinct enough at 100,000 customers
            extra = rng.choice(_STEMS)
            written, kana, romaji = written + extra[0], kana + extra[1], f"{romaji}{extra[2]}"
        industry = rng.choice(_INDUSTRIES)
        base, base_kana = written + industry[0], kana + industry[1]
        form = rng.choices(self.legal_forms, weights=(80, 15, 5))[0]
        name = form + base if rng.random() < 0.7 else base + form
        domain = self._unique(
            self.domains,
            lambda: f"{romaji}-{industry[2]}" + ("" if rng.random() < 0.5 else str(rng.randint(2, 999))),
        )
        return name, base_kana, domain, industry[3]

    def contacts(self, domain: str) -> list[tuple[str, str]]:
        rng = self.rng
        found: list[tuple[str, str]] = []
        for i in range(rng.choices((1, 2, 3), weights=(50, 35, 15))[0]):
            if i > 0 and rng.random() < 0.4:
                local, person = rng.choice(_ROLE_MAILBOXES)
            else:
                last, first = rng.choice(self.last_names), rng.choice(self.first_names)
                person = f"{last[0]} {first[0]}"
                local = rng.choice(
                    (f"{first[2][0]}.{last[2]}", f"{last[2]}", f"{last[2]}.{first[2]}")
                ).lower()
            email = f"{local}@{domain}.example.jp"
            if email not in self.emails:
                self.emails.add(email)
                found.append((email, person))
        return found

    # -- one customer

    def customer(self) -> Batch:
        rng = self.rng
        batch = Batch()
        self.customer_id += 1
        name, kana, domain, facility_kinds = self.company()
        home_area = self.area()
        city = rng.choice(_CITIES[home_area])
        postal, address = self.address(city)
        phone = self.phone(city[2])
        emails = self.contacts(domain)
        person = next((p for _, p in emails if " " in p), emails[0][1])
        customer_no = self.new_customer_no()
        batch.customer.append(
            {
                "id": self.customer_id,
                "customer_no": customer_no,
                "name": name,
                "name_kana": kana,
                "name_key": name_key(name),
                "phone": phone,
                "phone_digits": phone_digits(phone),
                "postal_code": postal,
                "address": address,
                "billing_address": f"〒{postal} {address}",
                "billing_addressee": f"{name} 経理部",
                "contact_person": person,
            }
        )
        batch.contact_email += [{"customer_id": self.customer_id, "email": e, "person": p} for e, p in emails]
        count = rng.choices(range(1, 7), weights=(30, 25, 18, 12, 9, 6))[0]
        payment = PaymentMethod.DEBIT if rng.random() < 0.7 else PaymentMethod.TRANSFER
        # おまとめ請求 is for several contracts paid by bank transfer only (domain.md § Consolidated billing).
        consolidate = payment == PaymentMethod.TRANSFER and count >= 2 and rng.random() < 0.5
        group = f"G{customer_no}" if consolidate else None
        for i in range(count):
            area = home_area if i == 0 or rng.random() < 0.6 else self.area()
            site_city = city if i == 0 else rng.choice(_CITIES[area])
            kind = facility_kinds[i % len(facility_kinds)]
            facility = ("本社" if i == 0 else site_city[1].removesuffix("市")) + kind
            contract_payment = payment if group or rng.random() < 0.9 else PaymentMethod.DEBIT
            self.contract(batch, area, site_city, facility, contract_payment, group, address, name)
        return batch

    def contract(
        self,
        batch: Batch,
        area: str,
        city: tuple[str, str, str],
        facility: str,
        payment: str,
        group: str | None,
        head_office: str,
        name: str,
    ) -> None:
        rng = self.rng
        peak = Decimal(round(56 * (36 ** rng.random())))  # log-uniform 56 .. 2,000 kW
        kyogi = peak >= KYOGI_THRESHOLD_KW
        latest_start = _add_months(self.first_month, -12)
        earliest = min(_EARLIEST_START, latest_start)
        start = _add_months(earliest, rng.randrange(max(1, _months_between(earliest, latest_start))))
        applied, increased, kw_before = start, None, None
        agreed = Decimal(int(peak * Decimal("1.04") / 10 + 1) * 10) if kyogi else None
        if rng.random() < 0.4 and _months_between(start, self.last_month) > 13:
            applied = _add_months(start, rng.randrange(12, _months_between(start, self.last_month)))
            if agreed is not None and rng.random() < 0.3 and agreed - 50 >= KYOGI_THRESHOLD_KW:
                increased, kw_before = applied, agreed - 50
        _, address = self.address(city)
        basic = Decimal(rng.randrange(2800, 4001)) / 2
        energy = Decimal(rng.randrange(1400, 2201)) / 100
        voltage = Voltage.EXTRA_HIGH if peak >= 1500 and rng.random() < 0.6 else Voltage.HIGH
        metering_day = rng.choices((1, 2, rng.randint(3, 28)), weights=(40, 10, 50))[0]
        row = self._contract_row(
            area=area,
            facility=facility,
            address=address,
            voltage=voltage,
            scheme=Scheme.KYOGI if kyogi else Scheme.JITSURYO,
            kw=agreed or peak,
            basic=basic,
            energy=energy,
            summer=energy + Decimal(rng.randrange(100, 151)) / 100 if rng.random() < 0.3 else None,
            pf=rng.choices((100, rng.randint(95, 99), rng.randint(85, 94), rng.randint(80, 84)), _PF_WEIGHTS)[
                0
            ],
            method=SupplyMethod.FULL if rng.random() < 0.9 else SupplyMethod.PARTIAL,
            start=start,
            applied=applied,
            increased=increased,
            metering_day=metering_day,
            payment=payment,
            billing_address=head_office,
            billing_addressee=f"{name} 経理部" if group else f"{name} {facility}",
            group=group,
            status=ContractStatus.ACTIVE if rng.random() < 0.98 else ContractStatus.CANCELLATION_REQUESTED,
            contract_no=self.new_contract_no(),
            supply_point_id=self.new_supply_point(area),
        )
        plan = _Plan(
            peak_kw=float(peak),
            kyogi_kw=None if agreed is None else int(agreed),
            kw_before=None if kw_before is None else int(kw_before),
            increased_on=increased,
        )
        self._usage(batch, row, plan, rng)

    def _contract_row(self, **v: Any) -> dict[str, Any]:
        self.contract_id += 1
        self.contracts_made += 1
        return {
            "id": self.contract_id,
            "contract_no": v["contract_no"],
            "supply_point_id": v["supply_point_id"],
            "customer_id": self.customer_id,
            "facility_name": v["facility"],
            "facility_address": v["address"],
            "grid_area": v["area"],
            "voltage": str(v["voltage"]),
            "scheme": str(v["scheme"]),
            "contract_power_kw": v["kw"],
            "basic_unit_price": v["basic"],
            "energy_unit_price": v["energy"],
            "energy_unit_price_summer": v["summer"],
            "power_factor": v["pf"],
            "supply_method": str(v["method"]),
            "supply_start": v["start"],
            "applied_on": v["applied"],
            "last_power_increase_on": v["increased"],
            "metering_day": v["metering_day"],
            "payment_method": str(v["payment"]),
            "billing_address": v["billing_address"],
            "billing_addressee": v["billing_addressee"],
            "consolidated_group": v["group"],
            "status": str(v["status"]),
        }

    def _usage(self, batch: Batch, contract: dict[str, Any], plan: _Plan, rng: random.Random) -> None:
        """Max demand, kWh and the bill of each month; 実量制 contract power is the rolling 12-month max.

        This loop makes every usage row, so it is written for speed: kW stay whole ints in the row (the
        Numeric columns take them exactly) and Decimals come from a table.
        """
        amplitude = 0.4 + 0.6 * rng.random()
        load_factor = 0.3 + 0.35 * rng.random()
        pf, cid, basic = contract["power_factor"], contract["id"], contract["basic_unit_price"]
        energy, summer = contract["energy_unit_price"], contract["energy_unit_price_summer"]
        units, decimals, random_ = self.units(contract["grid_area"]), self._decimals, rng.random
        peak, agreed_kw, spike = plan.peak_kw, plan.kyogi_kw, plan.spike
        demands: list[int] = []
        usage: list[Row] = []
        for i, (month, hours, season) in enumerate(self.calendar):
            demand = int(peak * (1 - amplitude * (1 - season)) * (0.9 + 0.09 * random_()))
            agreed = agreed_kw
            if plan.increased_on is not None and month < plan.increased_on:
                agreed = plan.kw_before
            if agreed is not None and demand > agreed:
                demand = agreed
            if spike is not None and spike[0] == month:
                demand = spike[1]
            demand = max(demand, 10)
            demands.append(demand)
            if i < 11:
                continue
            contract_kw = agreed if agreed is not None else max(demands[-12:])
            kwh = int(demand * hours * load_factor * (0.92 + 0.13 * random_()))
            month_pf = pf if random_() < 0.9 else max(70, min(100, pf + rng.randint(-3, 2)))
            fuel, renewable, island = units[i - 11]
            bill = compute_bill(
                BillInput(
                    contract_power_kw=decimals[contract_kw],
                    basic_unit_price=basic,
                    power_factor=month_pf,
                    kwh=kwh,
                    energy_unit_price=summer if summer is not None and month.month in _SUMMER else energy,
                    fuel_adjustment_unit=fuel,
                    renewable_unit=renewable,
                    island_unit=island,
                )
            )
            usage.append(
                (
                    cid,
                    month,
                    kwh,
                    demand,
                    month_pf,
                    contract_kw,
                    fuel,
                    renewable,
                    bill.basic_charge,
                    bill.energy_charge,
                    bill.fuel_adjustment,
                    bill.renewable_surcharge,
                    bill.island_adjustment,
                    bill.total,
                )
            )
        if plan.kyogi_kw is None:
            contract["contract_power_kw"] = decimals[max(demands[-12:])]
        batch.contract.append(contract)
        batch.monthly_usage += usage
        metering_day, method = contract["metering_day"], contract["payment_method"]
        for row in usage[len(usage) - self.invoice_months :]:
            due = self.due(row[1], metering_day, method)
            batch.invoice.append((cid, row[1], row[-1], due, due < self.today))

    # -- demo customers

    def demo_customer(self, demo: DemoCustomer) -> Batch:
        batch = Batch()
        self.customer_id += 1
        first = demo.contracts[0]
        rng = random.Random(demo.customer_no)  # independent of the seed: demo rows never change
        postal, address = (
            f"{rng.randrange(100, 1000)}-{rng.randrange(10000):04d}",
            self._demo_address(first, rng),
        )
        phone = self._demo_phone(first.city[2], rng)
        batch.customer.append(
            {
                "id": self.customer_id,
                "customer_no": demo.customer_no,
                "name": demo.name,
                "name_kana": demo.name_kana,
                "name_key": name_key(demo.name),
                "phone": phone,
                "phone_digits": phone_digits(phone),
                "postal_code": postal,
                "address": address,
                "billing_address": f"〒{postal} {address}",
                "billing_addressee": f"{demo.name} 経理部",
                "contact_person": next((p for _, p in demo.emails if " " in p), demo.emails[0][1]),
            }
        )
        batch.contact_email += [
            {"customer_id": self.customer_id, "email": e, "person": p} for e, p in demo.emails
        ]
        this_month = _month_start(self.today)
        for spec in demo.contracts:
            applied = spec.applied_on or spec.supply_start
            if spec.applied_offset_months is not None:
                target = _add_months(this_month, spec.applied_offset_months)
                applied = target.replace(year=target.year - 3)
            increased = None
            if spec.power_increased_months_ago is not None:
                increased = applied = _add_months(this_month, -spec.power_increased_months_ago)
            kyogi = spec.scheme == Scheme.KYOGI
            row = self._contract_row(
                area=spec.grid_area,
                facility=spec.facility_name,
                address=self._demo_address(spec, rng),
                voltage=spec.voltage,
                scheme=spec.scheme,
                kw=Decimal(spec.kw),
                basic=spec.basic_unit_price,
                energy=spec.energy_unit_price,
                summer=None,
                pf=spec.power_factor,
                method=SupplyMethod.FULL,
                start=spec.supply_start,
                applied=applied,
                increased=increased,
                metering_day=spec.metering_day,
                payment=spec.payment_method,
                billing_address=f"〒{postal} {address}",
                billing_addressee=f"{demo.name} 経理部",
                group=spec.consolidated_group,
                status=spec.status,
                contract_no=spec.contract_no,
                supply_point_id=spec.supply_point_id,
            )
            # 協議制 runs below its agreed power; 実量制 reaches its documented kW in one month (a spike given
            # by the spec, else last August), so the rolling 12-month maximum is exactly that kW.
            spike = (self._last_august(), spec.kw)
            if spec.peak_month_ago is not None and spec.peak_kw is not None:
                spike = (_add_months(this_month, -spec.peak_month_ago), spec.peak_kw)
            plan = _Plan(
                peak_kw=spec.kw * (0.93 if kyogi else 0.85),
                kyogi_kw=spec.kw if kyogi else None,
                kw_before=spec.kw_before,
                increased_on=increased,
                spike=spike if spec.peak_kw is not None or not kyogi else None,
            )
            self._usage(batch, row, plan, rng)
        return batch

    def _last_august(self) -> dt.date:
        month = self.last_month
        while month.month != 8:
            month = _add_months(month, -1)
        return month

    def _demo_address(self, spec: DemoContract, rng: random.Random) -> str:
        town = rng.choice(self.towns)
        block = f"{rng.randint(1, 5)}丁目{rng.randint(1, 20)}番{rng.randint(1, 15)}号"
        return f"{spec.city[0]}{spec.city[1]}{town}{block}"

    def _demo_phone(self, area_code: str, rng: random.Random) -> str:
        rest = 10 - len(area_code)
        local = str(rng.randrange(10 ** (rest - 1) * 2, 10**rest))
        return f"{area_code}-{local[: rest - 4]}-{local[rest - 4 :]}"


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def generate(
    *,
    customers: int,
    seed: int,
    today: dt.date,
    months: int = 24,
    invoice_months: int = 12,
    contracts: int | None = None,
    demo: bool = True,
) -> Iterator[Batch]:
    """The rows to insert, in batches of whole customers (ids are assigned from 1).

    ``customers`` generated customers follow the demo ones; with ``contracts`` given, generation instead
    stops once that many contracts exist (the last customer's facilities are cut to fit).
    """
    if months < 1 or customers < 0:
        raise InputError("使用量の月数は1以上、お客さま数は0以上で指定してください。")
    gen = _Generator(seed=seed, today=today, months=months, invoice_months=invoice_months)
    pending = Batch()
    if demo:
        for customer in DEMO_CUSTOMERS:
            pending.extend(gen.demo_customer(customer))
    made = 0
    while (made < customers) if contracts is None else (gen.contracts_made < contracts):
        batch = gen.customer()
        if contracts is not None and gen.contracts_made > contracts:
            _trim(batch, gen.contracts_made - contracts)
            gen.contracts_made = contracts
        pending.extend(batch)
        made += 1
        if len(pending.monthly_usage) >= _CHUNK:
            yield pending
            pending = Batch()
    if pending.customer:
        yield pending


def _trim(batch: Batch, extra: int) -> None:
    dropped = {row["id"] for row in batch.contract[-extra:]}
    del batch.contract[-extra:]
    batch.monthly_usage[:] = [r for r in batch.monthly_usage if r[0] not in dropped]
    batch.invoice[:] = [r for r in batch.invoice if r[0] not in dropped]
    groups = [r for r in batch.contract if r["consolidated_group"]]
    if len(groups) < 2:  # おまとめ請求 needs at least two contracts
        for row in groups:
            row["consolidated_group"] = None


# --- writing ----------------------------------------------------------------------------------------------


class StoreNotEmpty(InputError):
    """The store already has customers; seeding again needs ``reset``."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    customers: int
    contracts: int
    emails: int
    usage_rows: int
    invoices: int
    seconds: float


def seed_store(
    engine: Engine,
    *,
    customers: int,
    seed: int,
    today: dt.date,
    months: int = 24,
    invoice_months: int = 12,
    contracts: int | None = None,
    demo: bool = True,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Fill an empty (migrated) store in one transaction; ``reset`` first deletes every row of every table.

    Raises :class:`StoreNotEmpty` when customers exist and ``reset`` is false. ``progress`` is called
    with (customers written, contracts written) after each chunk.
    """
    started = time.perf_counter()
    counts = dict.fromkeys(("customer", "contact_email", "contract", "monthly_usage", "invoice"), 0)
    with engine.begin() as conn:
        if reset:
            _reset(conn)
        elif conn.execute(select(func.count()).select_from(_table(Customer))).scalar_one():
            raise StoreNotEmpty(
                "契約ストアにはすでにデータがあります。入れ直す場合は --reset を指定してください"
                "（問い合わせ・下書きを含むすべてのデータが削除されます）。"
            )
        for batch in generate(
            customers=customers,
            seed=seed,
            today=today,
            months=months,
            invoice_months=invoice_months,
            contracts=contracts,
            demo=demo,
        ):
            for table, columns, rows in batch.tables():
                if rows:
                    _insert(conn, table, columns, rows)
                    counts[table.name] += len(rows)
            if progress is not None:
                progress(counts["customer"], counts["contract"])
        _fix_sequences(conn)
    return SeedResult(
        customers=counts["customer"],
        contracts=counts["contract"],
        emails=counts["contact_email"],
        usage_rows=counts["monthly_usage"],
        invoices=counts["invoice"],
        seconds=time.perf_counter() - started,
    )


def _insert(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[Row]) -> None:
    """Straight to the driver: SQLAlchemy's per-row processing would double the seed time."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        # COPY is several times faster than executemany; psycopg writes Decimal, date and None itself.
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        # Store values the way SQLAlchemy's SQLite types do: dates as ISO text, decimals as numbers.
        convert = [
            (i, _SQLITE_CONVERT[type(table.c[c].type)])
            for i, c in enumerate(columns)
            if type(table.c[c].type) in _SQLITE_CONVERT
        ]
        if convert:
            rows = _sqlite_rows(rows, convert)
    marks = ", ".join("?" if conn.dialect.paramstyle == "qmark" else "%s" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _sqlite_rows(rows: list[Row], convert: list[tuple[int, Callable[[Any], Any]]]) -> list[Row]:
    # Few distinct dates and unit prices recur in many rows: convert each distinct value once.
    memos: list[tuple[int, dict[Any, Any]]] = []
    for i, to_sqlite in convert:
        memo = {v: to_sqlite(v) for v in {row[i] for row in rows} if v is not None}
        memo[None] = None
        memos.append((i, memo))
    converted: list[Row] = []
    for row in rows:
        values = list(row)
        for i, memo in memos:
            values[i] = memo[values[i]]
        converted.append(tuple(values))
    return converted


_SQLITE_CONVERT: dict[type[Any], Callable[[Any], Any]] = {
    Numeric: float,
    Date: dt.date.isoformat,
    Boolean: int,
}


def _reset(conn: Connection) -> None:
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables)]
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in tables:
        conn.execute(table.delete())


def _fix_sequences(conn: Connection) -> None:
    # Ids were given explicitly; PostgreSQL's sequences must learn the highest one or later inserts collide.
    if conn.dialect.name != "postgresql":
        return
    for model in (Customer, Contract):
        name = _table(model).name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )
        )
