"""Which written day is the request's day (``intents.entities``' date choice through the pipeline's entity
path): one test per category of writing found on the writers' batches, each with an invented message."""

from __future__ import annotations

from datetime import date

import pytest

from intents.dates_en import requested_date
from intents.understand import read_entities


def day(text: str, intents: list[str], received: date, other_reason: str | None = None) -> str | None:
    return read_entities(text, received=received, intents=intents, other_reason=other_reason).get("date")


RECEIVED = date(2026, 10, 20)


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


# --- seventh round (read on the four writers' batches of round 6, after round 6 was measured first-seen) ---


def test_a_day_of_the_month_in_brackets_names_the_day_just_described():
    text = "大雨で川が増水した日（3日）の30分値を見たいです。保険の申請に使います。"
    assert day(text, ["usage_data"], date(2026, 10, 6)) == "2026-10-03"
    text = "停電の翌日（18日）に冷蔵設備の温度が上がったので、その日の使用量を確認したいです。"
    assert day(text, ["usage_data"], date(2026, 10, 20)) == "2026-10-18"


def test_days_counted_back_from_today_date_what_happened():
    assert day("2日前の夜に瞬停がありました。原因を知りたいです。", ["outage"], RECEIVED) == "2026-10-18"
    assert day("三日前の30分値がまだ表示されません。", ["usage_data"], RECEIVED) == "2026-10-17"
    # 「3日前までに」 counted before another day is a rule, not a day; 「前日」 alone names no day
    assert day("解約は何日前までに連絡すればいいですか。", ["cancellation"], RECEIVED) is None


def test_sakki_beside_an_outage_or_an_operation_reported_is_today():
    text = "さっきの落雷で一瞬電気が落ちましたが、すぐ戻りました。念のため報告です。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-20"
    text = "浸水しそうなので、さっきPASを開放しました。水が引いたら連絡します。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-20"
    assert (
        day("さっきの件ですが、請求書の宛名は変えられますか。", ["billing_address_change"], RECEIVED) is None
    )


def test_the_day_before_or_after_a_written_day_is_counted_from_it():
    text = "建物の解体が11月14日に始まります。その前日をもって電気の契約を解約したいです。"
    assert day(text, ["cancellation"], RECEIVED) == "2026-11-13"


def test_a_stretch_until_a_bare_day_is_a_period_not_a_day():
    text = "10月5日から11日までの1日ごとの使用量を前年と比べたいです。"
    assert day(text, ["usage_data"], RECEIVED) is None
    # for work on the site the stretch's first day is its day
    text = "11月7日から9日まで受変電設備の更新工事で停電します。"
    assert day(text, ["equipment_work"], RECEIVED) == "2026-11-07"


def test_a_day_by_which_the_customer_must_have_something_is_their_deadline():
    text = (
        "監査法人に出すため、過去1年分の請求書を11月6日までに揃える必要があります。PDFはどこから取れますか。"
    )
    assert day(text, ["invoice_download"], RECEIVED) == "2026-11-06"
    text = "予算の見直しで、月別の燃料費調整額を11月13日までに確認しなければなりません。"
    assert day(text, ["bill_inquiry"], RECEIVED) == "2026-11-13"


def test_a_change_announced_as_decided_takes_effect_from_its_day():
    text = "11月1日から3階を倉庫として24時間使うことになりました。契約電力は見直した方がいいですか。"
    assert day(text, ["usage_change"], RECEIVED) == "2026-11-01"


def test_a_move_by_a_length_of_time_still_goes_to_the_day_named():
    text = "受電設備の更新工事は、部品の納期遅れで11/7（土）から11/14（土）に1週間延期になりました。"
    assert day(text, ["equipment_work"], RECEIVED) == "2026-11-14"


def test_an_outage_left_standing_has_no_day():
    text = "昨夜から第2ポンプ場が停電したままです。非常用発電機で運転しています。"
    assert day(text, ["outage"], RECEIVED) is None
    assert day("落雷でPASが動作して切れています。至急対応お願いします。", ["outage"], RECEIVED) is None


