"""``madoguchi calc penalty | due-date | contract-power | overage``: the business rules by hand.

Every argument is read as text and checked here, so bad input (an impossible date, a negative kW, a word
where a number belongs) ends with a clear Japanese message and exit code 2 — with ``--json`` as
``{"error": "…"}`` — never a traceback.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import console, fail, print_json, user_errors

calc_app = typer.Typer(
    help="業務ルールの計算: 解約違約金・支払期日・契約電力・契約超過金 (business-rule calculators).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="結果を1つのJSONオブジェクトで出力します。")]


def _date(value: str, label: str, *, as_json: bool) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(
            f"{label}「{value}」は存在しない日付か、形式が正しくありません（例: 2027-03-31）。",
            as_json=as_json,
        )


def _decimal(value: str, label: str, *, as_json: bool) -> Decimal:
    try:
        number = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        fail(f"{label}「{value}」は数値ではありません。", as_json=as_json)
    if not number.is_finite():
        fail(f"{label}「{value}」は数値ではありません。", as_json=as_json)
    if number < 0:
        fail(f"{label}は0以上の数値で指定してください（{value}）。", as_json=as_json)
    return number


def _int(value: str, label: str, *, as_json: bool) -> int:
    number = _decimal(value, label, as_json=as_json)
    if number != number.to_integral_value():
        fail(f"{label}「{value}」は整数で指定してください。", as_json=as_json)
    return int(number)


def _number(value: Decimal) -> int | float:
    """A JSON number: an int when whole (0, 3), else a float (1.5)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _exact(value: Decimal) -> str:
    """An exact amount with thousands separators, without a trailing ``.0``."""
    return f"{int(value):,}" if value == value.to_integral_value() else f"{value.normalize():,f}"


def _yen(value: int | None) -> str:
    return "—（個別判断）" if value is None else f"{value:,} 円"


def _show(title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("項目", style="bold")
    table.add_column("値")
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)


_REASONS = {"switch": "他社への切替", "removal": "設備撤去（閉店・移転等）", "other": "その他"}


@calc_app.command("penalty")
def penalty(
    applied: Annotated[str, typer.Option("--applied", help="契約適用日 (YYYY-MM-DD)。")],
    notice: Annotated[str, typer.Option("--notice", help="解約のお申し出日 (YYYY-MM-DD)。")],
    cancel: Annotated[str, typer.Option("--cancel", help="解約日 (YYYY-MM-DD)。")],
    reason: Annotated[str, typer.Option("--reason", help="解約理由: switch | removal | other。")],
    kw: Annotated[str, typer.Option("--kw", help="契約最終月の契約電力 (kW)。")],
    unit: Annotated[str, typer.Option("--unit", help="基本料金単価 (円/kW)。")],
    as_json: JsonOption = False,
) -> None:
    """解約違約金の試算: 約款の表のどの行に当たるかと金額 (penalty table row and amount)."""
    from desk.rules.cancellation import assess_cancellation

    args = (
        _date(applied, "契約適用日", as_json=as_json),
        _date(notice, "お申し出日", as_json=as_json),
        _date(cancel, "解約日", as_json=as_json),
    )
    if reason not in _REASONS:
        fail(f"解約理由「{reason}」は switch・removal・other のいずれかで指定してください。", as_json=as_json)
    power, price = _decimal(kw, "契約電力", as_json=as_json), _decimal(unit, "基本料金単価", as_json=as_json)
    with user_errors(as_json=as_json):
        result = assess_cancellation(
            applied_on=args[0],
            notice_on=args[1],
            cancel_on=args[2],
            reason=reason,
            contract_power_kw=power,
            basic_unit_price=price,
        )
    if as_json:
        print_json(
            {
                "multiplier": None if result.multiplier is None else _number(result.multiplier),
                "penalty_yen": result.penalty_yen,
                "notice_deadline": result.notice_deadline.isoformat(),
                "term_end": result.term_end.isoformat(),
            }
        )
        return
    multiplier = (
        "—（約款の表にない理由のため個別判断）" if result.multiplier is None else f"{result.multiplier} 倍"
    )
    _show(
        "解約違約金の試算",
        [
            ("解約理由", _REASONS[reason]),
            ("契約期間の満了日", result.term_end.isoformat()),
            ("満了日での解約", "はい" if result.on_term_end else "いいえ（契約期間の途中）"),
            ("お申し出期限", result.notice_deadline.isoformat()),
            ("期限内のお申し出", "はい" if result.notice_in_time else "いいえ"),
            ("倍率", multiplier),
            ("解約違約金", _yen(result.penalty_yen)),
        ],
    )


