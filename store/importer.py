"""CSV import of a desk's own data: customers, contacts, contracts, usage and invoices.

Every table has one documented layout (docs/import.md; :data:`LAYOUTS` is the truth). A file is read whole,
every row is checked, and only then is anything written, in one transaction: a file with a bad row imports
nothing unless the caller asks to skip bad rows. Rows are upserted on their natural key (customer_no,
contract_no, and for the dependent tables the pair with the email or month), so importing the same file twice
changes nothing the second time. Input may be UTF-8 (with or without BOM) or CP932 as Excel writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from desk.errors import InputError
from store.models import (
    ContactEmail,
    Contract,
    ContractStatus,
    Customer,
    GridArea,
    Invoice,
    MonthlyUsage,
    PaymentMethod,
    Scheme,
    SupplyMethod,
    Voltage,
)
from store.names import (
    name_key,
    normalise_email,
    parse_contract_no,
    parse_customer_no,
    parse_supply_point_id,
    phone_digits,
)

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in all) while checking and writing."""

BATCH = 5000


# -- one column of a layout --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str  # the CSV header
    label: str  # how an error message names it
    kind: str  # text, customer_no, contract_no, supply_point, int, decimal, date, month, bool, email, choice
    required: bool = False
    max_length: int = 0
    choices: Mapping[str, str] = field(default_factory=dict)  # accepted spelling -> stored value
    minimum: int | None = None
    maximum: int | None = None

    @property
    def display(self) -> str:
        """How error messages name the column: its Japanese label and its header."""
        return f"{self.label}（{self.name}）"


def _choices(enum_values: Iterable[str], japanese: Mapping[str, str]) -> dict[str, str]:
    out = {v: v for v in enum_values}
    out.update(japanese)
    return out


VOLTAGES = _choices((v.value for v in Voltage), {"高圧": Voltage.HIGH, "特別高圧": Voltage.EXTRA_HIGH})
SCHEMES = _choices((s.value for s in Scheme), {"実量制": Scheme.JITSURYO, "協議制": Scheme.KYOGI})
SUPPLY_METHODS = _choices(
    (m.value for m in SupplyMethod), {"全量": SupplyMethod.FULL, "部分": SupplyMethod.PARTIAL}
)
PAYMENT_METHODS = _choices(
    (p.value for p in PaymentMethod), {"口座引落": PaymentMethod.DEBIT, "銀行振込": PaymentMethod.TRANSFER}
)
STATUSES = _choices(
    (s.value for s in ContractStatus),
    {
        "契約中": ContractStatus.ACTIVE,
        "解約申込済": ContractStatus.CANCELLATION_REQUESTED,
        "終了": ContractStatus.ENDED,
    },
)
GRID_AREAS = {g.value: g.value for g in GridArea}
BOOLS = {"true": "1", "1": "1", "yes": "1", "済": "1", "false": "0", "0": "0", "no": "0", "未": "0", "": "0"}


