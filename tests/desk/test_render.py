import datetime as dt
from decimal import Decimal

import jinja2
import pytest

from desk.render import (
    environment,
    jdate,
    jmonth,
    kw,
    number,
    render_string,
    slack_escape,
    tidy,
    yen,
    yen_signed,
)


def test_yen_has_thousands_separators_and_a_minus_sign_for_negatives() -> None:
    assert yen(1234567) == "1,234,567円"
    assert yen(0) == "0円"
    assert yen(-9600) == "−9,600円"
    with pytest.raises(ValueError):
        yen(None)


def test_yen_signed_marks_the_direction_of_a_change() -> None:
    assert yen_signed(19880) == "+19,880円"
    assert yen_signed(-1600) == "−1,600円"
    assert yen_signed(0) == "±0円"


def test_jdate_writes_the_japanese_weekday() -> None:
    assert jdate(dt.date(2027, 3, 31)) == "2027年3月31日（水）"
    assert jdate(dt.date(2026, 6, 28)) == "2026年6月28日（日）"
    assert jdate(dt.date(2026, 6, 28), False) == "2026年6月28日"
    assert jmonth(dt.date(2026, 5, 1)) == "2026年5月"


def test_kw_has_one_decimal_and_number_keeps_only_the_decimals_a_value_has() -> None:
    assert kw(Decimal("123.4")) == "123.4kW"
    assert kw(Decimal("600")) == "600.0kW"
    assert kw(Decimal("1234.56")) == "1,234.6kW"
    assert number(Decimal("1650.00")) == "1,650"
    assert number(Decimal("30442.50")) == "30,442.5"
    assert number(Decimal("-1.20")) == "−1.2"


def test_slack_escape_replaces_exactly_ampersand_and_angle_brackets() -> None:
    assert slack_escape("A&B <x> 'q' \"d\"") == "A&amp;B &lt;x&gt; 'q' \"d\""


def test_tidy_collapses_blank_runs_and_trailing_spaces() -> None:
    assert tidy("\n\na  \n\n\n\nb\n\n") == "a\n\nb\n"


def test_text_environment_does_not_html_escape_and_filters_are_registered() -> None:
    assert render_string("{{ s }}：{{ n | yen }}", s="A&B <様>", n=1000) == "A&B <様>：1,000円"


def test_html_environment_autoescapes() -> None:
    html = environment(autoescape=True).from_string("{{ s }}").render(s="<b>&")
    assert html == "&lt;b&gt;&amp;"


def test_undefined_variable_fails_loudly() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_string("金額は{{ c.penalty_yen | yen }}です", c={})


def test_english_amounts_put_the_yen_sign_after_the_minus() -> None:
    from desk.render import jpy, jpy_signed, jpy_unit

    assert jpy(1584000) == "¥1,584,000"
    assert jpy(-9600) == "−¥9,600"
    assert jpy_signed(19880) == "+¥19,880" and jpy_signed(-1600) == "−¥1,600" and jpy_signed(0) == "±¥0"
    assert jpy_unit(Decimal("1650.00")) == "¥1,650" and jpy_unit(Decimal("-1.20")) == "−¥1.2"
    with pytest.raises(ValueError):
        jpy(None)


def test_english_dates_are_day_month_year_with_the_weekday_spelled_out() -> None:
    from desk.render import edate, emonth

    assert edate(dt.date(2027, 3, 31)) == "Wednesday, 31 March 2027"
    assert edate(dt.date(2027, 3, 31), False) == "31 March 2027"
    assert emonth(dt.date(2026, 5, 1)) == "May 2026"


def test_english_code_labels_and_kilowatts() -> None:
    from desk.render import en, kw_en

    assert render_string("{{ 'debit' | en }} / {{ 'kyogi' | en }}") == (
        "direct debit / negotiated contract (kyogi-sei)"
    )
    assert kw_en(Decimal("33.25")) == "33.3 kW"
    with pytest.raises(ValueError):
        en("cheque")
