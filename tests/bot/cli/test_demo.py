"""``madoguchi demo`` runs the whole product on the embedded defaults."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, func, select
from typer.testing import CliRunner

from bot.cli.main import app
from store.db import make_engine
from store.models import Inquiry, InquiryMessage


def test_demo_seeds_processes_every_sample_and_prints_three_drafts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'madoguchi.db'}"
    env = {"MADOGUCHI_VAR_DIR": str(tmp_path), "MADOGUCHI_DATABASE_URL": url}
    result = CliRunner().invoke(app, ["demo", "--customers", "20"], env=env)
    assert result.exit_code == 0, result.output
    assert "承認待ち" in result.output
    assert result.output.count("何卒よろしくお願い申し上げます。") == 3
    assert "本人確認未了" in result.output and "本人確認済み" in result.output
    # Staff read intent names, never raw ids, in the draft titles.
    titles = [line for line in result.output.splitlines() if "区分:" in line]
    assert titles and not any(re.search(r"区分: .*[a-z]+_?[a-z]*", t) for t in titles)
    with Session(make_engine(url)) as session:
        statuses = dict(session.exec(select(Inquiry.status, func.count()).group_by(Inquiry.status)).all())
        messages = session.exec(select(func.count()).select_from(InquiryMessage)).one()
    # 25 samples: one auto-reply is only recorded, one customer reply joins its thread.
    assert statuses == {"drafted": 23, "ignored": 1}
    assert messages == 25
    # Running it again starts from a clean store instead of failing or duplicating.
    again = CliRunner().invoke(app, ["demo", "--customers", "20"], env=env)
    assert again.exit_code == 0, again.output


def test_demo_refuses_to_wipe_a_configured_database(tmp_path: Path) -> None:
    env = {"MADOGUCHI_VAR_DIR": str(tmp_path), "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"}
    result = CliRunner().invoke(app, ["demo"], env=env)
    assert result.exit_code == 2
    assert "--force" in result.output
