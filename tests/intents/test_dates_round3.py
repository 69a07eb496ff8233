"""Date rules of the third entity round (six more writers' batches), one test per category of writing."""

from __future__ import annotations

from datetime import date

import pytest

from intents.understand import read_entities


def day(text: str, intents: list[str], received: date, other_reason: str | None = None) -> str | None:
    return read_entities(text, received=received, intents=intents, other_reason=other_reason).get("date")


@pytest.mark.parametrize(
    ("text", "intents", "expected"),
    [
        # a dayless intent: the day ahead a change takes effect from, in a plan or a request
        (
            "11月1日から倉庫の冷凍機を2台増設します。契約の見直しは必要ですか。",
            ["usage_change"],
            "2026-11-01",
        ),
        (
            "来月5日以降に発行される請求書は、新しい住所へお送りください。",
            ["billing_address_change"],
            "2026-11-05",
        ),
        (
            "From 1 December we will run the plant on weekdays only. Can you re-estimate our rates?",
            ["usage_change"],
            "2026-12-01",
        ),
        # not in a self-introduction, not in a finished move, not from a rough month end
        (
            "12月1日から御社より電気の供給を受ける者です。マイページのIDはどこで分かりますか。",
            ["mypage_login"],
            None,
        ),
        (
            "本社を移転しました（11月2日より営業開始）。請求書の送付先を変えてください。",
            ["billing_address_change"],
            None,
        ),
        (
            "We will drop the night shift from the end of next month. Should the contract be reviewed?",
            ["usage_change"],
            None,
        ),
    ],
)
def test_a_day_a_change_takes_effect_from(text: str, intents: list[str], expected: str | None):
    assert day(text, intents, date(2026, 10, 20)) == expected


def test_outage_cues_third_round():
    received = date(2026, 9, 8)
    # still going on, written 継続中 or as the supply stopped: no day (a day of the past is the outage's own)
    assert day("落雷で昨夜から停電継続中です。復旧の見込みを教えてください。", ["outage"], received) is None
    text = "大雨で昨夜から変電室が浸水し、現在受電を停止しています。遮断器の交換が必要です。手続きは？"
    assert day(text, ["outage", "equipment_work"], received) is None
    # over, written in the humble form: the day it happened
    text = "9月6日、昼前から停電しておりましたが、同日夕方に復旧いたしました。ご報告します。"
    assert day(text, ["outage"], received) == "2026-09-06"


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("本日9:30にPAS投入しました。送配電には連絡済みです。", ["pas_open"]),
        ("本日、改修工事が終わりPAS投入完了しました。", ["pas_open"]),
        ("本日14時に復電しました。設備に異常はありません。", ["outage"]),
        ("Quick update: power came back at 05:10 this morning, no damage found.", ["outage"]),
    ],
)
def test_today_with_a_clock_time_or_an_operation_done_is_that_day(text: str, intents: list[str]):
    assert day(text, intents, date(2026, 9, 8)) == "2026-09-08"


def test_today_as_the_day_of_writing_stays_no_day():
    assert (
        day(
            "本日マイページで住所を変更しました。請求書にも反映されますか。",
            ["account_info_change"],
            date(2026, 9, 8),
        )
        is None
    )


def test_a_day_with_its_weekday_written_with_ga_or_beside_a_holiday():
    received = date(2026, 12, 1)
    text = "今月の引落日なんですが、27日が日曜ですよね。実際は何日に落ちますか？"
    assert day(text, ["payment_due_date"], received) == "2026-12-27"
    text = "23日（水・祝）の30分値を見たいのですが、どこから出せますか。"
    assert day(text, ["usage_data"], date(2026, 9, 30)) == "2026-09-23"


def test_english_weekday_with_its_day_and_the_nth_of_next_month():
    received = date(2026, 9, 10)  # a Thursday
    text = "Could you send the half-hourly data for this Monday (the 7th)? We saw a spike."
    assert day(text, ["usage_data"], received) == "2026-09-07"
    text = "The outage started on Friday night and the supply was restored on Saturday the 5th."
    assert day(text, ["outage"], received) == "2026-09-05"
    text = "We are leaving the site. Please end our contract on the 20th of next month."
    assert day(text, ["cancellation"], received) == "2026-10-20"
    # a rule's "the 6th of the following month" is any month's
    text = "Our metering day is the 2nd. Is the debit then on the 6th of the following month?"
    assert day(text, ["payment_due_date"], received) is None