def test_work_reported_complete_dates_its_past_day():
    text = "10/12に構内点検で全停し、PAS開放のあと同日夕方に投入完了しています。報告まで。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-12"


def test_english_a_plan_moved_to_a_day_by_its_number_lies_ahead():
    text = "The switchgear replacement has been moved to the 12th. Is the earlier notice still valid?"
    assert day(text, ["equipment_work"], RECEIVED) == "2026-11-12"


def test_english_yesterday_at_around_a_clock_time_when_power_came_back():
    text = (
        "Power at our warehouse came back yesterday at around 3 pm after the storm. Anything we must report?"
    )
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"


# --- eighth round (read on round 7's six writers after they were measured first-seen) ---


def test_just_now_with_a_clock_time_dates_an_outage_that_is_over():
    text = "今しがた（14:05ごろ）倉庫で瞬停がありました。今は復電しています。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-20"


def test_tonight_names_today_for_planned_work():
    text = "キュービクルから異音がするため、今夜22時から緊急停電して部品を交換します。"
    assert day(text, ["equipment_work"], RECEIVED) == "2026-10-20"


def test_a_day_with_its_weekday_after_kongetsu_is_this_months():
    # on 1 March 2027 the 27th of February and of March are both Saturdays: 今月 says which
    text = "今月は27日が土曜日ですが、引き落としは何日になりますか。"
    assert day(text, ["payment_due_date"], date(2027, 3, 1)) == "2027-03-27"


def test_sakki_beside_an_alarm_is_today():
    text = "さっき受電設備で地絡警報が出ました（10:12）。停電はしていません。念のため共有です。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-20"


def test_a_report_with_only_a_clock_time_is_of_the_day_written():
    assert day("報告です。PASは15:30に投入完了、受電も正常です。", ["pas_open"], RECEIVED) == "2026-10-20"
    text = "Update: the site was back on grid at 16:40. No damage found."
    assert day(text, ["outage"], RECEIVED) == "2026-10-20"
    # a clock time with nothing done or over names no day
    assert day("PASは何時に投入すればいいですか。9:00でも大丈夫ですか。", ["pas_open"], RECEIVED) is None


def test_an_outage_still_going_on_after_a_dip_or_on_generators_has_no_day():
    text = "11:20ごろ瞬停があってそのまま落ちました。今も工場全体が停電してます。"
    assert day(text, ["outage"], RECEIVED) is None
    text = "本日未明の落雷で停電しました。現在は非常用発電機で運転中です。"
    assert day(text, ["outage"], RECEIVED) is None
    assert day("雷でPASが落ちて、工場ぜんぶ停電です！", ["outage"], RECEIVED) is None
    text = "We have had no power since 5 am today because of the snow. Who should we call?"
    assert day(text, ["outage"], RECEIVED) is None


def test_a_meter_reading_referred_to_is_not_the_day_asked_about():
    text = "11月1日計量分がいつ引き落とされるのか知りたいです。11月26日の引落という理解でよいですか。"
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-11-26"


def test_the_day_the_power_switched_to_us_is_background_to_a_login_question():
    text = "11/1から御社の電気に切り替わるのですが、マイページはいつから使えますか。"
    assert day(text, ["mypage_login"], RECEIVED) is None


def test_a_name_change_already_in_effect_keeps_its_day():
    text = "10/1から社名が「株式会社みなと冷凍」に変わりました。電気の名義も変更したいです。"
    assert day(text, ["name_change"], RECEIVED) == "2026-10-01"


def test_a_day_the_next_sentence_points_back_to_is_the_day_asked_about():
    text = (
        "9月1日から冷凍機を増やしました。でも9月15日だけ使用量がとても多いです。この日の30分値を見たいです。"
    )
    assert day(text, ["usage_data"], RECEIVED) == "2026-09-15"


def test_the_writers_own_look_this_morning_is_not_the_day_of_the_data():
    text = "今朝見たところ、昨日（10/19）の30分値が全部空欄でした。いつ反映されますか。"
    assert day(text, ["usage_data"], RECEIVED) == "2026-10-19"


