"""Date rules of the sixth entity round (five more writers' batches), one test per category of writing."""

from __future__ import annotations

from datetime import date

from intents.understand import read_entities


def day(text: str, intents: list[str], received: date) -> str | None:
    return read_entities(text, received=received, intents=intents).get("date")


RECEIVED = date(2026, 10, 20)


def test_tomorrow_morning_or_evening_is_tomorrow():
    text = "点検が終わりましたので、明朝6時にPASを投入します。ご連絡まで。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-21"
    assert day("明晩22時から受変電設備の清掃を行います。", ["equipment_work"], RECEIVED) == "2026-10-21"
    assert day("明朝体の書類でも受け付けてもらえますか。", ["other"], RECEIVED) is None


def test_english_tomorrow_with_a_clock_time_and_yesterday_evening_for_a_finished_outage():
    text = "Heads-up: the PAS at our depot will be opened tomorrow 06:30 for a cable check."
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-21"
    text = (
        "Yesterday evening around 20:10 we had a power failure at the warehouse; supply came back at 21:00."
    )
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"


def test_the_rest_of_this_year_as_the_day_something_ends_is_31_december():
    assert (
        day("店は今年いっぱいで閉めます。電気の契約も止めたいです。", ["cancellation"], RECEIVED)
        == "2026-12-31"
    )
    assert day("倉庫の契約は年内いっぱいで終わりにしてください。", ["cancellation"], RECEIVED) == "2026-12-31"
    assert day("年内に一度、契約内容を見直したいです。", ["cancellation"], RECEIVED) is None


def test_a_customers_own_deadline_named_by_an_event_is_the_day():
    text = "11/12の役員会までに過去の請求書を見たいので、マイページに入れるようにしてください。"
    assert day(text, ["mypage_login"], RECEIVED) == "2026-11-12"
    assert day("11/5の経費精算に必要なので請求書をもう一度ください。", ["invoice_download"], RECEIVED) == (
        "2026-11-05"
    )
    assert day("9月分の使用量をCSVでください。社内の報告は28日が締切です。", ["usage_data"], RECEIVED) == (
        "2026-10-28"
    )


def test_a_correction_with_ni_naosu_is_a_change_to_that_day():
    text = "11月末で店を閉めて解約の書類も出しましたが、12月10日まで営業します。解約の日を12月10日に直してもらえますか。"
    assert day(text, ["cancellation"], RECEIVED) == "2026-12-10"


def test_a_day_with_its_weekday_after_tte_or_wa():
    text = "今月の引落日ですが、26日って月曜日ですよね。残高を入れておくのは前日まででいいですか。"
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-10-26"


def test_an_english_year_first_date_is_a_full_date():
    text = "Our contract began 2025 Nov 3 and we want to know the earliest date we can end it."
    assert day(text, ["cancellation"], RECEIVED) is None
    text = "Please terminate the contract effective 2027 Jan 31."
    assert day(text, ["cancellation"], RECEIVED) == "2027-01-31"


def test_an_english_past_day_of_this_month_with_a_peak_is_the_data_asked_about():
    text = "We saw an unusual peak on the 6th of this month. Can you show the half-hour values for that day?"
    assert day(text, ["usage_data"], RECEIVED) == "2026-10-06"


def test_an_english_outage_still_going_on_has_no_day():
    text = "Lost power at the Osaka kitchen at 5:40 this morning, all fryers down. Our electrician is on the way."
    assert day(text, ["outage"], RECEIVED) is None


def test_a_day_ahead_in_a_thank_you_sentence_is_still_the_day_of_the_procedure():
    text = "12月20日で契約を終わりにする件、書類の手配ありがとうございました。最後の請求はいつ来ますか。"
    assert day(text, ["cancellation", "bill_inquiry"], RECEIVED) == "2026-12-20"
    assert day("昨日はお電話ありがとうございました。請求書の件です。", ["bill_inquiry"], RECEIVED) is None


def test_an_english_day_by_its_number_in_a_plan_lies_ahead():
    text = "Our line stops for maintenance next month. We plan to open the PAS on the 3rd, early morning."
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-03"
    text = "Please show me the half-hour usage for the 12th, we had a spike."
    assert day(text, ["usage_data"], RECEIVED) == "2026-10-12"
