from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents.dates import resolve_dates
from intents.dates_en import english_mentions, requested_date

RECEIVED = date(2026, 6, 4)  # a Thursday


def only(text: str, received: date = RECEIVED) -> str:
    mentions = resolve_dates(text, received=received)
    assert len(mentions) == 1, mentions
    return mentions[0].date.isoformat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027年3月31日で解約", "2027-03-31"),
        ("２０２７年３月３１日", "2027-03-31"),
        ("2027/3/31", "2027-03-31"),
        ("2027-03-31", "2027-03-31"),
        ("2027.3.31", "2027-03-31"),
        ("令和9年3月31日", "2027-03-31"),
        ("令和９年３月３１日", "2027-03-31"),
        ("令和元年5月1日", "2019-05-01"),
        ("平成31年4月30日", "2019-04-30"),
        ("R8.4.1付", "2026-04-01"),
        ("R8/4/1", "2026-04-01"),
        ("H30.1.5", "2018-01-05"),
        ("2027年3月末", "2027-03-31"),
        ("令和8年6月末日", "2026-06-30"),
    ],
)
def test_absolute_and_era_dates(text: str, expected: str):
    assert only(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6月10日", "2026-06-10"),
        ("6/10", "2026-06-10"),
        ("4月1日から", "2027-04-01"),  # already past by more than the recent window: next year
        ("3/31", "2027-03-31"),
        ("5月20日", "2026-05-20"),  # 15 days ago: the recent past, not next year
        ("三月三十一日", "2027-03-31"),
    ],
)
def test_dates_without_year(text: str, expected: str):
    assert only(text) == expected


def test_written_weekday_picks_the_year():
    # 2025-08-17 is a Sunday; 2026-08-17 is a Monday.
    mention = resolve_dates("8月17日（日）だけ多い", received=date(2025, 8, 26))[0]
    assert mention.date == date(2025, 8, 17)
    assert mention.weekday_checked
    assert mention.text == "8月17日（日）"


def test_day_with_weekday_picks_the_nearby_month():
    # 2026-06-10 is a Wednesday and 2026-07-10 a Friday.
    assert only("10日（金）に伺います") == "2026-07-10"
    assert only("10日(水)") == "2026-06-10"


def test_year_boundary_for_a_day_without_year():
    assert only("1月10日", date(2026, 12, 20)) == "2027-01-10"
    assert only("1/10", date(2026, 12, 20)) == "2027-01-10"


def test_next_month_end_in_december_is_january_next_year():
    assert only("来月末", date(2026, 12, 20)) == "2027-01-31"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来月末", "2026-07-31"),
        ("今月末", "2026-06-30"),
        ("今月末日", "2026-06-30"),
        ("今月中", "2026-06-30"),
        ("今月いっぱい", "2026-06-30"),
        ("月末", "2026-06-30"),
        ("再来月末", "2026-08-31"),
        ("3月末", "2027-03-31"),
        ("6月末", "2026-06-30"),
        ("11月末で閉店", "2026-11-30"),
        ("来年3月末", "2027-03-31"),
        ("年度末", "2027-03-31"),
        ("来年度末", "2028-03-31"),
    ],
)
def test_month_ends(text: str, expected: str):
    assert only(text) == expected


def test_february_end_in_a_leap_year():
    assert only("2月末", date(2027, 12, 1)) == "2028-02-29"
    assert only("来年2月末", date(2027, 6, 1)) == "2028-02-29"
    assert only("2月末", date(2026, 12, 1)) == "2027-02-28"


def test_fiscal_year_end_on_its_own_day_is_that_day():
    assert only("年度末", date(2026, 3, 31)) == "2026-03-31"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明日", "2026-06-05"),
        ("明後日", "2026-06-06"),
        ("昨日", "2026-06-03"),
        ("一昨日", "2026-06-02"),
        ("本日", "2026-06-04"),
        ("来週月曜日", "2026-06-08"),
        ("来週水曜の打ち合わせ", "2026-06-10"),
        ("今週金曜", "2026-06-05"),
        ("先週金曜日の午後", "2026-05-29"),
        ("次の月曜日", "2026-06-08"),
        ("8月最初の土曜日", "2026-08-01"),
        ("来月の第2土曜日", "2026-07-11"),
        ("8月の最終金曜日", "2026-08-28"),
        ("今月の6日", "2026-06-06"),
        ("来月1日付", "2026-07-01"),
    ],
)
def test_relative_dates(text: str, expected: str):
    assert only(text) == expected


def test_next_week_from_a_sunday_is_the_following_calendar_week():
    # Weeks start on Monday: on Sunday 2026-06-07, 来週月曜日 is the next day.
    assert only("来週月曜日", date(2026, 6, 7)) == "2026-06-08"


@pytest.mark.parametrize(
    "text",
    [
        "3月分の請求",
        "来年3月ごろ",
        "8月のグラフ",
        "毎月15日",
        "毎月2日",
        "翌月6日",
        "15日",
        "3日間",
        "1か月前",
    ],
)
def test_month_only_and_generic_days_are_not_mentions(text: str):
    assert resolve_dates(text, received=RECEIVED) == []


def test_numbers_that_only_look_like_dates_are_not_mentions():
    assert resolve_dates("TEL 0263-55-2100 〒399-0702 1-14-6", received=RECEIVED) == []


