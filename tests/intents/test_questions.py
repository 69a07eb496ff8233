"""Question-level understanding: what is asked and what the customer already said (faq/questions.toml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from intents.model import Question
from intents.questions import extract_questions, load_patterns, signer
from intents.understand import Understander

TODAY = date(2026, 6, 10)


def read(text: str) -> tuple[tuple[Question, ...], dict[str, str]]:
    return extract_questions(text, raw=text, received=TODAY)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("計量日は15日なのですが、10日が支払期日でしょうか？", "10"),
        ("27日が引落日で合っていますでしょうか。", "27"),
        ("引き落としは10日でしょうか？", "10"),
        ("振込の期限は7月1日でよろしいでしょうか。", "1"),
        ("6日が支払期日ということでよろしいでしょうか。", "6"),
    ],
)
def test_a_yes_no_on_a_due_day_names_the_day_asked_not_the_metering_day(text: str, day: str) -> None:
    questions, _ = read(text)
    assert Question("due_date_check", day) in questions


def test_the_metering_day_and_method_written_are_kept_as_already_said() -> None:
    _, said = read("計量日は毎月15日で、銀行振込で支払っています。")
    assert said["metering_day"] == "15"
    assert said["payment_method"] == "transfer"


def test_switching_the_payment_method_is_not_a_switching_reason() -> None:
    _, said = read("現在は口座引落ですが、銀行振込に切り替えたいと考えています。")
    assert "cancel_reason" not in said


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("他社への切り替えのため解約します。", "switch"),
        ("移転ではなく、他の電力会社への切り替えです。", "switch"),
        ("工場を閉鎖するため解約します。", "removal"),
        ("他社に切り替えるわけではありません。店舗を閉店するため解約したいです。", "removal"),
        ("新電力に乗り換えるので解約したいです。", "switch"),
    ],
)
def test_a_switch_is_never_read_as_a_closure_and_negations_count(text: str, reason: str) -> None:
    _, said = read(text)
    assert said["cancel_reason"] == reason


def test_understanding_uses_the_negation_aware_reason_for_the_cancel_reason_entity() -> None:
    understander = Understander.load()
    result = understander.understand(
        "閉鎖ではなく他社への切り替えのため、2026年12月31日で解約したいです。", received=TODAY
    )
    assert result.entities["cancel_reason"] == "switch"
    assert result.said["cancel_reason"] == "switch"


def test_a_notice_already_sent_is_read_with_its_date_in_the_past() -> None:
    _, said = read("解約通知書は4月25日に郵送済みです。")
    assert said["notice_sent"] == "yes"
    assert said["notice_sent_on"] == "2026-04-25"


def test_a_notice_sent_without_a_date_is_read_without_one() -> None:
    _, said = read("解約通知書はすでに提出しました。")
    assert said["notice_sent"] == "yes"
    assert "notice_sent_on" not in said


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("4月1日付で社名のみ変更になります。", "name_only", "yes"),
        ("最大電力が契約電力を20kW超過しました。", "excess_kw", "20"),
        ("最大電力が１５ｋＷオーバーした場合", "excess_kw", "15"),
        ("本日午前の停電は復旧しました。", "outage_state", "over"),
        ("工場が停電しています！", "outage_state", "ongoing"),
        ("昨夜22時ごろ、工場全体で10分ほど停電がありました。原因を教えてください。", "outage_state", "over"),
        ("本日午前10時ごろ、工場全体が停電しました。現在は復旧しています。", "outage_state", "over"),
        ("何度も問い合わせているのに回答がありません。", "situation", "complaint"),
        ("電話窓口の担当者の態度が非常に悪かったです。", "situation", "complaint"),
        ("先日お問い合わせした請求書の件です。", "situation", "follow_up"),
    ],
)
def test_what_the_customer_already_said(text: str, key: str, value: str) -> None:
    _, said = read(text)
    assert said[key] == value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("最大電力が契約電力を20kW超過しました。超過金はいくらですか", "overage_amount"),
        ("違約金はいくらになりますか", "penalty_amount"),
        ("昨年10月に契約電力を上げましたが、今解約すると違約金はかかりますか", "power_increase_effect"),
        ("工場と倉庫の請求額が逆になっていませんか。取り違えがないか確認してください", "compare_sites"),
        ("今月の検針値がおかしいと思います", "recheck_reading"),
        ("燃料費調整額に上限はありますか", "fuel_cap"),
        ("延滞金はかかりますか", "late_charge"),
        ("お電話いただけますでしょうか", "callback"),
        ("振込の締め切りはいつまででしょうか。", "due_date_when"),
    ],
)
def test_what_is_asked(text: str, kind: str) -> None:
    questions, _ = read(text)
    assert kind in [q.kind for q in questions]


def test_a_time_of_day_is_a_call_time_only_when_a_call_is_asked_for() -> None:
    _, said = read("お電話ください。午後3時以降でお願いします。")
    assert said["callback_time"] == "午後3時以降"
    _, said = read("午後3時以降に工事を行います。")
    assert "callback_time" not in said


def test_a_plain_procedure_question_asks_nothing_specific() -> None:
    questions, said = read("マイページのパスワードを忘れました。再設定の方法を教えてください。")
    assert questions == ()
    assert "situation" not in said


def test_signer_from_the_signature_block_and_from_a_self_introduction() -> None:
    assert signer("請求書の件です。\n\n株式会社山田製作所\n総務部 山田 太郎\nTEL 03-1234-5678") == (
        "株式会社山田製作所",
        "山田 太郎",
    )
    assert signer("有限会社ミドリ製作所の緑川と申します。パスワードを忘れました。") == (
        "有限会社ミドリ製作所",
        "緑川",
    )
    assert signer("パスワードを忘れました。") == ("", "")


def test_an_unknown_question_kind_in_the_data_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "questions.toml"
    bad.write_text("[[question]]\nkind = 'weather'\npatterns = ['天気']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="weather"):
        load_patterns(bad)
