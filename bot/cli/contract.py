"""``madoguchi contract show | search``: a staff member's view of a customer and its facilities.

``show`` takes whatever identifier the person has at hand — a 契約番号 (``EG20240123``), a お客さま番号
(``30012345``), a registered e-mail address, a 供給地点特定番号 or a phone number — written the way
customers write them (full-width, hyphens). An unknown identifier ends with a Japanese message and exit
code 2; ``--json`` prints the same facts for machines.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bot.cli.common import console, fail, load_settings, print_json, user_errors
from bot.cli.db import parse_day, store

if TYPE_CHECKING:
    from sqlmodel import Session

    from desk.casefile import ContractView, CustomerView
    from store.models import Customer

Emails = list[tuple[str, str]]  # (registered address, person)

contract_app = typer.Typer(
    help="契約の照会: お客さま・需要場所ごとの契約内容 (look up customers and contracts).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="結果をJSONで出力します。")]
TodayOption = Annotated[
    str | None, typer.Option("--today", help="次回支払期日を求める基準日 YYYY-MM-DD（既定: 今日）。")
]

_VOLTAGE = {"high": "高圧", "extra_high": "特別高圧"}
_SCHEME = {"jitsuryo": "実量制", "kyogi": "協議制"}
_SUPPLY = {"full": "全量供給", "partial": "部分供給"}
_PAYMENT = {"debit": "口座引落", "transfer": "銀行振込"}
_STATUS = {"active": "契約中", "cancellation_requested": "解約お申し込み済み", "ended": "契約終了"}
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−ー－]+")


@contract_app.command("show")
def show(
    ctx: typer.Context,
    identifier: Annotated[
        str, typer.Argument(help="契約番号・お客さま番号・登録メールアドレス・供給地点特定番号・電話番号")
    ],
    today: TodayOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a customer, its registered addresses and every contract with its last bill."""
    from sqlmodel import Session

    settings = load_settings(ctx)
    day = parse_day(today, timezone=settings.timezone, as_json=as_json)
    with user_errors(as_json=as_json), store(settings) as engine, Session(engine) as session:
        views = _find(session, identifier)
        if not views:
            fail(f"「{identifier}」に該当するお客さま・契約は見つかりませんでした。", as_json=as_json)
        if as_json:
            print_json({"query": identifier, "customers": [_json(v, e, day) for v, e in views]})
            return
        for view, emails in views:
            _print(view, emails, day)


