"""Date rules of the fifth entity round (six more writers' batches), one test per category of writing."""

from __future__ import annotations

from datetime import date

from intents.understand import read_entities


def day(text: str, intents: list[str], received: date) -> str | None:
    return read_entities(text, received=received, intents=intents).get("date")


RECEIVED = date(2026, 10, 20)


def test_sakki_with_a_clock_time_is_today_and_alone_is_no_day():
    assert (
        day("さっき9:40に一瞬電気が落ちました。原因を教えてください。", ["outage"], RECEIVED) == "2026-10-20"
    )
    assert day("さっき10時ごろ瞬停がありました。", ["outage"], RECEIVED) == "2026-10-20"
    assert day("すみません、さっきの件ですが解決しました。", ["other"], RECEIVED) is None


def test_a_supposed_case_with_a_topic_between_is_not_the_day_asked_about():
    text = "11月8日の引落予定ですが、11月8日は日曜です。この場合、振替は9日（月）でしょうか。"
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-11-08"


def test_the_debit_from_which_a_change_applies_is_a_strong_start():
    text = "引落口座を変更します。11月26日の引落分から新口座でお願いできますか。"
    assert day(text, ["payment_method"], RECEIVED) == "2026-11-26"
    assert day("請求書の送付先を変えたいです。来月10日の分から。", ["billing_address_change"], RECEIVED) == (
        "2026-11-10"
    )


def test_an_nth_weekday_far_ahead_without_a_year_is_last_years():
    text = "9月第1日曜日に館内の空調を止めました。その日の30分値を見たいです。"
    assert day(text, ["usage_data"], date(2026, 10, 25)) == "2026-09-06"


def test_the_day_of_a_plan_given_up_yields_to_the_day_it_moved_to():
    text = "12月1日付で移転する予定でしたが、工事の都合で12月15日にずれました。解約日もそれに合わせたいです。"
    assert day(text, ["cancellation"], RECEIVED) == "2026-12-15"


def test_an_english_period_with_to_or_until_names_no_day_except_for_work_on_site():
    text = "We need the consumption data for 1 April to 30 June 2026 for our audit. Can you send it?"
    assert day(text, ["usage_data"], RECEIVED) is None
    text = "From early November until the end of January we will run extra freezers. Should we raise our contract?"
    assert day(text, ["contract_power"], RECEIVED) is None
    text = "The hall closes for works from November 9 to November 20 and the PAS must be opened. What do we file?"
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-09"
    text = "Could you move the inspection from November 9 to November 16?"
    assert day(text, ["equipment_work"], RECEIVED) == "2026-11-16"


def test_a_supply_start_is_background_to_a_question_with_no_day_of_its_own():
    text = "12月1日から御社の電気の供給が始まります。マイページの初回登録はどこからできますか。"
    assert day(text, ["mypage_login"], RECEIVED) is None