@dataclass(frozen=True)
class Layout:
    table: str  # the command's name for it
    model: type[SQLModel]
    key: tuple[str, ...]  # the CSV columns that identify a row
    columns: tuple[Column, ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


LAYOUTS: dict[str, Layout] = {
    "customers": Layout(
        "customers",
        Customer,
        ("customer_no",),
        (
            Column("customer_no", "お客さま番号", "customer_no", required=True),
            Column("name", "お客さま名", "text", required=True, max_length=200),
            Column("name_kana", "フリガナ", "text", max_length=200),
            Column("phone", "電話番号", "text", max_length=32),
            Column("postal_code", "郵便番号", "text", max_length=8),
            Column("address", "住所", "text", max_length=300),
            Column("billing_address", "請求書送付先", "text", max_length=300),
            Column("billing_addressee", "請求書宛名", "text", max_length=200),
            Column("contact_person", "ご担当者", "text", max_length=100),
        ),
    ),
    "contacts": Layout(
        "contacts",
        ContactEmail,
        ("customer_no", "email"),
        (
            Column("customer_no", "お客さま番号", "customer_no", required=True),
            Column("email", "メールアドレス", "email", required=True, max_length=254),
            Column("person", "ご担当者", "text", max_length=100),
        ),
    ),
    "contracts": Layout(
        "contracts",
        Contract,
        ("contract_no",),
        (
            Column("contract_no", "契約番号", "contract_no", required=True),
            Column("customer_no", "お客さま番号", "customer_no", required=True),
            Column("supply_point_id", "供給地点特定番号", "supply_point", required=True),
            Column("facility_name", "需要場所名", "text", required=True, max_length=200),
            Column("facility_address", "需要場所住所", "text", max_length=300),
            Column("voltage", "電圧", "choice", choices=VOLTAGES),
            Column("scheme", "契約電力の決定方法", "choice", choices=SCHEMES),
            Column("contract_power_kw", "契約電力（kW）", "decimal", required=True, minimum=0),
            Column("basic_unit_price", "基本料金単価", "decimal", required=True, minimum=0),
            Column("energy_unit_price", "電力量料金単価", "decimal", required=True, minimum=0),
            Column("energy_unit_price_summer", "夏季電力量料金単価", "decimal", minimum=0),
            Column("power_factor", "力率（%）", "int", minimum=0, maximum=100),
            Column("supply_method", "供給方法", "choice", choices=SUPPLY_METHODS),
            Column("supply_start", "供給開始日", "date", required=True),
            Column("applied_on", "契約適用日", "date", required=True),
            Column("last_power_increase_on", "最終増加日", "date"),
            Column("metering_day", "計量日", "int", required=True, minimum=1, maximum=31),
            Column("payment_method", "支払方法", "choice", choices=PAYMENT_METHODS),
            Column("billing_address", "請求書送付先", "text", max_length=300),
            Column("billing_addressee", "請求書宛名", "text", max_length=200),
            Column("consolidated_group", "おまとめ請求グループ", "text", max_length=32),
            Column("status", "契約状態", "choice", choices=STATUSES),
        ),
    ),
    "usage": Layout(
        "usage",
        MonthlyUsage,
        ("contract_no", "month"),
        (
            Column("contract_no", "契約番号", "contract_no", required=True),
            Column("month", "使用月", "month", required=True),
            Column("kwh", "使用電力量（kWh）", "int", required=True, minimum=0),
            Column("max_demand_kw", "最大電力（kW）", "decimal", required=True, minimum=0),
            Column("power_factor", "力率（%）", "int", minimum=0, maximum=100),
            Column("contract_power_kw", "契約電力（kW）", "decimal", required=True, minimum=0),
            Column("fuel_adjustment_unit", "燃料費調整単価", "decimal", required=True),
            Column("renewable_unit", "再エネ賦課金単価", "decimal", required=True),
            Column("basic_charge", "基本料金（円）", "int", required=True),
            Column("energy_charge", "電力量料金（円）", "int", required=True),
            Column("fuel_adjustment", "燃料費調整額（円）", "int", required=True),
            Column("renewable_surcharge", "再エネ賦課金（円）", "int", required=True),
            Column("island_adjustment", "離島ユニバーサル調整額（円）", "int"),
            Column("total", "合計（円）", "int", required=True),
        ),
    ),
    "invoices": Layout(
        "invoices",
        Invoice,
        ("contract_no", "billing_month"),
        (
            Column("contract_no", "契約番号", "contract_no", required=True),
            Column("billing_month", "請求年月", "month", required=True),
            Column("amount", "請求金額（円）", "int", required=True),
            Column("due_date", "支払期日", "date", required=True),
            Column("paid", "入金済", "bool"),
        ),
    ),
}

# Values a blank optional cell stands for (the model's defaults).
DEFAULTS: dict[str, dict[str, Any]] = {
    "contracts": {
        "voltage": Voltage.HIGH.value,
        "scheme": Scheme.JITSURYO.value,
        "power_factor": 100,
        "supply_method": SupplyMethod.FULL.value,
        "payment_method": PaymentMethod.DEBIT.value,
        "status": ContractStatus.ACTIVE.value,
        "consolidated_group": None,
        "energy_unit_price_summer": None,
        "last_power_increase_on": None,
    },
    "usage": {"power_factor": 100, "island_adjustment": 0},
    "invoices": {"paid": False},
}


# -- results ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    line: int  # the line of the file (the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"{self.line}行目: {self.message}"


@dataclass
class ImportResult:
    table: str
    encoding: str
    rows: int = 0  # data rows read
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # bad rows left out under skip_bad
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False  # whether anything was written
    seconds: float = 0.0


# -- reading ------------------------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read as: UTF-8 (BOM or not) first, else what
    charset-normalizer finds among the Japanese encodings (Excel writes CP932)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp932", "shift_jis", "euc_jp", "iso2022_jp"]).best()
    if best is None:
        raise InputError("文字コードを判別できません。UTF-8 か Shift_JIS（CP932）で保存してください。")
    encoding = "cp932" if best.encoding in ("shift_jis", "cp932") else best.encoding
    # CP932 is a superset of Shift_JIS (①, ㈱, NEC/IBM kanji): decode with it whenever either was found.
    return data.decode(encoding, errors="strict"), encoding


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, (line number, cells) of every non-empty row, and the encoding."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"ファイルを読み込めません: {path}（{exc.strerror}）") from exc
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path.name} は空です（1行目に見出しが必要です）。") from None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(f"{reader.line_num}行目: CSV として読み取れません（{exc}）") from exc
    return [h.strip().lstrip("\ufeff") for h in header], rows, encoding


