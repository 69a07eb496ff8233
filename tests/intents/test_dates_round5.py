"""Date rules of the fifth entity round (six more writers' batches), one test per category of writing."""

from __future__ import annotations

from datetime import date

from intents.understand import read_entities


def day(text: str, intents: list[str], received: date) -> str | None:
    return read_entities(text, received=received, intents=intents).get("date")


RECEIVED = date(2026, 10, 20)


def test_sakki_with_a_clock_time_is_today_and_alone_is_no_day():
    assert day("さっき9:40に一瞬電気が落ちました。原因を教えてください。", ["outage"], RECEIVED) == "2026-10-20"
    assert day("さっき10時ごろ瞬停がありました。", ["outage"], RECEIVED) == "2026-10-20"
    assert day("すみません、さっきの件ですが解決しました。", ["other"], RECEIVED) is None
