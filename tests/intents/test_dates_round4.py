"""Date rules of the fourth entity round (four more writers' batches), one test per category of writing."""

from __future__ import annotations

from datetime import date

from intents.understand import read_entities


def day(text: str, intents: list[str], received: date) -> str | None:
    return read_entities(text, received=received, intents=intents).get("date")


RECEIVED = date(2026, 10, 20)


def test_a_date_after_a_list_number_is_read():
    text = "以下ご確認ください。\n1．11月30日の閉店をもって解約したいです。\n2．違約金はかかりますか。"
    assert day(text, ["cancellation"], RECEIVED) == "2026-11-30"


def test_a_past_operation_on_site_reported_done_dates_the_request():
    assert (
        day("10月17日（土）の朝にPASを投入いたしました。事後報告です。", ["pas_open"], RECEIVED)
        == "2026-10-17"
    )
    assert day("先週の土曜、10月17日にPAS開放して点検やりました。", ["pas_open"], RECEIVED) == "2026-10-17"


def test_a_reason_clause_pointed_back_to_with_soremade_is_a_deadline():
    text = "社内の締めが11/5なので、それまでに先月分の請求書が必要です。"
    assert day(text, ["invoice_download"], RECEIVED) == "2026-11-05"


def test_a_cancellation_day_written_with_its_year_is_not_the_notices_day():
    text = "他社切替のため2027年1月31日付で解約します（解約通知書は送付済み）。最終請求はいつ届きますか。"
    assert day(text, ["cancellation", "bill_inquiry"], RECEIVED) == "2027-01-31"


def test_a_change_of_company_form_is_no_staff_change():
    text = "当社は2027年1月1日に有限会社から株式会社へ組織変更します。名義変更の書類を教えてください。"
    assert day(text, ["name_change"], RECEIVED) == "2027-01-01"


def test_new_years_day_is_a_day():
    text = "元日は夜通し照明を使いました。元日の30分値を見たいです。"
    assert day(text, ["usage_data"], date(2027, 1, 8)) == "2027-01-01"


def test_two_strong_days_the_one_of_the_intents_own_word_wins():
    text = "工場は12月10日をもって操業を終了します。電気は搬出のため12月15日をもって解約します。"
    assert day(text, ["cancellation"], RECEIVED) == "2026-12-15"


def test_an_english_day_by_its_number_after_on_or_for_is_the_nearest_such_day():
    received = date(2026, 10, 12)
    assert day(
        "We will open the PAS on the 24th for the yearly check. Do we tell you?", ["pas_open"], received
    ) == ("2026-10-24")
    assert day("Where can I get the half-hourly data for the 9th?", ["usage_data"], received) == "2026-10-09"
    # a day of the month that comes back (the meter reading, the debit) is no one day
    text = "Please move us to direct debit. When is the money taken? Our meter read is on the 2nd."
    assert day(text, ["payment_method", "payment_due_date"], received) is None


def test_an_english_label_with_an_adverb_names_the_day():
    text = (
        "Supply from the new retailer begins on December 1, 2026. "
        "The last day of supply with you should therefore be November 30, 2026."
    )
    assert day(text, ["cancellation"], RECEIVED) == "2026-11-30"


def test_a_day_in_a_supposed_case_is_not_the_day_asked_about():
    text = "引落は毎月27日と伺っています。来月27日は土曜日ですが、その場合は30日（月）に引き落とされますか。"
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-11-27"
