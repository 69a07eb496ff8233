"""CSV import against the real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from desk.errors import InputError
from store.importer import LAYOUTS, import_csv
from store.models import ContactEmail, Contract, Customer, Invoice, MonthlyUsage

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
ORDER = ("customers", "contacts", "contracts", "usage", "invoices")


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _import_samples(engine: Engine) -> None:
    for table in ORDER:
        result = import_csv(engine, table, SAMPLES / f"{table}.csv")
        assert result.errors == [] and result.applied, (table, result.errors)


def test_every_sample_file_has_exactly_its_documented_header() -> None:
    for table, layout in LAYOUTS.items():
        header = (SAMPLES / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert tuple(header) == layout.headers
        assert f"`{table}`" in (SAMPLES.parent / "import.md").read_text(encoding="utf-8")


def test_the_samples_import_into_every_table_with_their_values(engine: Engine) -> None:
    _import_samples(engine)
    with Session(engine) as session:
        customer = session.exec(select(Customer).where(Customer.customer_no == "30012345")).one()
        assert customer.name == "さくら精機株式会社" and customer.phone_digits == "0312345678"
        assert customer.name_key  # searchable by company name like seeded customers
        contract = session.exec(select(Contract).where(Contract.contract_no == "EG20190002")).one()
        assert contract.customer_id != customer.id
        assert contract.scheme == "kyogi" and contract.payment_method == "transfer"
        assert contract.contract_power_kw == Decimal("650.0") and contract.grid_area == "03"
        first = session.exec(select(Contract).where(Contract.contract_no == "EG20190001")).one()
        assert first.voltage == "high" and first.scheme == "jitsuryo"  # 高圧 / 実量制 accepted
        assert first.supply_start == dt.date(2019, 4, 1) and first.energy_unit_price_summer is None
        usage = session.exec(select(MonthlyUsage).where(MonthlyUsage.contract_id == first.id)).one()
        assert usage.month == dt.date(2026, 9, 1) and usage.fuel_adjustment_unit == Decimal("-1.20")
        invoice = session.exec(select(Invoice).where(Invoice.contract_id == first.id)).one()
        assert invoice.paid is True and invoice.due_date == dt.date(2026, 10, 26)
        emails = session.exec(select(ContactEmail.email)).all()
        assert sorted(emails) == ["h.sato@minato-reizo.example.jp", "k.tanaka@sakura-seiki.example.jp"]


def test_importing_the_same_files_twice_changes_nothing(engine: Engine) -> None:
    _import_samples(engine)
    for table in ORDER:
        again = import_csv(engine, table, SAMPLES / f"{table}.csv")
        assert (again.inserted, again.updated, again.applied) == (0, 0, False), table
        assert again.unchanged == again.rows == 2
    with Session(engine) as session:
        assert len(session.exec(select(ContactEmail)).all()) == 2


def test_a_changed_row_updates_the_stored_one_by_its_key(engine: Engine, tmp_path: Path) -> None:
    _import_samples(engine)
    text = (SAMPLES / "contracts.csv").read_text(encoding="utf-8").replace(",320,", ",350,")
    result = import_csv(engine, "contracts", _write(tmp_path / "c.csv", text))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    with Session(engine) as session:
        contract = session.exec(select(Contract).where(Contract.contract_no == "EG20190001")).one()
        assert contract.contract_power_kw == Decimal("350")
        assert len(session.exec(select(Contract)).all()) == 2


BAD_CONTRACTS = """\
contract_no,customer_no,supply_point_id,facility_name,contract_power_kw,basic_unit_price,energy_unit_price,supply_start,applied_on,metering_day
EG1234,30012345,0300111122223333444411,A,320,1650,16.8,2019-04-01,2024-04-01,15
EG20190011,39999999,0300111122223333444412,B,320,1650,16.8,2019-04-01,2024-04-01,15
EG20190012,30012345,0300111122223333444413,C,三百,1650,16.8,2019-04-01,2024-04-01,15
EG20190013,30012345,0300111122223333444414,D,320,1650,16.8,2026-13-40,2024-04-01,15
EG20190014,30012345,0300111122223333444415,E,320,1650,16.8,2019-04-01,2024-04-01,15
EG20190014,30012345,0300111122223333444416,F,320,1650,16.8,2019-04-01,2024-04-01,15
EG20190015,30012345,0300111122223333444417,G,320,1650,16.8,2019/4/1,2024-04-01,15
"""


def test_each_bad_row_gets_a_line_numbered_japanese_error_and_nothing_is_imported(
    engine: Engine, tmp_path: Path
) -> None:
    import_csv(engine, "customers", SAMPLES / "customers.csv")
    result = import_csv(engine, "contracts", _write(tmp_path / "bad.csv", BAD_CONTRACTS))
    errors = {e.line: e.message for e in result.errors}
    assert sorted(errors) == [2, 3, 4, 5, 7]
    assert "契約番号（contract_no）「EG1234」の形式が正しくありません" in errors[2]
    assert "お客さま番号「39999999」のお客さまが登録されていません" in errors[3]
    assert "契約電力（kW）（contract_power_kw）「三百」が数値ではありません" in errors[4]
    assert "供給開始日（supply_start）「2026-13-40」は日付として正しくありません" in errors[5]
    assert "契約番号「EG20190014」が 6行目と重複しています" in errors[7]
    assert str(result.errors[0]).startswith("2行目: ")
    assert not result.applied
    with Session(engine) as session:
        assert session.exec(select(Contract)).all() == []


def test_skip_bad_imports_the_good_rows_only(engine: Engine, tmp_path: Path) -> None:
    import_csv(engine, "customers", SAMPLES / "customers.csv")
    result = import_csv(engine, "contracts", _write(tmp_path / "bad.csv", BAD_CONTRACTS), skip_bad=True)
    assert result.skipped == 5 and result.inserted == 2 and result.applied
    with Session(engine) as session:
        stored = sorted(session.exec(select(Contract.contract_no)).all())
    assert stored == ["EG20190014", "EG20190015"]  # the first of the duplicates, and 2019/4/1 read as a date


def test_dry_run_checks_and_counts_but_writes_nothing(engine: Engine) -> None:
    result = import_csv(engine, "customers", SAMPLES / "customers.csv", dry_run=True)
    assert result.inserted == 2 and not result.applied
    with Session(engine) as session:
        assert session.exec(select(Customer)).all() == []


def test_a_cp932_file_from_excel_is_read(engine: Engine, tmp_path: Path) -> None:
    text = (SAMPLES / "customers.csv").read_text(encoding="utf-8").replace("さくら精機", "髙橋①精機")
    result = import_csv(
        engine, "customers", _write(tmp_path / "sjis.csv", text.replace("\n", "\r\n"), "cp932")
    )
    assert result.encoding == "cp932" and result.inserted == 2
    with Session(engine) as session:
        names = sorted(session.exec(select(Customer.name)).all())
    assert "髙橋①精機株式会社" in names


def test_a_utf8_file_with_a_bom_is_read(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (SAMPLES / "customers.csv").read_bytes())
    assert import_csv(engine, "customers", path).inserted == 2


def test_a_wrong_header_is_refused_naming_the_columns(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", "customer_no,nmae\n30012345,x\n")
    with pytest.raises(InputError) as caught:
        import_csv(engine, "customers", path)
    assert "nmae" in str(caught.value) and "name" in str(caught.value) and "1行目" in str(caught.value)


def test_progress_is_reported_up_to_the_end(engine: Engine, tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "customers.csv", tmp_path / "c.csv")
    seen: list[tuple[int, int]] = []
    import_csv(
        engine, "customers", tmp_path / "c.csv", progress=lambda done, total: seen.append((done, total))
    )
    assert seen and seen[-1][0] == seen[-1][1]