# -- checking one cell ----------------------------------------------------------------------------------------
class CellError(ValueError):
    pass


_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_MONTH_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2}))?月?")


def _text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


_IDENTIFIERS = {
    "customer_no": (parse_customer_no, "8桁の数字です"),
    "contract_no": (parse_contract_no, "EG＋8桁の数字です"),
    "supply_point": (parse_supply_point_id, "エリアコード01～10で始まる22桁の数字です"),
}
_PLAIN_ASCII = re.compile(r"[ -~]*")  # already what NFKC would give: skip the normalisation


def parse_cell(column: Column, raw: str) -> Any:
    value = raw.strip()
    label = column.display
    if not value:
        if column.required:
            raise CellError(f"{label}が空です")
        return None
    kind = column.kind
    if kind in _IDENTIFIERS:
        parse, shape = _IDENTIFIERS[kind]
        try:
            return parse(value)
        except InputError:
            raise CellError(f"{label}「{value}」の形式が正しくありません（{shape}）") from None
    if kind == "text":
        if column.max_length and len(value) > column.max_length:
            raise CellError(f"{label}が長すぎます（{column.max_length}文字まで）")
        return value
    folded = value if _PLAIN_ASCII.fullmatch(value) else _text(value)
    if kind == "email":
        email = normalise_email(folded)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise CellError(f"{label}「{value}」はメールアドレスの形式ではありません")
        return email
    if kind == "int":
        number = folded.replace(",", "")
        if not re.fullmatch(r"-?\d+", number):
            raise CellError(f"{label}「{value}」が整数ではありません")
        result = int(number)
        if column.minimum is not None and result < column.minimum:
            raise CellError(f"{label}「{value}」は {column.minimum} 以上にしてください")
        if column.maximum is not None and result > column.maximum:
            raise CellError(f"{label}「{value}」は {column.maximum} 以下にしてください")
        return result
    if kind == "decimal":
        try:
            number_d = Decimal(folded.replace(",", ""))
        except InvalidOperation:
            raise CellError(f"{label}「{value}」が数値ではありません") from None
        if not number_d.is_finite():
            raise CellError(f"{label}「{value}」が数値ではありません")
        if column.minimum is not None and number_d < column.minimum:
            raise CellError(f"{label}「{value}」は {column.minimum} 以上にしてください")
        return number_d
    if kind == "date":
        match = _DATE_RE.fullmatch(folded)
        try:
            if not match:
                raise ValueError
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise CellError(f"{label}「{value}」は日付として正しくありません（例: 2026-04-01）") from None
    if kind == "month":
        match = _MONTH_RE.fullmatch(folded)
        try:
            if not match or (match[3] and int(match[3]) != 1):
                raise ValueError
            return dt.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise CellError(f"{label}「{value}」は年月として正しくありません（例: 2026-04）") from None
    if kind == "bool":
        flag = BOOLS.get(folded.lower())
        if flag is None:
            raise CellError(f"{label}「{value}」は true / false で指定してください")
        return flag == "1"
    if kind == "choice":
        choice = column.choices.get(folded) or column.choices.get(folded.lower())
        if choice is None:
            allowed = " / ".join(column.choices)
            raise CellError(f"{label}「{value}」は次のいずれかにしてください: {allowed}")
        return str(choice)
    raise AssertionError(kind)