@contract_app.command("search")
def search(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="会社名（㈱・株式会社・全角半角・空白は区別しません）")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=50, help="表示する最大件数。")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Find customers by a company name written any common way."""
    from sqlmodel import Session

    from store.lookup import search_customers_by_name

    settings = load_settings(ctx)
    with user_errors(as_json=as_json), store(settings) as engine, Session(engine) as session:
        hits = search_customers_by_name(session=session, name=name, limit=limit)
    if as_json:
        print_json([{"customer_no": c.customer_no, "name": c.name, "score": round(s, 1)} for c, s in hits])
        return
    if not hits:
        fail(f"「{name}」に近い会社名のお客さまは見つかりませんでした。", as_json=False)
    table = Table(title=f"「{name}」の検索結果", title_justify="left")
    for label in ("お客さま番号", "会社名", "一致度"):
        table.add_column(label)
    for customer, score in hits:
        table.add_row(customer.customer_no, customer.name, f"{score:.0f}")
    console.print(table)


# --- finding ----------------------------------------------------------------------------------------------


def _find(session: Session, identifier: str) -> list[tuple[CustomerView, Emails]]:
    """The customers an identifier points to, each with its registered addresses (InputError if malformed)."""
    from store import lookup
    from store.models import Customer

    text = unicodedata.normalize("NFKC", identifier).strip()
    compact = _SEPARATORS.sub("", text).upper()
    customers: list[Customer] = []
    if "@" in text:
        customers = lookup.customers_by_email(session=session, email=text)
    elif compact.startswith("EG") or len(compact) == 22:
        if compact.startswith("EG"):
            contract = lookup.find_contract(session=session, contract_no=compact)
        else:
            contract = lookup.find_contract_by_supply_point(session=session, supply_point_id=compact)
        customer = None if contract is None else session.get(Customer, contract.customer_id)
        customers = [customer] if customer is not None else []
    elif compact.startswith("0"):
        customers = lookup.find_customers_by_phone(session=session, phone=compact)
    else:
        customer = lookup.find_customer(session=session, customer_no=compact)
        customers = [customer] if customer is not None else []
    found = []
    for customer in customers:
        assert customer.id is not None
        view = lookup.load_customer_view(session=session, customer_id=customer.id)
        found.append((view, _emails(session, customer.id)))
    return found


def _emails(session: Session, customer_id: int) -> Emails:
    from sqlmodel import col, select

    from store.models import ContactEmail

    statement = (
        select(ContactEmail).where(ContactEmail.customer_id == customer_id).order_by(col(ContactEmail.id))
    )
    return [(e.email, e.person) for e in session.exec(statement)]


# --- facts ------------------------------------------------------------------------------------------------


def _area(code: str) -> str:
    from desk.rules.areas import area

    a = area(code)
    note = f"（{a.frequency_note}）" if a.frequency_note else ""
    return f"{a.name}（{a.grid_operator}・{a.frequency_hz}Hz{note}）"


def _next_due(contract: ContractView, today: dt.date) -> dt.date | None:
    from desk.rules.payment import next_due_date

    if contract.status == "ended":
        return None
    return next_due_date(metering_day=contract.metering_day, method=contract.payment_method, today=today)[
        1
    ].actual


def _kw(value: Decimal) -> str:
    return f"{value.normalize():,f} kW"


def _yen(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():,f} 円"


def _month(day: dt.date) -> str:
    return f"{day.year}年{day.month}月分"


def _date(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _contract_rows(contract: ContractView, today: dt.date) -> list[tuple[str, str]]:
    rows = [
        ("契約番号", contract.contract_no),
        ("需要場所", contract.facility_name),
        ("所在地", contract.facility_address or "—"),
        ("供給地点特定番号", contract.supply_point_id),
        ("エリア", _area(contract.grid_area)),
        ("供給電圧", _VOLTAGE.get(contract.voltage, contract.voltage)),
        ("契約電力の決め方", _SCHEME.get(contract.scheme, contract.scheme)),
        ("契約電力", _kw(contract.contract_power_kw)),
        ("基本料金単価", f"{_yen(contract.basic_unit_price)}/kW"),
        ("電力量料金単価", f"{_yen(contract.energy_unit_price)}/kWh"),
        ("力率", f"{contract.power_factor}%"),
        ("供給方式", _SUPPLY.get(contract.supply_method, contract.supply_method)),
        ("供給開始日", _date(contract.supply_start)),
        ("契約適用日", _date(contract.applied_on)),
        ("計量日", f"毎月{contract.metering_day}日"),
        ("支払方法", _PAYMENT.get(contract.payment_method, contract.payment_method)),
        ("次回支払期日", _date(_next_due(contract, today))),
        ("状態", _STATUS.get(contract.status, contract.status)),
    ]
    if contract.last_power_increase_on is not None:
        rows.insert(8, ("契約電力の増加日", _date(contract.last_power_increase_on)))
    if contract.consolidated_group:
        rows.append(("おまとめ請求", f"あり（グループ {contract.consolidated_group}）"))
    if contract.invoices:
        last = contract.invoices[-1]
        paid = "お支払い済み" if last.paid else "未払い"
        rows.append(
            (
                "前回請求",
                f"{_month(last.billing_month)} {_yen(last.amount)}（期日 {_date(last.due_date)}・{paid}）",
            )
        )
    elif contract.usage:
        rows.append(("前回請求", f"{_month(contract.usage[-1].month)} {_yen(contract.usage[-1].total)}"))
    return rows


def _print(view: CustomerView, emails: Emails, today: dt.date) -> None:
    head = Table(
        title=f"{view.name}（お客さま番号 {view.customer_no}）", show_header=False, title_justify="left"
    )
    head.add_column("項目", style="bold")
    head.add_column("値")
    head.add_row("お客さま番号", view.customer_no)
    head.add_row("会社名", view.name)
    head.add_row("ご担当者", view.contact_person or "—")
    addresses = [f"{email}（{person}）" if person else email for email, person in emails]
    head.add_row("登録メールアドレス", "\n".join(addresses) or "—")
    head.add_row("請求書送付先", view.billing_address or "—")
    head.add_row("宛名", view.billing_addressee or "—")
    head.add_row("契約数", f"{len(view.contracts)} 件")
    console.print(head)
    for contract in view.contracts:
        table = Table(
            title=f"契約 {contract.contract_no} {contract.facility_name}",
            show_header=False,
            title_justify="left",
        )
        table.add_column("項目", style="bold")
        table.add_column("値")
        for label, value in _contract_rows(contract, today):
            table.add_row(label, value)
        console.print(table)


def _json(view: CustomerView, emails: Emails, today: dt.date) -> dict[str, Any]:
    contracts = []
    for contract in view.contracts:
        last = contract.invoices[-1] if contract.invoices else None
        due = _next_due(contract, today)
        contracts.append(
            {
                "contract_no": contract.contract_no,
                "supply_point_id": contract.supply_point_id,
                "facility_name": contract.facility_name,
                "facility_address": contract.facility_address,
                "grid_area": contract.grid_area,
                "area": _area(contract.grid_area),
                "voltage": contract.voltage,
                "scheme": contract.scheme,
                "contract_power_kw": str(contract.contract_power_kw),
                "basic_unit_price": str(contract.basic_unit_price),
                "energy_unit_price": str(contract.energy_unit_price),
                "power_factor": contract.power_factor,
                "supply_method": contract.supply_method,
                "supply_start": contract.supply_start.isoformat(),
                "applied_on": contract.applied_on.isoformat(),
                "last_power_increase_on": _iso(contract.last_power_increase_on),
                "metering_day": contract.metering_day,
                "payment_method": contract.payment_method,
                "consolidated_group": contract.consolidated_group,
                "status": contract.status,
                "next_due_date": _iso(due),
                "last_invoice": None
                if last is None
                else {
                    "billing_month": last.billing_month.isoformat(),
                    "amount": last.amount,
                    "due_date": last.due_date.isoformat(),
                    "paid": last.paid,
                },
            }
        )
    return {
        "customer_no": view.customer_no,
        "name": view.name,
        "contact_person": view.contact_person,
        "emails": [email for email, _ in emails],
        "billing_address": view.billing_address,
        "billing_addressee": view.billing_addressee,
        "contracts": contracts,
    }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def register(app: typer.Typer) -> None:
    app.add_typer(contract_app, name="contract")
