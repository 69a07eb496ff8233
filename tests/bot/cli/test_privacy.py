"""``madoguchi privacy export | erase`` and ``madoguchi audit export`` through the real Typer app: an
erasure removes every personal value and leaves the managers' report over the same period unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from store.db import make_engine, migrate
from store.models import ContactEmail, Customer, Inquiry, InquiryMessage
from store.privacy import apply_retention
from tests.bot.reporting.history import NOW, build_history

RANGE = ["--since", "2026-04-27", "--until", "2026-05-10", "--as-of", "2026-05-08T15:00"]
PERSONAL = [
    "今月の請求額",
    "パスワードを忘れて",
    "山田商事",
    "停電したときの連絡先",
    "宛名の英語表記",
    "yamada@",
]


@pytest.fixture
def db(tmp_path: Path) -> tuple[dict[str, str], Engine]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    migrate(engine)
    build_history(engine)
    with Session(engine) as s:  # give the history a customer with a registered contact and raw mail
        customer = Customer(customer_no="30099999", name="山田商事株式会社")
        s.add(customer)
        s.flush()
        s.add(ContactEmail(customer_id=customer.id or 0, email="yamada@yamada-shoji.example.jp"))
        for inquiry in s.exec(select(Inquiry)).all():
            inquiry.sender, inquiry.sender_name = "yamada@yamada-shoji.example.jp", "山田 一郎"
            inquiry.reply_to, inquiry.customer_id = inquiry.sender, customer.id
            s.add(inquiry)
            s.add(
                InquiryMessage(
                    inquiry_id=inquiry.id or 0,
                    channel=inquiry.channel,
                    external_id=f"m{inquiry.id}",
                    sender=inquiry.sender,
                    received_at=inquiry.received_at,
                    text=inquiry.text,
                    raw=f"From: yamada@yamada-shoji.example.jp\n\n{inquiry.text}".encode(),
                )
            )
        s.commit()
    yield {"MADOGUCHI_DATABASE_URL": url}, engine
    engine.dispose()


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def dump(engine: Engine) -> str:
    """Every value of the tables that hold inquiry data, as one text to search."""
    with engine.connect() as conn:
        parts = []
        for table in ("inquiry", "inquiry_message", "draft", "outbox"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                parts.append(
                    " ".join(v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row)
                )
        return "\n".join(parts)


def test_an_erasure_leaves_the_report_over_the_same_period_unchanged(
    db: tuple[dict[str, str], Engine],
) -> None:
    env, engine = db
    code, before = run(env, "report", *RANGE, "--format", "json")
    assert code == 0, before
    assert all(value in dump(engine) for value in PERSONAL)

    code, out = run(env, "privacy", "erase", "--before", "2026-06-01")
    assert code == 0, out
    assert "問い合わせ 11 件の個人情報を削除しました" in out

    code, after = run(env, "report", *RANGE, "--format", "json")
    assert code == 0
    before_data, after_data = json.loads(before), json.loads(after)
    # The one section that quotes what customers wrote (unmatched questions, as FAQ candidates) is empty
    # now; every count, duration and edit distance is the same.
    assert before_data.pop("unmatched") and after_data.pop("unmatched") == []
    assert after_data == before_data
    stored = dump(engine)
    assert [v for v in PERSONAL if v in stored] == []
    with Session(engine) as s:
        assert all(i.erased_at is not None and i.sender == "" for i in s.exec(select(Inquiry)).all())
        assert all(m.raw is None for m in s.exec(select(InquiryMessage)).all())


def test_erasing_one_customer_touches_only_its_inquiries(db: tuple[dict[str, str], Engine]) -> None:
    env, engine = db
    with Session(engine) as s:
        other = s.get(Inquiry, 6)
        assert other is not None
        other.customer_id, other.sender, other.reply_to = None, "someone@else.example", "someone@else.example"
        s.add(other)
        s.commit()
    code, out = run(env, "privacy", "erase", "--customer", "30099999", "--actor", "suzuki")
    assert code == 0, out
    with Session(engine) as s:
        kept = s.get(Inquiry, 6)
        assert kept is not None and kept.erased_at is None and kept.text
        assert all(i.erased_at is not None for i in s.exec(select(Inquiry).where(Inquiry.id != 6)).all())


def test_export_gives_everything_held_about_the_customer(db: tuple[dict[str, str], Engine]) -> None:
    env, _ = db
    code, out = run(env, "privacy", "export", "30099999")
    assert code == 0, out
    data = json.loads(out)
    assert data["customer"]["name"] == "山田商事株式会社"
    assert data["contact_emails"][0]["email"] == "yamada@yamada-shoji.example.jp"
    assert len(data["inquiries"]) == 11 and len(data["messages"]) == 11
    assert any("今月の請求額" in i["text"] for i in data["inquiries"])
    code, out = run(env, "privacy", "export", "99999999")
    assert code == 2 and "登録されていません" in out


def test_erase_needs_exactly_one_selector(db: tuple[dict[str, str], Engine]) -> None:
    env, _ = db
    for args in ([], ["--before", "2026-06-01", "--customer", "30099999"]):
        code, out = run(env, "privacy", "erase", *args)
        assert code == 2 and "どちらか一方" in out
    code, out = run(env, "privacy", "erase", "--before", "2026-13-01")
    assert code == 2 and "形式が正しくありません" in out


def test_retention_erases_only_what_is_older_than_the_period(db: tuple[dict[str, str], Engine]) -> None:
    _, engine = db
    assert apply_retention(engine, days=0, now=NOW) is None  # off by default
    erasure = apply_retention(
        engine, days=14, now=NOW
    )  # before 4/24 15:00: inquiries 11 (4/10), 1 (4/24 10:00)
    assert erasure is not None and erasure.inquiries == 2
    with Session(engine) as s:
        erased = [i.id for i in s.exec(select(Inquiry).where(Inquiry.erased_at.is_not(None))).all()]  # type: ignore[union-attr]
    assert erased == [1, 11]
    again = apply_retention(engine, days=14, now=NOW)  # daily: nothing is erased twice
    assert again is not None and again.inquiries == 0


def test_audit_export_is_csv_of_the_period_and_records_the_erasure(db: tuple[dict[str, str], Engine]) -> None:
    env, _ = db
    run(env, "privacy", "erase", "--customer", "30099999", "--actor", "suzuki")
    code, out = run(env, "audit", "export", "--from", "2026-04-27", "--to", "2026-05-10")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all("2026-04-27" <= r["at"][:10] <= "2026-05-10" for r in rows)
    code, out = run(env, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01")
    erased = [r for r in csv.DictReader(io.StringIO(out)) if r["action"] == "erased"]
    assert len(erased) == 1 and erased[0]["actor"] == "cli:suzuki"
    assert json.loads(erased[0]["detail"])["inquiries"] == 11
