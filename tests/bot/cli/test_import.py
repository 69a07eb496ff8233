"""``madoguchi import``: exit codes, messages and the progress bar, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from store.db import make_engine
from store.models import Customer

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'import.db'}"}


def _customers(env: dict[str, str]) -> list[str]:
    with Session(make_engine(env["MADOGUCHI_DATABASE_URL"])) as session:
        return sorted(session.exec(select(Customer.customer_no)).all())


def test_import_then_again_reports_new_then_unchanged(tmp_path: Path) -> None:
    env = _env(tmp_path)
    first = runner.invoke(app, ["import", "customers", str(SAMPLES / "customers.csv")], env=env)
    assert first.exit_code == 0, first.output
    assert "新規 2 件" in first.stdout
    assert "取り込み中" not in first.stderr  # no bar for a small file
    again = runner.invoke(app, ["import", "customers", str(SAMPLES / "customers.csv"), "--json"], env=env)
    out = json.loads(again.stdout)
    assert (out["inserted"], out["updated"], out["unchanged"], out["applied"]) == (0, 0, 2, False)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    result = runner.invoke(app, ["import", "customers", str(SAMPLES / "customers.csv"), "--dry-run"], env=env)
    assert result.exit_code == 0 and "書き込みなし" in result.stdout
    assert _customers(env) == []


def test_a_bad_row_exits_2_naming_the_line_and_imports_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    path = tmp_path / "c.csv"
    path.write_text("customer_no,name\n30012345,A社\n3001234X,B社\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "customers", str(path)], env=env)
    assert result.exit_code == 2
    assert "c.csv 3行目: お客さま番号（customer_no）「3001234X」の形式が正しくありません" in result.stderr
    assert "何も取り込んでいません" in result.stderr
    assert _customers(env) == []
    skipped = runner.invoke(app, ["import", "customers", str(path), "--skip-bad"], env=env)
    assert skipped.exit_code == 0 and _customers(env) == ["30012345"]


def test_a_missing_file_and_an_unknown_table_are_plain_errors(tmp_path: Path) -> None:
    env = _env(tmp_path)
    missing = runner.invoke(app, ["import", "customers", str(tmp_path / "none.csv")], env=env)
    assert missing.exit_code == 2 and "読み込めません" in missing.output and "Traceback" not in missing.output
    unknown = runner.invoke(app, ["import", "meters", str(SAMPLES / "customers.csv")], env=env)
    assert unknown.exit_code == 2


def test_a_large_file_shows_a_progress_bar(tmp_path: Path) -> None:
    env = _env(tmp_path)
    path = tmp_path / "many.csv"
    lines = ["customer_no,name"] + [f"{40000000 + i},会社{i}" for i in range(2500)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "customers", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "取り込み中" in result.stderr and "新規 2500 件" in result.stdout