def test_english_last_night_tmrw_and_tonight():
    text = "The power went out at our depot last night at 11pm and came back after 30 minutes. What happened?"
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"
    assert day("PAS open tmrw 7am at the Chiba site, back by noon.", ["pas_open"], RECEIVED) == "2026-10-21"
    text = "A cable end is overheating; our engineer will cut power tonight for an emergency repair."
    assert day(text, ["outage"], RECEIVED) == "2026-10-20"


def test_english_nth_weekday_and_ordinal_of_next_month():
    text = "Our annual inspection is on the first Saturday of November; the PAS will be opened at 8:00."
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-07"
    text = "Our Okinawa hotel gets a new owner from the 1st of next month. What do they need to send?"
    assert day(text, ["name_change"], RECEIVED) == "2026-11-01"


def test_english_a_plan_moved_to_a_day_is_labelled_unless_asked():
    text = "Our inspection was planned for Nov 7 but the contractor moved it to Nov 14. We'll open the PAS at 7:00."
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-14"


def test_english_the_second_day_of_a_dashed_stretch_is_not_the_day():
    text = "The transformer work is set for the weekend of 14-15 November, with the shutdown on Saturday the 14th."
    assert day(text, ["equipment_work"], RECEIVED) == "2026-11-14"


# --- ninth round (read on round 8's five writers after they were measured first-seen) ---


def test_asu_is_tomorrow():
    assert day("【連絡】あすの朝9時、PASを投入します。", ["pas_open"], RECEIVED) == "2026-10-21"


def test_an_operation_named_as_a_label_marks_its_day():
    text = "点検のためPASを開放します。\n開放：10/29（木）8:00\n投入：11/2（月）8:00 の予定です。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-29"


def test_an_effective_day_named_as_a_label_beats_a_document_deadline():
    text = "会社分割で工場は新会社が引き継ぎます。\n・効力発生日は令和9年1月1日\n書類の提出期限は12月1日という理解でよいでしょうか。"
    assert day(text, ["name_change"], RECEIVED) == "2027-01-01"


def test_the_notice_deadline_is_not_the_cancellation_day():
    text = (
        "解約希望日：R8.12.31\n3か月前＝9月末までに解約通知書を出せば違約金なし、という理解で合っていますか。"
    )
    assert day(text, ["cancellation"], date(2026, 9, 10)) == "2026-12-31"
    text = "来年3月末で他社へ切り替えます。解約通知書の提出期限は12月31日という理解でよろしいでしょうか。"
    assert day(text, ["cancellation"], RECEIVED) == "2027-03-31"


def test_a_clock_time_a_few_words_after_honjitsu_names_today():
    text = "本日のPAS投入、15時予定でしたが業者の都合で17時に変更になりました。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-20"


def test_outages_going_on_in_casual_words_have_no_day():
    assert day("今朝5時の立ち上げから一部の系統だけ電気きてないです", ["outage"], RECEIVED) is None
    assert day("さっきから瞬停が何回も続いてて、機械が止まりまくってます", ["outage"], RECEIVED) is None


def test_a_report_deadline_does_not_replace_the_outage_day():
    text = "報告書を10月30日までに提出しなければならないため、10月3日の停電の原因を教えてください。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-03"


def test_a_staff_handover_and_a_supply_start_before_its_day_are_background():
    text = "10月1日より経理担当が小野寺から私、千葉に交代いたしました。請求書の宛名を変更してください。"
    assert day(text, ["billing_address_change"], date(2026, 9, 16)) is None
    text = "供給開始は来月11月1日からと伺っております。今のうちにマイページに登録しておきたいです。"
    assert day(text, ["mypage_login"], RECEIVED) is None


def test_next_year_said_just_before_keeps_a_far_month_end_ahead():
    text = "分工場は来年の3月で閉めることにしました。なので3月末で電気も解約したいです。"
    assert day(text, ["cancellation"], date(2026, 5, 11)) == "2027-03-31"