# -- the import ------------------------------------------------------------------------------------------------
def import_csv(
    engine: Engine,
    table: str,
    path: Path,
    *,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row of ``path`` against the ``table`` layout, then upsert them in one transaction.

    Nothing is written when ``dry_run``, or when a row is bad and ``skip_bad`` is not set (the result then
    lists every error with its line). Raises :class:`InputError` for a file that cannot be read at all
    (missing, undecodable, wrong header)."""
    if table not in LAYOUTS:
        raise InputError(f"取り込めるのは {' / '.join(LAYOUTS)} です（「{table}」は不明です）。")
    layout = LAYOUTS[table]
    started = time.perf_counter()
    header, rows, encoding = read_rows(path)
    _check_header(layout, header)
    result = ImportResult(table=table, encoding=encoding, rows=len(rows))
    positions = {name: header.index(name) for name in layout.headers if name in header}
    model_table: Table = layout.model.__table__  # type: ignore[attr-defined]

    # One transaction from the first read to the last write: the plan is made against what it writes over,
    # and a failure part-way leaves nothing behind.
    with engine.begin() as conn:
        refs = _references(conn, layout)
        existing = _existing(conn, layout, model_table)
        parsed: list[tuple[int, dict[str, Any]]] = []
        first_line: dict[tuple[Any, ...], int] = {}
        spid_line: dict[str, int] = {}  # a supply point belongs to one contract only
        for done, (line, cells) in enumerate(rows, start=1):
            values, problem = _row(layout, positions, cells, refs)
            if problem is None:
                key = tuple(values[k] for k in layout.key)
                spid = values.get("supply_point_id") if table == "contracts" else None
                if key in first_line:
                    problem = f"{_key_text(layout, key)}が {first_line[key]}行目と重複しています"
                elif spid is not None and spid in spid_line:
                    problem = f"供給地点特定番号「{spid}」が {spid_line[spid]}行目と重複しています"
                else:
                    first_line[key] = line
                    if spid is not None:
                        spid_line[spid] = line
            if problem is not None:
                result.errors.append(RowError(line, problem))
            else:
                parsed.append((line, values))
            if progress and (done % 1000 == 0 or done == len(rows)):
                progress(done, len(rows) * 2)
        if result.errors and skip_bad:
            result.skipped = len(result.errors)
        inserts, updates = _plan(layout, parsed, existing, result)
        if dry_run or (result.errors and not skip_bad):
            result.seconds = time.perf_counter() - started
            return result
        _write(conn, model_table, inserts, updates, progress, len(rows))
        result.applied = bool(inserts or updates)
    result.seconds = time.perf_counter() - started
    return result


def _check_header(layout: Layout, header: list[str]) -> None:
    unknown = [h for h in header if h not in layout.headers]
    missing = [c.name for c in layout.columns if c.required and c.name not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    problems = []
    if unknown:
        problems.append("不明な列: " + "、".join(unknown))
    if missing:
        problems.append("必須の列がありません: " + "、".join(missing))
    if duplicated:
        problems.append("列名が重複しています: " + "、".join(duplicated))
    if problems:
        raise InputError(
            f"1行目（見出し）: {'。'.join(problems)}。{layout.table} の列は {', '.join(layout.headers)} です"
            "（docs/import.md）。"
        )


def _key_text(layout: Layout, key: tuple[Any, ...]) -> str:
    labels = {c.name: c.label for c in layout.columns}
    return "・".join(f"{labels[k]}「{_show(v)}」" for k, v in zip(layout.key, key, strict=True))


def _show(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) and value.day == 1 else str(value)


@dataclass
class _Refs:
    customers: dict[str, int] = field(default_factory=dict)  # customer_no -> id
    contracts: dict[str, int] = field(default_factory=dict)  # contract_no -> id
    supply_points: dict[str, str] = field(default_factory=dict)  # supply_point_id -> contract_no


def _references(conn: Connection, layout: Layout) -> _Refs:
    refs = _Refs()
    names = set(layout.headers)
    if "customer_no" in names and layout.table != "customers":
        refs.customers = {no: i for i, no in conn.execute(select(Customer.id, Customer.customer_no))}  # type: ignore[call-overload]
    if layout.table in ("usage", "invoices"):
        refs.contracts = {no: i for i, no in conn.execute(select(Contract.id, Contract.contract_no))}  # type: ignore[call-overload]
    if layout.table == "contracts":
        refs.supply_points = dict(conn.execute(select(Contract.supply_point_id, Contract.contract_no)).all())  # type: ignore[call-overload]
    return refs


def _row(
    layout: Layout, positions: dict[str, int], cells: list[str], refs: _Refs
) -> tuple[dict[str, Any], str | None]:
    """The row's column values as stored (foreign keys resolved), or the first problem in plain words."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for column in layout.columns:
        at = positions.get(column.name)
        raw = cells[at] if at is not None and at < len(cells) else ""
        try:
            parsed = parse_cell(column, raw)
        except CellError as exc:
            problems.append(str(exc))
            continue
        if parsed is None:
            parsed = DEFAULTS.get(layout.table, {}).get(column.name, "" if column.kind == "text" else None)
        values[column.name] = parsed
    if len(cells) > len(positions) and any(c.strip() for c in cells[len(positions) :]):
        problems.append(f"列が多すぎます（見出しは {len(positions)} 列です）")
    if problems:
        return values, "、".join(problems)
    return _finish(layout, values, refs)


def _finish(layout: Layout, values: dict[str, Any], refs: _Refs) -> tuple[dict[str, Any], str | None]:
    table = layout.table
    if table == "customers":
        values["name_key"] = name_key(values["name"])
        values["phone_digits"] = phone_digits(values["phone"])
        return values, None
    if table in ("contacts", "contracts"):
        customer_id = refs.customers.get(values["customer_no"])
        if customer_id is None:
            return values, (
                f"お客さま番号「{values['customer_no']}」のお客さまが登録されていません"
                "（先に customers を取り込んでください）"
            )
        values["customer_id"] = customer_id
    if table == "contracts":
        spid = values["supply_point_id"]
        owner = refs.supply_points.get(spid)
        if owner is not None and owner != values["contract_no"]:
            return values, f"供給地点特定番号「{spid}」は既に契約「{owner}」で登録されています"
        values["grid_area"] = spid[:2]
    if table in ("usage", "invoices"):
        contract_id = refs.contracts.get(values["contract_no"])
        if contract_id is None:
            return values, (
                f"契約番号「{values['contract_no']}」の契約が登録されていません（先に contracts を取り込んでください）"
            )
        values["contract_id"] = contract_id
    return values, None


# What identifies a stored row of each table, as model columns.
_STORE_KEY: dict[str, tuple[str, ...]] = {
    "customers": ("customer_no",),
    "contacts": ("customer_id", "email"),
    "contracts": ("contract_no",),
    "usage": ("contract_id", "month"),
    "invoices": ("contract_id", "billing_month"),
}


def _stored_columns(layout: Layout, model_table: Table) -> list[str]:
    return [c.name for c in model_table.columns if c.name != "id"]


def _existing(conn: Connection, layout: Layout, model_table: Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = _STORE_KEY[layout.table]
    rows = conn.execute(select(model_table)).mappings()
    return {tuple(r[k] for k in keys): dict(r) for r in rows}


def _plan(
    layout: Layout,
    parsed: list[tuple[int, dict[str, Any]]],
    existing: dict[tuple[Any, ...], dict[str, Any]],
    result: ImportResult,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Which rows are new, which change a stored row, and how many are already stored as they are."""
    model_table: Table = layout.model.__table__  # type: ignore[attr-defined]
    columns = _stored_columns(layout, model_table)
    keys = _STORE_KEY[layout.table]
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for _line, values in parsed:
        row = {c: values[c] for c in columns if c in values}
        stored = existing.get(tuple(row[k] for k in keys))
        if stored is None:
            inserts.append(row)
        elif any(_differs(stored.get(c), v) for c, v in row.items()):
            updates.append({**row, "_id": stored["id"]})
        else:
            result.unchanged += 1
    result.inserted, result.updated = len(inserts), len(updates)
    return inserts, updates


def _differs(stored: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and stored is not None:
        return Decimal(str(stored)) != new
    return bool(stored != new)


def _write(
    conn: Connection,
    model_table: Table,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    progress: Progress | None,
    total: int,
) -> None:
    done = 0
    for start in range(0, len(inserts), BATCH):
        batch = inserts[start : start + BATCH]
        conn.execute(model_table.insert(), batch)
        done += len(batch)
        if progress:
            progress(total + done, total * 2)
    if updates:
        # Bound names differ from the column names: SQLAlchemy reserves those for its own SET parameters.
        names = [k for k in updates[0] if k != "_id"]
        statement = (
            model_table.update()
            .where(model_table.c.id == bindparam("b__id"))
            .values({n: bindparam(f"b_{n}") for n in names})
        )
        for start in range(0, len(updates), BATCH):
            batch = [{f"b_{k}": v for k, v in row.items()} for row in updates[start : start + BATCH]]
            conn.execute(statement, batch)
            done += len(batch)
            if progress:
                progress(total + done, total * 2)
    if progress:
        progress(total * 2, total * 2)
