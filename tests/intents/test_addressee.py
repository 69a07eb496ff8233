"""Mail opened with another utility's name (``faq/addressees.toml``) is filed as misdirected, and the
account numbers in it are never read as ours."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from desk.errors import InputError
from intents.addressee import addressed_elsewhere, load_addressees
from intents.entities import load_foreign_account_reasons
from intents.understand import Understander

WATER = (
    "あおば市上下水道局 料金センター 御中\n\n"
    "いつもお世話になっております。あおば第二保育園の事務です。\n"
    "4月から園の取引銀行が変わるため、水道料金の引落口座を変更したいです。\n"
    "お客さま番号は 3302-1187 です。口座振替の依頼書を送っていただけますか。\n"
)


@pytest.fixture(scope="module")
def understander() -> Understander:
    return Understander.load()


@pytest.mark.parametrize(
    "head",
    [
        "あおば市上下水道局 料金センター 御中",
        "株式会社さくらガス 営業所 御中",
        "市水道局 ご担当者様",
        "Dear Aoba City Water Bureau,",
    ],
)
def test_a_water_or_gas_utility_as_addressee_is_elsewhere(head: str):
    assert addressed_elsewhere(f"{head}\n\n引落口座を変更したいです。")


@pytest.mark.parametrize(
    "text",
    [
        "サポートデスク 御中\n\n引落口座を変更したいです。",
        # the customer's own site may be a waterworks; the addressee is the desk
        "ご担当者様\n\n当局（あおば市上下水道局）浄水場の口座を変更したいです。",
        "ご担当者様\n\n御社の引落と同じ日にガス料金も引き落とされるので、日をずらせますか。",
    ],
)
def test_the_desk_as_addressee_is_not_elsewhere(text: str):
    assert not addressed_elsewhere(text)


def test_an_account_change_meant_for_the_water_bureau_is_misdirected_with_no_account_number(
    understander: Understander,
):
    result = understander.understand(WATER, subject="口座変更", channel="email", received=date(2026, 3, 2))
    assert [i.intent for i in result.intents] == ["other"]
    assert result.other_reason == "misdirected"
    assert "customer_no" not in result.entities


def test_a_broken_pattern_in_the_file_is_said_plainly(tmp_path: Path):
    bad = tmp_path / "addressees.toml"
    bad.write_text("confidence = 0.9\nmisdirected = ['(水道']\n", encoding="utf-8")
    with pytest.raises(InputError, match="正規表現が不正です"):
        load_addressees(bad)


def test_an_unknown_reason_among_those_whose_numbers_are_not_ours_is_said_plainly(tmp_path: Path):
    rules = tmp_path / "entities.toml"
    rules.write_text('[identifiers]\nnot_ours_when_other = ["misdirected", "spam"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"not_ours_when_other の「spam」"):
        load_foreign_account_reasons(rules)
    good = tmp_path / "good.toml"  # the rules file is read once per path
    good.write_text('[identifiers]\nnot_ours_when_other = ["misdirected"]\n', encoding="utf-8")
    assert load_foreign_account_reasons(good) == {"misdirected"}