def test_english_end_of_this_year_weekday_abbreviations_and_parts_of_day():
    text = "We'd like to end the electricity contract at the end of this year."
    assert day(text, ["cancellation"], RECEIVED) == "2026-12-31"
    text = "Heads up: we need to open the PAS on Sat the 24th for the transformer inspection."
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-24"
    text = "Contractor wants the PAS opened on the morning of the 28th and closed that evening."
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-28"
    text = "Just a heads-up: we're opening the PAS at 7:00 today for the cubicle cleaning."
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-20"
    text = "FYI: the transformer swap finishes tomorrow afternoon; we'll close the PAS again then."
    assert day(text, ["pas_open", "equipment_work"], RECEIVED) == "2026-10-21"


def test_english_a_day_in_the_past_tense_is_the_past_one():
    text = "We received an invoice for July, but the contract was terminated on 31 March. What is this for?"
    assert day(text, ["bill_inquiry"], date(2026, 8, 11)) is None  # a past day dates nothing asked
    assert requested_date(text, received=date(2026, 8, 11)) != date(2027, 3, 31)


def test_english_an_outage_since_a_clock_time_today_is_going_on():
    text = "The power at our bakery has been out since 6am this morning. Please call me back on my mobile."
    assert day(text, ["outage"], RECEIVED) is None


# --- tenth round (read on round 9's five writers after they were measured first-seen) ---


def test_the_due_day_that_falls_on_a_holiday_is_the_day_asked_about():
    text = "今月分の振込期日は月末だと思うのですが、今月は31日が土曜日です。この場合は30日（金）までに振り込まないといけませんか。"
    assert day(text, ["payment_due_date"], date(2026, 10, 5)) == "2026-10-31"
    text = "今月は6月27日の引落しだと思いますが、27日が日曜日です。翌営業日の28日（月）に引き落とされるという理解でよいでしょうか。"
    assert day(text, ["payment_due_date"], date(2027, 6, 21)) == "2027-06-27"


def test_a_rules_example_quoted_from_the_guide_is_no_day():
    text = "ガイドには「4月1日変更なら2月14日まで」ってあるんですが、うちは12月1日に会社名が変わる予定です。"
    assert day(text, ["name_change"], RECEIVED) == "2026-12-01"


def test_a_name_change_registered_already_keeps_its_day():
    assert (
        day("社名変更の登記が10/1に終わりました。名義変更の書類をください。", ["name_change"], RECEIVED)
        == "2026-10-01"
    )


def test_stopping_the_power_is_the_cancellations_own_word():
    text = "新工場は2027年2月1日から稼働予定で、旧工場は2027年1月31日で電気を止めたいです。"
    assert day(text, ["cancellation"], RECEIVED) == "2027-01-31"


def test_an_outage_just_now_or_still_continuing_has_no_day():
    assert day("たった今、本社工場が全部停電しました！！", ["outage"], RECEIVED) is None
    assert day("停電が今朝6時くらいからずっと続いてて換気扇が止まってます", ["outage"], RECEIVED) is None
    # reported in the past and restored: the day it happened
    text = "昨夜の台風で、夜の10時ごろから今朝3時ごろまで停電しておりました。いまは復旧しております。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"


def test_english_spelled_out_days_and_from_the_nth():
    text = "Our company name changes from Kestrel Foods Japan GK to Kestrel Japan GK on November first."
    assert day(text, ["name_change"], RECEIVED) == "2026-11-01"
    text = "Our arcade will close for two weeks of renovation from the 26th; we should open the PAS for the period."
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-26"
    text = "On the 15th the power at our bakery went down for about two hours. It's back now. What caused it?"
    assert day(text, ["outage"], RECEIVED) == "2026-10-15"


def test_a_day_ahead_after_a_sites_heading_is_the_operations_day():
    # RECEIVED is 2026-10-20: a note's heading stamps the day it is written, never a day ahead
    text = "【東和ゴム 本社工場】10/31(土) 月次点検のためPAS開放します。\n開放 9:00 / 投入 14:00予定です。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-31"
    assert day("【電話メモ】10/20 14:10\n・PASの開放について問い合わせあり", ["pas_open"], RECEIVED) is None


