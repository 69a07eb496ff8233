import json
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

runner = CliRunner()


def _json(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["calc", *args, "--json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, json.loads(result.stdout)


PENALTY = ["penalty", "--applied", "2025-08-01", "--kw", "33.3", "--unit", "1650"]


def test_penalty_inside_term_switch_is_three_times() -> None:
    code, out = _json(*PENALTY, "--notice", "2025-09-01", "--cancel", "2026-03-31", "--reason", "switch")
    assert code == 0
    # 33.3 × 1,650 × 3 = 164,835; deadline 2026-03-31 − 3 months = 2025-12-31 (month end)
    assert out == {
        "multiplier": 3,
        "penalty_yen": 164_835,
        "notice_deadline": "2025-12-31",
        "term_end": "2026-07-31",
    }


def test_penalty_on_term_end_with_notice_in_time_is_zero() -> None:
    code, out = _json(*PENALTY, "--notice", "2026-04-30", "--cancel", "2026-07-31", "--reason", "switch")
    assert (code, out["multiplier"], out["penalty_yen"]) == (0, 0, 0)
    assert out["notice_deadline"] == "2026-04-30"


def test_penalty_late_notice_multiplier_is_the_json_number_one_and_a_half() -> None:
    code, out = _json(*PENALTY, "--notice", "2026-05-01", "--cancel", "2026-07-31", "--reason", "other")
    assert code == 0
    assert out["multiplier"] == 1.5
    assert out["penalty_yen"] == 82_417  # 33.3 × 1,650 × 1.5 = 82,417.5


def test_penalty_other_reason_inside_term_is_null() -> None:
    code, out = _json(*PENALTY, "--notice", "2025-09-01", "--cancel", "2026-03-31", "--reason", "other")
    assert code == 0
    assert out["multiplier"] is None
    assert out["penalty_yen"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--notice", "2025-09-01", "--cancel", "2027-02-30", "--reason", "switch"], "2027-02-30"),
        (["--notice", "2025-01-01", "--cancel", "2025-07-31", "--reason", "switch"], "契約適用日"),
        (["--notice", "2026-08-01", "--cancel", "2026-07-31", "--reason", "switch"], "お申し出日"),
        (["--notice", "2025-09-01", "--cancel", "2026-03-31", "--reason", "moving"], "解約理由"),
    ],
)
def test_penalty_bad_input_is_a_json_error_with_exit_2(args: list[str], needle: str) -> None:
    code, out = _json(*PENALTY, *args)
    assert code == 2
    assert list(out) == ["error"]
    assert needle in out["error"]


def test_penalty_negative_kw_is_a_json_error() -> None:
    args = ["penalty", "--applied", "2025-08-01", "--notice", "2025-09-01", "--cancel", "2026-03-31"]
    code, out = _json(*args, "--reason", "switch", "--kw", "-1", "--unit", "1650")
    assert code == 2
    assert "契約電力" in out["error"]


def test_penalty_bad_input_without_json_is_a_plain_message() -> None:
    result = runner.invoke(
        app, ["calc", *PENALTY, "--notice", "2025-09-01", "--cancel", "2027-02-30", "--reason", "switch"]
    )
    assert result.exit_code == 2
    assert "2027-02-30" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_penalty_human_output_has_japanese_labels() -> None:
    result = runner.invoke(
        app, ["calc", *PENALTY, "--notice", "2025-09-01", "--cancel", "2026-03-31", "--reason", "switch"]
    )
    assert result.exit_code == 0
    assert "解約違約金" in result.stdout
    assert "164,835 円" in result.stdout


def test_due_date_moves_past_the_new_year_closure() -> None:
    code, out = _json("due-date", "--metering", "2026-11-20", "--method", "transfer")
    # last day of next month 2026-12-31 → banks closed until 01-03 (Sun) → 2027-01-04
    assert (code, out) == (0, {"due_date": "2027-01-04", "nominal_date": "2026-12-31"})


def test_due_date_debit_metering_day_1() -> None:
    code, out = _json("due-date", "--metering", "2025-06-01", "--method", "debit")
    assert (code, out) == (0, {"due_date": "2025-06-27", "nominal_date": "2025-06-27"})


def test_due_date_unknown_method_is_a_json_error() -> None:
    code, out = _json("due-date", "--metering", "2025-06-01", "--method", "cash")
    assert code == 2
    assert "支払方法" in out["error"]


def test_contract_power_at_500_must_move_to_kyogi() -> None:
    code, out = _json("contract-power", "--max-demand", "310,322,298,355,401,500,472,390,350,330,320,300")
    assert (code, out) == (0, {"contract_power_kw": 500, "must_move_to_kyogi": True})


def test_contract_power_499_9_stays() -> None:
    code, out = _json("contract-power", "--max-demand", "310,499.9")
    assert (code, out) == (0, {"contract_power_kw": 499.9, "must_move_to_kyogi": False})


def test_contract_power_non_number_is_a_json_error() -> None:
    code, out = _json("contract-power", "--max-demand", "310,abc")
    assert code == 2
    assert "abc" in out["error"]


def test_contract_power_thirteen_values_is_a_json_error() -> None:
    code, out = _json("contract-power", "--max-demand", ",".join(["100"] * 13))
    assert code == 2
    assert "12か月" in out["error"]


def test_overage_with_power_factor_surcharge() -> None:
    code, out = _json(
        "overage", "--contract-kw", "500", "--max-demand-kw", "540", "--unit", "1650", "--power-factor", "80"
    )
    # 40 × 1,650 × 1.5 = 99,000; PF 80 → −5 % discount = +4,950
    assert (code, out) == (0, {"overage_yen": 103_950})


def test_overage_non_integer_power_factor_is_a_json_error() -> None:
    code, out = _json(
        "overage", "--contract-kw", "500", "--max-demand-kw", "540", "--unit", "1650", "--power-factor", "8x"
    )
    assert code == 2
    assert "力率" in out["error"]


@pytest.mark.parametrize("command", ["penalty", "due-date", "contract-power", "overage"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, ["calc", command, "--help"])
    assert result.exit_code == 0
    assert "--json" in result.stdout