@calc_app.command("due-date")
def due_date_cmd(
    metering: Annotated[str, typer.Option("--metering", help="計量日 (YYYY-MM-DD)。")],
    method: Annotated[
        str, typer.Option("--method", help="支払方法: debit（口座引落）| transfer（銀行振込）。")
    ],
    as_json: JsonOption = False,
) -> None:
    """引落日・振込期日の計算: 計量日から求め、金融機関休業日は翌営業日 (debit date / transfer deadline)."""
    from desk.rules.payment import due_date

    day = _date(metering, "計量日", as_json=as_json)
    with user_errors(as_json=as_json):
        result = due_date(metering=day, method=method)
    if as_json:
        print_json({"due_date": result.actual.isoformat(), "nominal_date": result.nominal.isoformat()})
        return
    label = "引落日" if method == "debit" else "振込期日"
    _show(
        f"{label}の計算",
        [
            ("計量日", day.isoformat()),
            (f"規定の{label}", result.nominal.isoformat()),
            (
                label,
                result.actual.isoformat() + ("（金融機関休業日のため翌営業日）" if result.shifted else ""),
            ),
        ],
    )


@calc_app.command("contract-power")
def contract_power(
    max_demand: Annotated[
        str, typer.Option("--max-demand", help="当月を含む過去12か月の最大電力 (kW)、カンマ区切り 1〜12個。")
    ],
    as_json: JsonOption = False,
) -> None:
    """実量制の契約電力: 当月を含む12か月の最大電力の最大値、500kW以上は協議制へ (contract power)."""
    from desk.rules.contract_power import jitsuryo_contract_power

    values = [_decimal(v, "最大電力", as_json=as_json) for v in max_demand.split(",") if v.strip()]
    with user_errors(as_json=as_json):
        result = jitsuryo_contract_power(values)
    if as_json:
        print_json(
            {
                "contract_power_kw": _number(result.contract_power_kw),
                "must_move_to_kyogi": result.must_move_to_kyogi,
            }
        )
        return
    _show(
        "実量制の契約電力",
        [
            ("対象月数", f"{len(values)} か月"),
            ("契約電力", f"{result.contract_power_kw} kW"),
            ("協議制への移行", "必要（500kW以上）" if result.must_move_to_kyogi else "不要"),
        ],
    )


@calc_app.command("overage")
def overage(
    contract_kw: Annotated[str, typer.Option("--contract-kw", help="契約電力 (kW)。")],
    max_demand_kw: Annotated[str, typer.Option("--max-demand-kw", help="最大電力 (kW)。")],
    unit: Annotated[str, typer.Option("--unit", help="基本料金単価 (円/kW)。")],
    power_factor: Annotated[str, typer.Option("--power-factor", help="力率 (%)、1〜100。")],
    as_json: JsonOption = False,
) -> None:
    """契約超過金の試算: 超過デマンド × 単価 × 1.5 − 力率割引 (overage charge)."""
    from desk.rules.contract_power import overage_charge

    contract = _decimal(contract_kw, "契約電力", as_json=as_json)
    demand = _decimal(max_demand_kw, "最大電力", as_json=as_json)
    price = _decimal(unit, "基本料金単価", as_json=as_json)
    pf = _int(power_factor, "力率", as_json=as_json)
    with user_errors(as_json=as_json):
        result = overage_charge(
            contract_power_kw=contract, max_demand_kw=demand, basic_unit_price=price, power_factor=pf
        )
    if as_json:
        print_json({"overage_yen": result.overage_yen})
        return
    discount = "力率割引" if result.pf_discount_yen >= 0 else "力率割増"
    _show(
        "契約超過金の試算",
        [
            ("超過デマンド", f"{result.excess_kw} kW"),
            ("超過デマンド × 単価 × 1.5", f"{_exact(result.base_yen)} 円"),
            (discount, f"{_exact(abs(result.pf_discount_yen))} 円"),
            ("契約超過金（円未満切り捨て）", f"{result.overage_yen:,} 円"),
        ],
    )


def register(app: typer.Typer) -> None:
    app.add_typer(calc_app, name="calc")