def test_spans_point_into_the_original_text():
    text = "工事は２０２６年６月６日（土）に確定、12/27から1/4まで休業"
    mentions = resolve_dates(text, received=RECEIVED)
    assert [text[m.start : m.end] for m in mentions] == ["２０２６年６月６日（土）", "12/27", "1/4"]
    assert [m.date.isoformat() for m in mentions] == ["2026-06-06", "2026-12-27", "2027-01-04"]
    assert [m.kind for m in mentions] == ["absolute", "month_day", "month_day"]


def test_invalid_calendar_days_are_skipped():
    assert resolve_dates("2026年2月30日", received=RECEIVED) == []
    assert resolve_dates("13/45", received=RECEIVED) == []


@settings(max_examples=300, deadline=None)
@given(st.text(), st.dates(min_value=date(1901, 1, 1), max_value=date(2098, 12, 31)))
def test_resolve_dates_never_raises(text: str, received: date):
    for mention in resolve_dates(text, received=received):
        assert 0 <= mention.start < mention.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "来月",
                "末",
                "年",
                "月",
                "日",
                "12",
                "31",
                "2",
                "29",
                "令和",
                "R",
                ".",
                "/",
                "（土）",
                "第5",
                "の",
                "曜日",
            ]
        )
    ),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2098, 12, 31)),
)
def test_resolve_dates_never_raises_on_date_soup(parts: list[str], received: date):
    resolve_dates("".join(parts), received=received)


# --- forms added for unseen writing styles (issue #11) ---------------------------------------------------


def test_an_era_year_written_in_kanji_numerals():
    assert only("令和九年一月三十一日に解約したい") == "2027-01-31"
    assert only("平成三十一年四月一日") == "2019-04-01"


def test_a_day_with_its_weekday_written_without_brackets():
    # 2026-09-21 is a Monday: 「24日木曜」 is this week's Thursday.
    assert only("連休明けの24日木曜に作業します", received=date(2026, 9, 21)) == "2026-09-24"
    assert only("24日の木曜日でお願いします", received=date(2026, 9, 21)) == "2026-09-24"


def test_within_the_year_and_the_year_end_season_are_no_day():
    # Like a month-only reference: 「年内に」 names no one day.
    assert resolve_dates("年内にキュービクルの変圧器を更新したい", received=RECEIVED) == []
    assert resolve_dates("年末の締め作業で忙しい", received=RECEIVED) == []
    assert resolve_dates("年末年始の窓口は", received=RECEIVED) == []


def test_the_nth_weekday_of_next_years_month():
    assert only("工事は来年1月の第3土曜日の予定です", received=date(2026, 10, 8)) == "2027-01-16"


def test_that_months_end_follows_the_month_written_before_it():
    mentions = resolve_dates("最終営業日が12月27日で、その月末で切りたい", received=date(2026, 10, 20))
    assert [m.date.isoformat() for m in mentions] == ["2026-12-27", "2026-12-31"]
    mentions = resolve_dates("工事は3月10日、請求は同月末です", received=date(2026, 1, 5))
    assert mentions[-1].date.isoformat() == "2026-03-31"


def test_an_english_dash_before_words_is_punctuation_not_a_span_of_days() -> None:
    from intents.dates_en import requested_date

    text = "Please cancel our contract effective 31 December 2026 - what will we owe you for leaving early?"
    assert requested_date(text, received=date(2026, 6, 1)) == date(2026, 12, 31)
    assert requested_date("PAS work Aug 19 - Aug 20, please advise", received=date(2026, 6, 1)) is None


def test_sono_zenjitsu_and_sono_yokujitsu_count_from_the_day_written_before_them():
    found = resolve_dates("11月2日に全停、その翌日に再投入。", received=date(2026, 10, 20))
    assert [(m.text, m.date) for m in found] == [
        ("11月2日", date(2026, 11, 2)),
        ("その翌日", date(2026, 11, 3)),
    ]
    found = resolve_dates("その前日までにご連絡ください。", received=date(2026, 10, 20))
    assert found == []  # with no day written before it, it names none


def test_a_bare_end_day_of_a_range_takes_the_month_of_its_start():
    found = resolve_dates("3/2〜6日の分", received=date(2026, 2, 20))
    assert [m.date for m in found] == [date(2026, 3, 2), date(2026, 3, 6)]


def test_a_bare_end_number_before_a_bracket_ends_a_slash_range():
    found = resolve_dates("お盆（8/13〜16）は休みます", received=date(2026, 8, 1))
    assert [m.date for m in found] == [date(2026, 8, 13), date(2026, 8, 16)]


def test_english_a_day_without_its_year_far_ahead_is_the_past_one_when_chosen():
    # read forward like every date (the question reader's notice dates), but chosen as the past day
    found = english_mentions("the usage of Nov 6 please", received=date(2025, 12, 19))
    assert [(m.date, m.yearless) for m in found] == [(date(2026, 11, 6), True)]
    text = "Our production manager wants the 30-minute usage of Nov 6, we had a peak."
    assert requested_date(text, received=date(2025, 12, 19)) == date(2025, 11, 6)
    assert requested_date("We will cancel on March 3.", received=date(2025, 12, 19)) == date(2026, 3, 3)


def test_doujitsu_before_a_mark_is_the_day_written_before_it():
    found = resolve_dates(
        "倉庫は2027年3月31日に閉鎖します。同日付で解約します。", received=date(2026, 10, 20)
    )
    assert [(m.text, m.date) for m in found] == [
        ("2027年3月31日", date(2027, 3, 31)),
        ("同日", date(2027, 3, 31)),
    ]
