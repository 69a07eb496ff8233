"""``madoguchi ingest``: a backlog of .eml files or an mbox through the email intake path, idempotently."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.email.intake import parse_options
from bot.email.parse import parse_email
from bot.settings import Settings
from store.db import make_engine
from store.models import Inquiry, InquiryMessage

CORPUS = Path(__file__).resolve().parents[2] / "bot" / "email" / "corpus"
FILES = [
    "01_utf8_8bit.eml",
    "04_iso2022jp_plain.eml",
    "05_iso2022jp_nec_body.eml",
    "36_unparseable_no_sender.eml",
]
runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'ingest.db'}",
        "MADOGUCHI_VAR_DIR": str(tmp_path),
    }


def _backlog(tmp_path: Path) -> Path:
    folder = tmp_path / "backlog" / "2026-11"
    folder.mkdir(parents=True)
    for name in FILES:
        shutil.copy(CORPUS / name, folder / name)
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not mail")  # other files in the folder are left alone
    return folder.parent


def _ingest(env: dict[str, str], path: Path) -> dict[str, object]:
    result = runner.invoke(app, ["ingest", str(path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _external_ids(env: dict[str, str]) -> list[str]:
    with Session(make_engine(env["MADOGUCHI_DATABASE_URL"])) as session:
        return sorted(session.exec(select(InquiryMessage.external_id)).all())


def test_a_folder_of_eml_files_is_stored_as_imap_would_and_a_second_run_stores_nothing(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    folder = _backlog(tmp_path)
    first = _ingest(env, folder)
    assert (first["read"], first["stored"], first["already"]) == (4, 4, 0)
    options = parse_options(Settings())
    expected = sorted(
        parse_email((CORPUS / n).read_bytes(), options=options).message.external_id for n in FILES
    )
    assert _external_ids(env) == expected  # the same identity the IMAP intake gives each message
    with Session(make_engine(env["MADOGUCHI_DATABASE_URL"])) as session:
        kinds = sorted(session.exec(select(Inquiry.kind)).all())
        drafted = [i for i in session.exec(select(Inquiry)).all() if i.status == "drafted"]
    assert "unparseable" in kinds and drafted  # understood and drafted like mail from the mailbox
    again = _ingest(env, folder)
    assert (again["read"], again["stored"], again["already"]) == (4, 0, 4)
    assert _external_ids(env) == expected


def test_an_mbox_is_idempotent_and_knows_the_mail_the_folder_brought(tmp_path: Path) -> None:
    env = _env(tmp_path)
    box_path = tmp_path / "archive.mbox"
    box = mailbox.mbox(box_path)
    for name in FILES:
        box.add(mailbox.mboxMessage((CORPUS / name).read_bytes()))
    box.close()
    from_mbox = _ingest(env, box_path)
    assert (from_mbox["read"], from_mbox["stored"]) == (4, 4)
    assert _ingest(env, box_path)["stored"] == 0
    from_folder = _ingest(env, _backlog(tmp_path))
    # Mail with a Message-ID is known whatever the container; the one without is identified by its bytes,
    # which mbox storage rewrites (line endings, "From " quoting), so that one is new to the store.
    assert (from_folder["stored"], from_folder["already"]) == (1, 3)


def test_a_missing_path_exits_2_in_plain_words(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nowhere")], env=_env(tmp_path))
    assert result.exit_code == 2
    assert "見つかりません" in result.output and "Traceback" not in result.output


def test_the_human_summary_counts_new_and_known_mail(tmp_path: Path) -> None:
    env = _env(tmp_path)
    folder = _backlog(tmp_path)
    result = runner.invoke(app, ["ingest", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    assert "4 通を読みました: 新規 4 通、取り込み済み 0 通" in result.stdout
