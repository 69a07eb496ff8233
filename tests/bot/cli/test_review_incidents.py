"""``madoguchi review --list`` shows the active outage incidents next to the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import Settings
from bot.wiring import build_pipeline
from store.db import make_engine, migrate
from tests.desk.incident_cases import KANSAI, TOKYO, outage_mail, seed_customers


def test_review_lists_the_active_incident_with_its_area_utility_and_customers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed_customers(engine)
    pipeline = build_pipeline(Settings(database_url=url), engine)
    for i, c in enumerate(TOKYO):
        asyncio.run(pipeline.process(outage_mail(c.email, minutes=i * 4)))
    asyncio.run(pipeline.process(outage_mail(KANSAI.email, minutes=1)))
    engine.dispose()
    env = {"MADOGUCHI_DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["review", "--list"], env=env)
    assert result.exit_code == 0, result.output
    assert "停電の障害 1 件" in result.output
    line = next(row for row in result.output.splitlines() if "#1" in row and "東京" in row)
    assert "東京電力" in line and "3社（3件）" in line and "10:00" in line and "10:08" in line
    assert "承認待ち" in line


def test_the_window_setting_keeps_reports_ten_minutes_apart_out_of_an_incident(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    engine = make_engine(url)
    migrate(engine)
    seed_customers(engine)
    settings = Settings(database_url=url, incidents={"window_minutes": 5})  # type: ignore[arg-type]
    pipeline = build_pipeline(settings, engine)
    for i, c in enumerate(TOKYO):
        asyncio.run(pipeline.process(outage_mail(c.email, minutes=i * 10)))
    engine.dispose()
    env = {"MADOGUCHI_DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(app, ["review", "--list"], env=env)
    assert result.exit_code == 0, result.output
    assert "停電の障害" not in result.output
