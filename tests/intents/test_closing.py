"""The closing-message detector: thanks and "understood" need no reply; anything asking more does."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from intents.closing import is_closing, is_closing_understanding

CLOSING = [
    "ありがとうございました。",
    "了解しました",
    "承知いたしました。引き続きよろしくお願いいたします。",
    "ご丁寧にありがとうございます。助かりました！\n山田製作所 山田",
    "お世話になっております。\nご回答ありがとうございました。\n以上、よろしくお願いいたします。",
    "Thanks!",
    "Understood, thank you.",
    "ｱﾘｶﾞﾄｳございました",  # half-width kana folds
    "確認しました。ありがとうございます。\n\n> 2026/11/20 窓口 wrote:\n> 違約金はいくらですか？",
]
NOT_CLOSING = [
    "ありがとうございます。違約金はいつ支払えばよいですか？",
    "ありがとうございました。ところで、来月の請求書の送付先を変更したいです。",
    "了解しました。ただ、請求額が以前の明細と違っているように見えます。",
    "Thanks. When is the payment due?",
    "Thank you, but the invoice still shows the old address.",
    "請求書の送付先を変更したいです。",
    "",
    "山田です。",  # nothing closing in it
    "承知しました。解約日は2027年3月31日でお願いいたします、書類は本社総務部宛てに送付をお願いします。",
]


@pytest.mark.parametrize("text", CLOSING)
def test_thanks_and_understood_are_closing(text: str) -> None:
    assert is_closing(text)


@pytest.mark.parametrize("text", NOT_CLOSING)
def test_questions_and_substance_are_not_closing(text: str) -> None:
    assert not is_closing(text)


@dataclass
class _Understood:
    other_reason: str | None


def test_classifier_thanks_reason_counts_unless_the_text_asks_something() -> None:
    assert is_closing_understanding(_Understood("thanks"), "本件、社内で共有させていただきます。")
    assert not is_closing_understanding(_Understood("thanks"), "ありがとうございます。期日はいつですか？")
    assert not is_closing_understanding(_Understood(None), "本件、社内で共有させていただきます。")