def test_a_day_written_earlier_and_taken_back_gives_way_to_the_new_one():
    text = "先日24日(土)に投入とお伝えしましたが、業者の都合で10/23(金)の午前に前倒しします。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-10-23"


def test_the_debit_a_new_account_starts_from_is_the_payment_methods_day():
    text = "引落口座を本部の口座に変えたいです。来月末の引落から新しい口座にできますか？"
    assert day(text, ["payment_method"], RECEIVED) == "2026-11-30"
    text = "振込をやめて口座振替にしたいです。今月30日の支払いの分から変えられますか？"
    assert day(text, ["payment_method"], RECEIVED) == "2026-10-30"


def test_the_outages_day_not_the_day_it_was_repaired():
    text = (
        "昨夜、落雷で停電しました。業者さんに来てもらい、今朝までに復旧しております。原因を教えてください。"
    )
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"
    text = "昨日の夕方、雷で工場が30分ほど停電しました。避雷器の損傷を確認し、本日交換済みです。"
    assert day(text, ["outage"], RECEIVED) == "2026-10-19"
    # the only dated sentence tells of the power coming back: still that day
    assert (
        day("台風で電気が止まりましたが、昨日の夜にやっと電気戻りました。", ["outage"], RECEIVED)
        == "2026-10-19"
    )


def test_a_site_that_still_cannot_run_is_an_outage_still_going_on():
    text = "昨夜の大雨で構内の電柱が傾き、朝から停電していて、今もラインが動かせません。"
    assert day(text, ["outage"], RECEIVED) is None


def test_a_state_going_on_since_a_day_without_its_year_began_on_the_past_one():
    # RECEIVED is 2026-10-20: 「7月1日から…休館しており」 began last July, not next July; it is background to a bill
    text = "美術館は7月1日から改修工事で休館しており、開閉器も開放して電気は止めております。今月の請求額を教えてください。"
    assert day(text, ["bill_inquiry"], RECEIVED) is None
    # a plan said in the same forms is still ahead
    text = "倉庫を11月1日から来年3月末まで休止します。その間はPASを開放しておきたいです。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-01"


def test_the_seasons_last_day_gives_way_to_the_pas_operation_after_it():
    text = "今年の営業は11月3日で終了し、3月末まで冬期休業です。例年どおり11月10日にPASを開放します。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-10"
    text = "プールの営業が10/31で終わるので、翌日の11/1にPASを開放して受電を止めます。"
    assert day(text, ["pas_open"], RECEIVED) == "2026-11-01"
    # a cancellation's day is the end itself
    assert (
        day("工場は11月30日で操業を終了し、12月1日に建物を引き渡します。", ["cancellation"], RECEIVED)
        == "2026-11-30"
    )


def test_work_reported_finished_safely_keeps_its_past_day():
    text = "17日（土）のキュービクル更新工事、無事に終わりました。PASも予定通り投入して、今朝から通常どおり動いています。"
    assert day(text, ["equipment_work", "pas_open"], RECEIVED) == "2026-10-17"


def test_lights_out_now_is_an_outage_still_going_on():
    text = "今日は法要が3件入っているのに、納骨堂の搬送機が全部止まってて、照明も消えてます。停電でしょうか。"
    assert day(text, ["outage"], RECEIVED) is None


def test_an_english_due_day_asked_by_its_number_is_the_next_such_day():
    # RECEIVED is 2026-10-20: "the 27th" asked about is this month's; "the 10th", already past, next month's
    text = "When will this month's payment be taken from our account? Is it the 27th? We need to top it up."
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-10-27"
    text = "What's the transfer deadline for the September bill? Our meter reading day is the second, so is it the 10th?"
    assert day(text, ["payment_due_date"], RECEIVED) == "2026-11-10"


def test_an_english_metering_day_is_every_months_not_the_day_asked_about():
    text = "Now that we're on direct debit - our metering day is the 2nd - which day will this month's bill be taken?"
    assert day(text, ["payment_due_date"], RECEIVED) is None


# Round 13 (five new writers: funeral halls, resorts, shipyards, inns, property funds), by category.
MONDAY = date(2026, 4, 13)


