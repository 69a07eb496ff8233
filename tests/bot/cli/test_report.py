"""``madoguchi report`` and ``madoguchi suggest`` through the real Typer app on a file SQLite store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from store.db import make_engine, migrate
from tests.bot.reporting.history import build_history

FAQ = Path(__file__).resolve().parents[3] / "faq"
RANGE = ["--since", "2026-04-27", "--until", "2026-05-10", "--as-of", "2026-05-08T15:00"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    migrate(engine)
    build_history(engine)
    engine.dispose()
    return {"MADOGUCHI_DATABASE_URL": url}


def run(env: dict[str, str], *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=input)
    return result.exit_code, result.output


def test_report_table_shows_japanese_sections(env: dict[str, str]) -> None:
    code, out = run(env, "report", *RANGE)
    assert code == 0, out
    assert "件数の推移（意図別）" in out and "パスワード再設定" in out
    assert "111.0時間" in out  # the oldest pending inquiry's age


def test_report_json_and_csv(env: dict[str, str], tmp_path: Path) -> None:
    code, out = run(env, "report", *RANGE, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [r["count"] for r in data["volume_total"]] == [4, 3]
    target = tmp_path / "r.csv"
    code, _ = run(env, "report", *RANGE, "--format", "csv", "--output", str(target))
    assert code == 0
    assert "2026-05-04週,その他,2,1,+1 (+100%)" in target.read_text(encoding="utf-8")


def test_report_html_and_chart_files(env: dict[str, str], tmp_path: Path) -> None:
    page, chart = tmp_path / "r.html", tmp_path / "c.png"
    code, out = run(
        env, "report", *RANGE, "--by", "day", "--format", "html", "-o", str(page), "--chart", str(chart)
    )
    assert code == 0, out
    assert chart.read_bytes().startswith(b"\x89PNG")
    html = page.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and ">2026-05-07</td>" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since の日付「2026-13-01」を読み取れません"),
        (["--until", "昨日"], "--until の日付「昨日」を読み取れません"),
        (["--since", "2026-05-10", "--until", "2026-05-01"], "より後になっています"),
    ],
)
def test_bad_dates_give_a_japanese_error_and_exit_2(
    env: dict[str, str], args: list[str], message: str
) -> None:
    code, out = run(env, "report", *args)
    assert code == 2
    squeeze = lambda text: "".join(text.split())  # noqa: E731  (rich wraps long lines)
    assert squeeze(message) in squeeze(out)


def test_bad_bucketing_is_refused(env: dict[str, str]) -> None:
    code, _ = run(env, "report", "--by", "year")
    assert code == 2


def test_suggest_lists_rerouted_inquiries_with_cleaned_text(env: dict[str, str]) -> None:
    code, out = run(env, "suggest", "--since", "2026-04-27", "--until", "2026-05-10")
    assert code == 0, out
    assert "#000004 [意図の付け替え] マイページのログイン → パスワード再設定" in out
    assert "「停電したときの連絡先を教えてください。」" in out  # signature removed


@pytest.fixture
def faq_copy(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(FAQ, target)
    return target


def test_suggest_apply_appends_accepted_examples_only(env: dict[str, str], faq_copy: Path) -> None:
    before_pw = (faq_copy / "intents" / "password_reset.toml").read_text(encoding="utf-8")
    before_other = (faq_copy / "intents" / "other.toml").read_text(encoding="utf-8")
    args = [
        "suggest",
        "--since",
        "2026-04-27",
        "--until",
        "2026-05-10",
        "--apply",
        "--faq-dir",
        str(faq_copy),
    ]
    code, out = run(env, *args, input="y\nn\n")
    assert code == 0, out
    after_pw = (faq_copy / "intents" / "password_reset.toml").read_text(encoding="utf-8")
    added = "パスワードを忘れてしまいました。再設定の方法を教えてください。"
    assert f'  "{added}",\n]' in after_pw
    # A minimal edit: the file is the old one with one line inserted.
    assert after_pw.replace(f'  "{added}",\n', "", 1) == before_pw
    assert (faq_copy / "intents" / "other.toml").read_text(encoding="utf-8") == before_other
    assert "1 件の例文を追加しました。" in out

    from intents.knowledge import load_knowledge

    assert added in load_knowledge(faq_copy).intents["password_reset"].examples


def test_suggest_apply_rolls_back_an_example_the_loader_rejects(env: dict[str, str], faq_copy: Path) -> None:
    # The same sentence already being an example of another intent makes the knowledge invalid.
    other = faq_copy / "intents" / "other.toml"
    text = other.read_text(encoding="utf-8")
    other.write_text(
        text.replace(
            "examples = [\n",
            'examples = [\n  "パスワードを忘れてしまいました。再設定の方法を教えてください。",\n',
            1,
        ),
        encoding="utf-8",
    )
    before = (faq_copy / "intents" / "password_reset.toml").read_text(encoding="utf-8")
    args = [
        "suggest",
        "--since",
        "2026-04-27",
        "--until",
        "2026-05-10",
        "--apply",
        "--faq-dir",
        str(faq_copy),
    ]
    code, out = run(env, *args, input="y\nn\n")
    assert code == 0, out
    assert "追加しませんでした" in out
    assert (faq_copy / "intents" / "password_reset.toml").read_text(encoding="utf-8") == before
