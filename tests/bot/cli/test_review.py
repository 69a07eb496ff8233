"""``madoguchi review`` driven with scripted input, as a person would use it."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.settings import Settings
from bot.wiring import build_pipeline
from desk.message import Channel, IncomingMessage, SenderKind
from store.db import make_engine, migrate
from store.models import AuditEvent, Draft, Inquiry, Outbox
from store.seed import seed_store

RECEIVED = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A store with one drafted inquiry from a registered contact, and settings pointing at it."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    environ = {"MADOGUCHI_DATABASE_URL": url, "MADOGUCHI_VAR_DIR": str(tmp_path / "var")}
    engine = make_engine(url)
    migrate(engine)
    seed_store(engine, customers=0, seed=1, today=dt.date(2026, 11, 20))
    pipeline = build_pipeline(Settings(database_url=url), engine)
    message = IncomingMessage(
        channel=Channel.EMAIL,
        external_id="<review-1@sakura-seiki.example.jp>",
        sender="k.tanaka@sakura-seiki.example.jp",
        sender_kind=SenderKind.CUSTOMER_EMAIL,
        reply_to="k.tanaka@sakura-seiki.example.jp",
        received_at=RECEIVED,
        subject="パスワードの再設定",
        text="マイページのパスワードを忘れてしまいました。再設定の方法を教えてください。",
    )
    asyncio.run(pipeline.process(message))
    engine.dispose()
    return environ


def _run(env: dict[str, str], keys: str, **extra: str) -> str:
    result = CliRunner().invoke(app, ["review", "--actor", "tester"], input=keys, env={**env, **extra})
    assert result.exit_code == 0, result.output
    return result.output


def _session(env: dict[str, str]) -> Session:
    return Session(make_engine(env["MADOGUCHI_DATABASE_URL"]))


def test_list_shows_the_pending_inquiry_with_its_intent_and_verification(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["review", "--list"], env=env)
    assert result.exit_code == 0
    assert "承認待ち 1 件" in result.output
    assert "パスワードの再設定" in result.output and "済" in result.output
    assert "password_reset" not in result.output  # staff read the desk's label, never the raw id


def test_the_queue_fits_an_80_column_terminal_one_line_per_inquiry(env: dict[str, str]) -> None:
    from rich.cells import cell_len

    long_name = {"MADOGUCHI_DATABASE_URL": env["MADOGUCHI_DATABASE_URL"]}
    with _session(env) as session:
        inquiry = session.exec(select(Inquiry)).one()
        inquiry.sender_name = "株式会社とても長い名前の精密機械製作所 第二工場 総務部 施設管理課 田中"
        inquiry.intents = [
            {"intent": "password_reset", "score": 0.9},
            {"intent": "account_info_change", "score": 0.7},
            {"intent": "billing_address_change", "score": 0.6},
        ]
        session.add(inquiry)
        session.commit()
    result = CliRunner().invoke(app, ["review", "--list"], env={**env, **long_name, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    rows = [line for line in lines if "パスワードの再" in line]
    assert len(rows) == 1 and "…" in rows[0]  # cut, not wrapped onto a second line


def test_approve_queues_the_reply_and_writes_an_eml_copy(env: dict[str, str]) -> None:
    output = _run(env, "1\na\ny\nq\n")
    assert "送信キューに追加しました" in output
    with _session(env) as session:
        outbox = session.exec(select(Outbox)).one()
        assert outbox.recipient == "k.tanaka@sakura-seiki.example.jp"
        approved = session.exec(select(AuditEvent).where(AuditEvent.action == "approved")).one()
        assert approved.actor == "cli:tester"
    eml = Path(env["MADOGUCHI_VAR_DIR"]) / "outbox" / f"{outbox.inquiry_id:06d}-{outbox.draft_id}.eml"
    assert eml.exists() and b"k.tanaka@sakura-seiki.example.jp" in eml.read_bytes()


def test_declining_the_confirmation_sends_nothing(env: dict[str, str]) -> None:
    _run(env, "1\na\nn\nq\n")
    with _session(env) as session:
        assert session.exec(select(Outbox)).all() == []


def test_edit_in_the_editor_then_approve_sends_the_edited_text(env: dict[str, str], tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor.sh"
    editor.write_text(
        "#!/bin/sh\nsed -i 's/いつもお世話になっております/平素より大変お世話になっております/' \"$1\"\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    _run(env, "1\ne\ny\nq\n", MADOGUCHI_EDITOR=str(editor))
    with _session(env) as session:
        outbox = session.exec(select(Outbox)).one()
        draft = session.get(Draft, outbox.draft_id)
    assert "平素より大変お世話になっております" in outbox.body
    assert draft is not None and draft.edited_text == outbox.body and draft.text != outbox.body


def test_edit_and_save_only_keeps_the_text_unsent(env: dict[str, str], tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor.sh"
    editor.write_text("#!/bin/sh\necho 'お電話でもご案内いたします。' >> \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    output = _run(env, "1\ne\nn\nq\n", MADOGUCHI_EDITOR=str(editor))
    assert "保存しました" in output
    with _session(env) as session:
        assert session.exec(select(Outbox)).all() == []
        draft = session.exec(select(Draft)).one()
        assert draft.edited_text is not None and draft.edited_text.endswith("お電話でもご案内いたします。\n")


def test_a_failing_editor_changes_nothing(env: dict[str, str]) -> None:
    output = _run(env, "1\ne\ns\nq\n", MADOGUCHI_EDITOR="false")
    assert "異常終了" in output
    with _session(env) as session:
        assert session.exec(select(Draft)).one().edited_text is None


def test_reject_asks_for_a_reason_and_records_it(env: dict[str, str]) -> None:
    _run(env, "1\nx\n電話で回答済みのため\nq\n")
    with _session(env) as session:
        draft = session.exec(select(Draft)).one()
        inquiry = session.exec(select(Inquiry)).one()
    assert draft.status == "rejected" and draft.rejected_reason == "電話で回答済みのため"
    assert inquiry.status == "rejected"


def test_reroute_drafts_again_for_the_chosen_intent(env: dict[str, str]) -> None:
    output = _run(env, "1\nr\nmypage_login\nq\n")
    assert "作り直しました" in output
    with _session(env) as session:
        drafts = session.exec(select(Draft).order_by(col(Draft.version))).all()
        rerouted = session.exec(select(AuditEvent).where(AuditEvent.action == "rerouted")).one()
    assert [d.status for d in drafts] == ["superseded", "pending"]
    assert drafts[-1].intents == ["mypage_login"]
    assert rerouted.detail["to"] == ["mypage_login"] and rerouted.actor == "cli:tester"


def test_an_unknown_intent_is_refused_in_plain_words(env: dict[str, str]) -> None:
    output = _run(env, "1\nr\nnot_an_intent\nq\n")
    assert "区分が正しくありません" in output
    with _session(env) as session:
        assert len(session.exec(select(Draft)).all()) == 1


def test_a_non_number_choice_is_explained(env: dict[str, str]) -> None:
    output = _run(env, "abc\nq\n")
    assert "番号を半角数字で入力してください" in output