@pytest.mark.parametrize(
    "text",
    [
        "Our electrician will open the PAS on Friday next week. Anything else we need to do?",
        "Our electrician will open the PAS next week on Friday. Anything else we need to do?",
    ],
)
def test_an_english_weekday_of_next_week_is_in_next_week(text: str):
    assert day(text, ["pas_open"], MONDAY) == "2026-04-24"


def test_an_english_day_of_next_year_is_in_next_year():
    text = "We want to cancel the Sakai warehouse contract effective Apr 30 next year."
    assert day(text, ["cancellation"], MONDAY) == "2027-04-30"
    assert (
        day("Please cancel the contract effective 30 April next year.", ["cancellation"], MONDAY)
        == "2027-04-30"
    )


def test_a_past_tense_clause_ends_at_a_semicolon():
    text = "The hotel has been sold; closing on May 31. Please terminate the contract effective that day."
    assert day(text, ["cancellation"], MONDAY) == "2026-05-31"


@pytest.mark.parametrize(
    "text",
    [
        "Our term renews every 1 October. How early must we send the notice to cancel?",
        "The contract renews on 1 October every year. How early must we send the notice to cancel?",
    ],
)
def test_an_english_day_that_comes_back_every_year_is_no_day(text: str):
    assert day(text, ["cancellation"], MONDAY) is None


def test_a_month_and_day_with_bun_is_the_day_whose_data_is_asked():
    # 「3日分」 alone is a quantity of days; after a month, 「4月8日分」 is that day's share
    text = "マイページで4月8日分の30分値を確認したいのですが、表示されません。"
    assert day(text, ["usage_data"], MONDAY) == "2026-04-08"
    assert day("3日分の30分値をまとめて見る方法を教えてください。", ["usage_data"], MONDAY) is None


def test_an_english_past_day_pointed_back_to_as_that_day_is_the_day_asked():
    text = "We held a night event on Saturday April 4. Could you help me find the half-hourly usage for that day?"
    assert day(text, ["usage_data"], MONDAY) == "2026-04-04"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # round 15: the season's last day 「をもちまして」, then the day the PAS is opened
        (
            "当倶楽部は11月16日（日）の営業をもちまして本年のシーズンを終えます。水抜きが済み次第、"
            "11月25日（火）の午前中にPASを開放する予定です。",
            "2025-11-25",
        ),
        (
            "当スキー場は3月22日をもちまして今季の営業を終了いたします。点検を経て4月5日にPASを開放いたします。",
            "2027-04-05",
        ),
        # the day it is opened, not the day it is closed again
        ("3/3(火)から2週間休館します。3/3の朝に開放→3/17に投入の予定です。", "2027-03-03"),
    ],
)
def test_a_pas_operation_day_is_the_day_it_is_opened(text: str, expected: str):
    assert day(text, ["pas_open"], date(2025, 11, 4) if "11月" in text else date(2027, 2, 10)) == expected


@pytest.mark.parametrize(
    ("text", "received", "expected"),
    [
        (
            "Yatsugatake Glamping Village will close for the winter from 1 December 2026. Our team will open "
            "the PAS on 8 December, after the pipes are drained.",
            date(2026, 11, 18),
            "2026-12-08",
        ),
        # two days in one sentence: the one the opening is told with
        (
            "The last shipment leaves on 14 May, and we plan to open the PAS on 15 May and keep it open until "
            "the end of the contract.",
            date(2027, 4, 28),
            "2027-05-15",
        ),
    ],
)
def test_an_english_pas_operation_day_is_the_day_it_is_opened(text: str, received: date, expected: str):
    assert day(text, ["pas_open"], received) == expected


def test_the_month_a_notice_must_be_sent_in_is_not_the_cancellation_day():
    text = "草加店は6月末で契約を終わりにしたいです。3か月前なので今月中に解約通知書を出せば間に合いますか？"
    assert day(text, ["cancellation"], date(2025, 3, 14)) == "2025-06-30"
    text = "契約適用日は去年の11/1なので、今月中に解約通知書を出せば10月末の解約で違約金ゼロで合ってますか？"
    assert day(text, ["cancellation"], date(2026, 7, 15)) == "2026-10-31"


