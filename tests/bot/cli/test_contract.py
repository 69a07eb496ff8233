"""``madoguchi contract show | search`` and ``madoguchi db seed`` through the real Typer app and a real store."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli.main import app
from store.seed import seed_store

runner = CliRunner()
TODAY = "2025-06-10"


@pytest.fixture
def db_env(db_url_and_schema: tuple[str, str | None], engine: Engine) -> dict[str, str]:
    """Settings pointing at the test store (a PostgreSQL schema travels in the URL's ``options``)."""
    _, schema = db_url_and_schema
    url = engine.url.render_as_string(hide_password=False)
    if schema is not None:
        url += f"?options=-csearch_path%3D{schema}"
    return {"MADOGUCHI_DATABASE_URL": url}


@pytest.fixture
def seeded_env(db_env: dict[str, str], engine: Engine) -> dict[str, str]:
    seed_store(engine, customers=5, seed=1, today=dt.date(2025, 6, 10))
    return db_env


def _run(env: dict[str, str], *args: str) -> Any:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_show_by_full_width_contract_number_prints_the_customer_in_japanese(
    seeded_env: dict[str, str],
) -> None:
    result = _run(seeded_env, "contract", "show", "ＥＧ－２０２４０１２３", "--today", TODAY)
    assert result.exit_code == 0
    out = result.stdout
    assert "株式会社さくら精機" in out and "30012345" in out
    assert "k.tanaka@sakura-seiki.example.jp" in out
    assert "東京（東京電力パワーグリッド・50Hz）" in out
    assert "実量制" in out and "協議制" in out and "口座引落" in out
    # Metering day 1, direct debit: May's bill (read 2025-06-01) is debited on Friday 2025-06-27.
    assert "2025年6月27日" in out


def test_show_json_by_email_lists_contracts_with_next_due_date(seeded_env: dict[str, str]) -> None:
    result = _run(
        seeded_env, "contract", "show", "H.Sato@Minato-Reizo.example.jp", "--json", "--today", TODAY
    )
    assert result.exit_code == 0
    (customer,) = json.loads(result.stdout)["customers"]
    assert customer["customer_no"] == "30000002"
    assert customer["emails"] == ["h.sato@minato-reizo.example.jp"]
    (contract,) = customer["contracts"]
    assert contract["contract_no"] == "EG30000021"
    assert (contract["contract_power_kw"], contract["scheme"]) == ("800.0", "kyogi")
    assert contract["last_power_increase_on"] == "2025-04-01"
    # Metering day 10, debit → the 27th of the next month: the 2025-05-10 reading is due on Friday
    # 2025-06-27, the first due date on or after today.
    assert contract["next_due_date"] == "2025-06-27"
    assert contract["last_invoice"]["billing_month"] == "2025-05-01"


def test_show_by_customer_number_with_hyphen(seeded_env: dict[str, str]) -> None:
    result = _run(seeded_env, "contract", "show", "3000-0005", "--json", "--today", TODAY)
    (customer,) = json.loads(result.stdout)["customers"]
    assert [c["contract_no"] for c in customer["contracts"]] == ["EG30000051", "EG30000052", "EG30000053"]
    assert {c["consolidated_group"] for c in customer["contracts"]} == {"G30000005"}


def test_show_unknown_contract_says_so_in_japanese_and_exits_2(seeded_env: dict[str, str]) -> None:
    result = _run(seeded_env, "contract", "show", "EG99999999")
    assert result.exit_code == 2
    assert "見つかりませんでした" in result.output


def test_show_malformed_contract_number_is_a_clear_error(seeded_env: dict[str, str]) -> None:
    result = _run(seeded_env, "contract", "show", "EG123", "--json")
    assert result.exit_code == 2
    assert "契約番号の形式" in json.loads(result.stdout)["error"]


def test_search_finds_legal_form_variant(seeded_env: dict[str, str]) -> None:
    result = _run(seeded_env, "contract", "search", "（株）みなと冷蔵", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0] == {
        "customer_no": "30000002",
        "name": "株式会社みなと冷蔵",
        "score": 100.0,
    }


def test_seed_command_fills_then_refuses_without_reset(db_env: dict[str, str]) -> None:
    args = ("db", "seed", "--customers", "3", "--seed", "5", "--today", TODAY, "--months", "13", "--json")
    first = _run(db_env, *args)
    assert first.exit_code == 0
    counts = json.loads(first.stdout)
    assert counts["customers"] == 3 + 7 and counts["usage_rows"] == counts["contracts"] * 13
    again = _run(db_env, *args)
    assert again.exit_code == 2 and "--reset" in json.loads(again.stdout)["error"]
    reset = _run(db_env, *args, "--reset")
    assert reset.exit_code == 0 and json.loads(reset.stdout)["contracts"] == counts["contracts"]


def test_seed_rejects_an_impossible_today(db_env: dict[str, str]) -> None:
    result = _run(db_env, "db", "seed", "--today", "2025-02-30")
    assert result.exit_code == 2 and "日付" in result.output
