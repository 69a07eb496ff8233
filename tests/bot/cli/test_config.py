"""Fail fast and honestly: a configuration that cannot be used stops every command with the key's name."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import Settings, unknown_env_keys

runner = CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory (madoguchi.toml and .env are read from the working directory)."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("MADOGUCHI_") and not key.startswith("MADOGUCHI_TEST_"):
            monkeypatch.delenv(key)
    return tmp_path


def _db(tmp: Path) -> dict[str, str]:
    return {"MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp / 'x.db'}"}


def test_a_misspelt_top_level_key_in_the_toml_file_is_named_and_exits_2(in_tmp: Path) -> None:
    (in_tmp / "madoguchi.toml").write_text('databse_url = "postgresql://x@y/z"\n', encoding="utf-8")
    result = runner.invoke(app, ["contract", "show", "30012345"])
    assert result.exit_code == 2
    assert "databse_url" in result.stderr and "不明な設定項目" in result.stderr
    assert "Traceback" not in result.output


def test_a_misspelt_section_and_a_misspelt_nested_key_are_both_named(in_tmp: Path) -> None:
    (in_tmp / "madoguchi.toml").write_text(
        '[slak]\nbot_token = "xoxb-1"\n\n[smtp]\nhots = "mail.example.jp"\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["contract", "show", "30012345"])
    assert result.exit_code == 2
    assert "「slak」" in result.stderr and "「smtp.hots」" in result.stderr


def test_an_unknown_madoguchi_environment_variable_is_named(in_tmp: Path) -> None:
    result = runner.invoke(app, ["contract", "show", "30012345"], env={"MADOGUCHI_DATABSE_URL": "x"})
    assert result.exit_code == 2
    assert "MADOGUCHI_DATABSE_URL" in result.stderr


def test_variables_of_the_test_suite_are_not_settings_but_are_not_rejected() -> None:
    env = {"MADOGUCHI_TEST_DATABASE_URL": "x", "MADOGUCHI_SLACK__MODE": "http", "MADOGUCHI_SLAK": "1"}
    assert unknown_env_keys(env) == ["MADOGUCHI_SLAK"]


def test_an_unreadable_database_url_is_said_plainly(in_tmp: Path) -> None:
    result = runner.invoke(app, ["contract", "show", "30012345"], env={"MADOGUCHI_DATABASE_URL": "nonsense"})
    assert result.exit_code == 2
    assert "database_url" in result.stderr and "データベースの URL を読み取れません" in result.stderr
    assert "Traceback" not in result.output


def test_an_unsupported_database_is_said_plainly(in_tmp: Path) -> None:
    env = {"MADOGUCHI_DATABASE_URL": "mysql://u@h/db"}
    result = runner.invoke(app, ["contract", "show", "30012345"], env=env)
    assert result.exit_code == 2 and "mysql" in result.stderr


def test_an_unreachable_database_gives_a_plain_message_without_the_password(in_tmp: Path) -> None:
    env = {"MADOGUCHI_DATABASE_URL": "postgresql://desk:s3cret@127.0.0.1:1/madoguchi"}
    result = runner.invoke(app, ["contract", "show", "30012345"], env=env)
    assert result.exit_code == 2
    assert "接続できません" in result.output and "127.0.0.1" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"madoguchi {version('madoguchi')}"


def test_parse_email_on_a_missing_file_exits_2_with_a_message(in_tmp: Path) -> None:
    result = runner.invoke(app, ["parse-email", str(in_tmp / "nope.eml")])
    assert result.exit_code == 2
    assert "読み込めません" in result.output


def test_classify_on_non_json_input_exits_2_with_an_error_line(in_tmp: Path) -> None:
    result = runner.invoke(app, ["classify"], input="これはJSONではありません\n")
    assert result.exit_code == 2
    assert '"error"' in result.stdout and "JSON" in result.stdout


def test_report_help_states_the_default_grouping() -> None:
    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert "既定: week" in result.stdout


@pytest.fixture
def restore_desk_phones() -> Iterator[None]:
    from intents import entities

    before = entities.DESK_PHONES
    yield
    entities.DESK_PHONES = before


def test_the_desk_phone_numbers_come_from_the_settings(tmp_path: Path, restore_desk_phones: None) -> None:
    from bot.wiring import build_pipeline
    from intents.entities import extract_entities
    from store.db import make_engine

    text = "お手数ですが 045-222-3333 までお電話ください。"
    day = dt.date(2026, 11, 20)
    assert extract_entities(text, received=day)["phone"] == "0452223333"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    settings.desk.other_phones = ["０４５－２２２－３３３３"]
    build_pipeline(settings, make_engine(settings.database_url))
    assert "phone" not in extract_entities(text, received=day)
    # the default desk line is no longer special unless the settings list it
    settings.desk.phone = "03-9999-0000"
    settings.desk.other_phones = []
    build_pipeline(settings, make_engine(settings.database_url))
    assert extract_entities("TEL 03-6271-0242", received=day)["phone"] == "0362710242"


def test_serve_with_nothing_configured_says_it_will_receive_nothing(in_tmp: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")},
        **_db(in_tmp),
        "MADOGUCHI_HEALTH_PORT": "0",
        "COLUMNS": "200",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "serve"],
        cwd=in_tmp,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        deadline = time.monotonic() + 60
        while "受信しません" not in line and line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "受信しません" in line
        assert "Slack" in line and "IMAP" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def test_a_shared_env_file_keeps_other_programs_variables_but_refuses_a_misspelt_own_one(
    in_tmp: Path,
) -> None:
    (in_tmp / ".env").write_text(
        f"PGPASSWORD=secret\nCOMPOSE_PROJECT_NAME=desk\nMADOGUCHI_DATABASE_URL=sqlite:///{in_tmp / 'e.db'}\n",
        encoding="utf-8",
    )
    assert Settings().database_url.endswith("e.db")  # read from the file, other lines ignored
    (in_tmp / ".env").write_text("PGPASSWORD=secret\nMADOGUCHI_DATABSE_URL=x\n", encoding="utf-8")
    result = runner.invoke(app, ["contract", "show", "30012345"])
    assert result.exit_code == 2 and "madoguchi_databse_url" in result.stderr
    assert "pgpassword" not in result.stderr.lower()


def test_serve_with_json_logs_reports_an_unreachable_database_as_a_json_line(in_tmp: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")},
        "MADOGUCHI_DATABASE_URL": "postgresql://desk:s3cret@127.0.0.1:1/madoguchi",
        "MADOGUCHI_IMAP__USERNAME": "desk",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "serve", "--log-format", "json"],
        cwd=in_tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    import json

    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records and records[-1]["level"] == "ERROR" and "接続できません" in records[-1]["message"]
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