@pytest.mark.parametrize(
    "text",
    [
        "社長からの指示をメモのままお送りします。\n---\n10/26 朝礼後 社長より\n・乗り換えた場合の違約金を確認すること\n---",
        "電話メモを貼ります\n5/7 10:20 本社 小松さんから TEL\n・4月分の使用量は確定値か",
    ],
)
def test_the_time_stamp_heading_a_memo_is_not_the_day_asked(text: str):
    intents = ["usage_data"] if "使用量" in text else ["cancellation"]
    assert day(text, intents, date(2026, 10, 26) if "10/26" in text else date(2026, 5, 7)) is None


@pytest.mark.parametrize(
    "text",
    [
        "本日付で前任から電気料金の担当を引き継ぎました。マイページにはどこから入ればよいでしょうか。",
        "本日付で私が担当を引き継ぎましたので、マイページの登録アドレスを変更したいです。",
    ],
)
def test_the_day_a_person_took_over_the_account_is_no_day_of_the_request(text: str):
    assert day(text, ["mypage_login", "account_info_change"], date(2026, 4, 1)) is None


def test_the_day_an_answer_is_needed_by_is_the_day_of_a_question_with_no_day_of_its_own():
    text = (
        "8月分のご請求が7月分より約42万円増えておりました。内訳をご確認いただけますでしょうか。"
        "社内の稟議で説明を求められており、9月10日までにご回答いただけますと助かります。"
    )
    assert day(text, ["bill_inquiry"], date(2025, 9, 3)) == "2025-09-10"
    # a day in the past the answer was due is no request's day
    assert day(text, ["bill_inquiry"], date(2025, 9, 20)) is None


@pytest.mark.parametrize(
    "text",
    [
        # round 17: the retailer's terms revised from a day are no day of the customer's question
        "請求書に「7月1日より電気需給約款を変更します」と書いてありました。どの条文が変わるのでしょうか。",
        "10月1日付で約款が改定されるそうですね。改定後の約款はどこで読めますか。",
        "Your letter says the supply terms will be revised from 1 October. Which clauses change?",
    ],
)
def test_the_day_the_terms_are_revised_is_no_day_of_the_question(text: str):
    assert day(text, ["terms"], date(2026, 6, 3)) is None


def test_a_change_of_company_form_on_a_day_is_the_name_changes_day():
    # 組織変更 into another company form changes the customer's name; only a staff reorganisation is background
    text = (
        "当社は2027年1月1日付で組織変更を行い、「株式会社川端製作所」となります。"
        "契約の名義変更に必要な書類を教えてください。"
    )
    assert day(text, ["name_change"], date(2026, 10, 5)) == "2027-01-01"
    staff = "10月1日付の組織変更で担当部署が変わりました。マイページの登録者を変えたいです。"
    assert day(staff, ["account_info_change"], date(2026, 9, 20)) is None


def test_a_memo_headed_by_the_night_of_the_outage_gives_the_outages_day():
    text = (
        "夜勤者のメモをそのまま送ります。\n\n"
        "【伝言メモ】9/12（土）23:05　受：守衛 田中\n"
        "・22時半ごろ 工場全体が停電、冷凍機停止\n"
        "・23:50 復電\n"
        "→ 原因がわかれば教えてほしい"
    )
    assert day(text, ["outage"], date(2026, 9, 14)) == "2026-09-12"


@pytest.mark.parametrize(
    "text",
    [
        "Yesterday (Sept 3) evening we had a power stop of about half an hour. Everything is running again. "
        "Could you tell us the cause?",
    ],
)
def test_an_english_outage_told_as_a_power_stop_keeps_its_day(text: str):
    assert day(text, ["outage"], date(2026, 9, 4)) == "2026-09-03"


def test_an_english_deadline_named_beats_the_day_the_payment_went_out():
    text = (
        "The October invoice gave a transfer deadline of 30 November 2026. Our bank only sent the payment on "
        "2 December 2026. Does this count as late?"
    )
    assert day(text, ["payment_due_date"], date(2026, 12, 3)) == "2026-11-30"


def test_the_customers_own_work_at_month_end_is_not_the_day_asked():
    text = "10月分の請求額と引落日を教えてください。月末で資金繰り表を作っているので早めに知りたいです。"
    assert day(text, ["bill_inquiry", "payment_due_date"], date(2026, 10, 27)) is None


def test_the_day_the_writer_looked_gives_way_to_the_day_looked_at():
    text = "昨日見た9/5分の30分値と、今朝の表示が違っています。どちらが正しいですか？"
    assert day(text, ["usage_data"], date(2026, 9, 8)) == "2026-09-05"


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        # round 18: a season's greeting and the customer's own year-end accounts name no day asked about
        (
            "年度末のお忙しいところ恐れ入ります。振込にした場合の振込期日を教えてください。",
            ["payment_due_date"],
        ),
        ("年末のご多忙の折に失礼いたします。引落口座の変更方法を教えてください。", ["payment_method"]),
        ("年度末決算の関係で、3月計量分の振込期日を確認させてください。", ["payment_due_date"]),
        ("年度末の会計監査に向けて、過去の請求書をまとめて出す方法を教えてください。", ["invoice_download"]),
    ],
)
def test_a_year_end_greeting_or_the_customers_own_accounts_are_no_day(text: str, intents: list[str]):
    assert day(text, intents, date(2026, 3, 10)) is None


@pytest.mark.parametrize(
    "text",
    [
        "工場の電気がすべて止まっております。主任技術者が原因を調べていますが、復旧の見込みが立っておりません。",
        "台風で今朝から停電しとります。九電には電話済みです。復旧はいつになりそうですか。",
    ],
)
def test_an_outage_still_going_on_in_other_words_has_no_day(text: str):
    assert day(text, ["outage"], date(2026, 9, 5)) is None


def test_an_english_day_whose_kwh_are_asked_is_the_day():
    text = "need the kWh for each hour of yesterday (Sep 3) for the Atsugi plant, how do I export one day?"
    assert day(text, ["usage_data"], date(2026, 9, 4)) == "2026-09-03"


def test_a_works_period_starts_on_the_works_day_and_a_notice_lists_it_under_its_date_label():
    works = (
        "キュービクル更新工事を行います。\n・工事期間：8月12日～8月15日（全停電）\n"
        "御社への届出が必要か教えてください。"
    )
    assert day(works, ["equipment_work"], date(2026, 6, 1)) == "2026-08-12"
    notice = (
        "下記のとおり年次点検を行います。\n・日時：2026年10月18日（日）8:00～14:00\n・作業：PAS開放 → 点検 → 投入\n"
        "・送配電の営業所へは9月末までに連絡予定です\n御社への連絡はこのメールでよいですか。"
    )
    assert day(notice, ["pas_open"], date(2026, 9, 3)) == "2026-10-18"


def test_the_opening_day_of_the_site_in_a_self_introduction_is_no_day_of_a_login_question():
    text = "5月1日に開業予定の「カフェ みなと」で経理をしております。マイページのIDはどこで分かりますか。"
    assert day(text, ["mypage_login"], date(2026, 4, 10)) is None


def test_a_change_already_made_from_a_day_is_background_to_a_dayless_request():
    said = "7月1日から当院の代表番号が変わりました。会員情報の電話番号を変えてよいですか。"
    assert day(said, ["account_info_change"], date(2026, 7, 1)) is None
    # a change still ahead keeps its day (test_a_day_a_change_takes_effect_from)
    ahead = "8月1日から当院の代表番号が変わります。会員情報の電話番号も変えてください。"
    assert day(ahead, ["account_info_change"], date(2026, 7, 1)) == "2026-08-01"


def test_the_day_the_contract_is_to_end_beats_the_day_equipment_is_removed():
    text = (
        "破砕機を今年いっぱいで撤去し、来年からは事務所だけになります。"
        "そのため高圧のご契約は来年2月末で終わりにしたいと考えています。"
    )
    assert day(text, ["cancellation"], date(2026, 10, 6)) == "2027-02-28"
