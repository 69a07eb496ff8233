"""Every measure checked against the hand-computed history in tests/bot/reporting/history.py."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import pytest
from sqlalchemy.engine import Engine

from desk.business_hours import DeskHours, clock_for
from store import reports
from store.reports import (
    ALL,
    Cluster,
    Correction,
    QueueRow,
    Report,
    ReportRange,
    Reroute,
    VolumeRow,
    build_report,
    corrections,
    percentile,
    response_times,
)
from store.settle import settle
from tests.bot.reporting.history import NOW, SINCE, UNTIL, build_history, jst

W1, W2, W0 = dt.date(2026, 4, 27), dt.date(2026, 5, 4), dt.date(2026, 4, 20)


@pytest.fixture
def report(engine: Engine) -> Report:
    build_history(engine)
    return build_report(
        engine, ReportRange(SINCE, UNTIL, "week"), hours=DeskHours(), target_hours=7.0, now=NOW
    )


def test_range_is_widened_to_whole_buckets() -> None:
    rng = ReportRange(dt.date(2026, 4, 29), dt.date(2026, 5, 5), "week")
    assert (rng.since, rng.until) == (W1, dt.date(2026, 5, 10))
    month = ReportRange(dt.date(2026, 2, 10), dt.date(2026, 2, 11), "month")
    assert (month.since, month.until) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_weekly_volume_per_intent_with_change_against_previous_week(report: Report) -> None:
    assert report.volumes.buckets == [W1, W2]
    assert report.volumes.by_intent == [
        VolumeRow(W1, "bill_inquiry", 1, 1),
        VolumeRow(W1, "other", 1, 0),
        VolumeRow(W1, "password_reset", 2, 0),
        VolumeRow(W2, "bill_inquiry", 1, 1),
        VolumeRow(W2, "other", 2, 1),
        VolumeRow(W2, "password_reset", 0, 2),
    ]
    assert report.volumes.by_intent[-1].change == -2
    assert report.volumes.by_intent[4].change_ratio == 1.0


def test_weekly_volume_per_channel_and_totals(report: Report) -> None:
    assert report.volumes.by_channel == [
        VolumeRow(W1, "email", 3, 1),
        VolumeRow(W1, "slack", 1, 0),
        VolumeRow(W2, "email", 2, 3),
        VolumeRow(W2, "slack", 1, 1),
    ]
    assert report.volumes.totals == [VolumeRow(W1, ALL, 4, 1), VolumeRow(W2, ALL, 3, 4)]


def test_daily_buckets_use_tokyo_dates_not_utc(engine: Engine) -> None:
    build_history(engine)
    # 5/7 08:30 JST is 5/6 23:30 UTC: it must land on 5/7.
    from sqlmodel import Session

    from store.models import Inquiry

    with Session(engine) as s:
        s.add(
            Inquiry(
                channel="email", external_id="<early>", received_at=jst(5, 7, 8, 30), primary_intent="terms"
            )
        )
        s.commit()
    rng = ReportRange(dt.date(2026, 5, 6), dt.date(2026, 5, 7), "day")
    out = build_report(engine, rng, hours=DeskHours(), target_hours=7.0, now=NOW)
    assert [r for r in out.volumes.by_intent if r.key == "terms"] == [
        VolumeRow(dt.date(2026, 5, 7), "terms", 1, 0)
    ]
    # 5/7: H (09:00), F (12:15) and the 08:30 inquiry; the 08:00 bounce is not an inquiry.
    assert out.volumes.totals == [
        VolumeRow(dt.date(2026, 5, 6), ALL, 0, 0),
        VolumeRow(dt.date(2026, 5, 7), ALL, 3, 0),
    ]


def test_monthly_buckets(engine: Engine) -> None:
    build_history(engine)
    rng = ReportRange(dt.date(2026, 5, 1), dt.date(2026, 5, 31), "month")
    out = build_report(engine, rng, hours=DeskHours(), target_hours=7.0, now=NOW)
    # May: D, E, F, G, H = 5; April before it: K, A, B, C = 4
    assert out.volumes.totals == [VolumeRow(dt.date(2026, 5, 1), ALL, 5, 4)]


def test_response_times_in_business_hours_per_intent(report: Report) -> None:
    by = {r.intent: r for r in report.response_times}
    assert list(by) == ["bill_inquiry", "other", "password_reset", ALL]
    bill = by["bill_inquiry"]
    assert (bill.inquiries, bill.answered, bill.first_response_median, bill.first_response_p90) == (
        2,
        1,
        1.0,
        1.0,
    )
    assert (bill.resolved, bill.resolution_median, bill.resolution_p90) == (1, 5.5, 5.5)
    # H waited 12 business hours unanswered: past the 7 h target, so it counts as missed.
    assert (bill.within_target, bill.decided, bill.within_target_share) == (1, 2, 0.5)
    other = by["other"]
    assert other.first_response_median == 0.5
    assert other.first_response_p90 == pytest.approx(0.9)
    assert (other.within_target, other.decided) == (2, 2)  # G waits 5 h so far: not decided yet
    pw = by["password_reset"]
    assert (pw.first_response_median, pw.first_response_p90) == (6.25, pytest.approx(9.65))
    assert (pw.within_target, pw.decided, pw.resolved, pw.resolution_median) == (1, 2, 1, 2.0)


def test_response_times_overall(report: Report) -> None:
    total = report.response_times[-1]
    assert (total.inquiries, total.answered) == (7, 5)
    assert total.first_response_median == 1.0
    assert total.first_response_p90 == pytest.approx(7.1)  # [0, 1, 1, 2, 10.5]
    assert total.resolution_median == 1.5
    assert total.resolution_p90 == pytest.approx(4.45)  # [0, 1, 2, 5.5]
    assert (total.within_target, total.decided) == (4, 6)


def test_draft_quality_per_drafted_intent(report: Report) -> None:
    got = {q.intent: (q.unchanged, q.edited, q.rerouted, q.rejected, q.pending) for q in report.draft_quality}
    assert got == {
        "bill_inquiry": (1, 0, 0, 0, 0),  # A's rejected draft is outside the range
        "mypage_login": (0, 0, 2, 0, 0),
        "other": (0, 1, 0, 1, 1),
        "password_reset": (1, 1, 0, 0, 0),  # edited_text equal to text counts as unchanged
    }
    dist = {q.intent: q.mean_edit_distance for q in report.draft_quality}
    assert dist == {
        "bill_inquiry": None,
        "mypage_login": None,
        "other": 1.0,
        "password_reset": pytest.approx(0.2),
    }


def test_draft_without_intents_counts_under_the_inquiry_intent(engine: Engine) -> None:
    from sqlmodel import Session

    from store.models import Draft

    build_history(engine)
    with Session(engine) as s:
        s.add(Draft(inquiry_id=8, intents=[], status="rejected", text="x"))  # inquiry 8: bill_inquiry
        s.commit()
    settle(engine, DeskHours())
    with engine.connect() as conn:
        quality = reports.draft_quality(conn, ReportRange(SINCE, UNTIL, "week"))
    got = {q.intent: (q.unchanged, q.rejected) for q in quality}
    assert got["bill_inquiry"] == (1, 1)
    assert got["other"] == (0, 1)


def test_most_edited_intents_rank_by_edited_share_then_distance(report: Report) -> None:
    assert [q.intent for q in report.most_edited] == ["other", "password_reset"]
    assert report.most_edited[0].edited_share == 0.5


def test_reroutes_from_to(report: Report) -> None:
    assert report.reroutes == [
        Reroute("mypage_login", "other", 1),
        Reroute("mypage_login", "password_reset", 1),
    ]
    mypage = next(q for q in report.draft_quality if q.intent == "mypage_login")
    assert mypage.rerouted_share == 1.0


def test_queue_per_assignee_with_oldest_age(report: Report) -> None:
    assert report.queue == [
        QueueRow("sato", 2, jst(4, 10, 16), 111.0),
        QueueRow(None, 1, jst(5, 7, 9), 12.0),
        QueueRow(ALL, 3, jst(4, 10, 16), 111.0),
    ]


def test_unmatched_inquiries_are_clustered_by_wording(report: Report) -> None:
    assert [(c.size, c.inquiry_ids) for c in report.unmatched] == [(2, (6, 5)), (1, (7,))]
    assert report.unmatched[0].sample.startswith("停電時の連絡先について")
    assert isinstance(report.unmatched[1], Cluster)


def test_intake_counts_auto_replies_and_bounces_separately(report: Report) -> None:
    assert report.intake.by_kind == {"auto_reply": 1, "bounce": 1, "inquiry": 7}
    assert (report.intake.inquiries, report.intake.unverified) == (7, 4)
    assert report.intake.unverified_share == pytest.approx(4 / 7)
    assert report.intake.outbox_failed == 1  # A's failure is outside the range


def test_corrections_are_reroutes_and_heavy_edits(engine: Engine) -> None:
    build_history(engine)
    rng = ReportRange(SINCE, UNTIL, "week")
    with engine.connect() as conn:
        heavy = corrections(conn, rng, min_distance=0.3)
        light = corrections(conn, rng, min_distance=0.1)
    assert [(c.inquiry_id, c.reason, c.original_intent, c.corrected_intent) for c in heavy] == [
        (4, "rerouted", "mypage_login", "password_reset"),
        (5, "rerouted", "mypage_login", "other"),
    ]
    assert isinstance(heavy[0], Correction)
    assert heavy[0].text.startswith("パスワードを忘れて")
    assert next((c.inquiry_id, c.reason, c.distance) for c in light) == (3, "edited", pytest.approx(0.2))


def test_empty_store_gives_empty_measures(engine: Engine) -> None:
    out = build_report(engine, ReportRange(SINCE, UNTIL, "day"), hours=DeskHours(), target_hours=7.0, now=NOW)
    assert out.volumes.by_intent == [] and all(r.count == 0 for r in out.volumes.totals)
    assert out.response_times[-1].first_response_median is None
    assert out.queue == [QueueRow(ALL, 0, None, None)]
    assert out.intake.unverified_share is None


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([10.0, 0.0, 5.0], 0.9) == pytest.approx(9.0)
    assert percentile([], 0.5) is None


@pytest.mark.parametrize("seed", range(20))
def test_percentile_of_a_histogram_equals_the_percentile_of_its_values(seed: int) -> None:
    rnd = random.Random(seed)
    values = [rnd.choice([0, 1, 5, 60, 61, 420, 3000]) for _ in range(rnd.randrange(1, 40))]
    counts = Counter(values)
    for q in (0.0, 0.5, 0.9, 1.0):
        assert reports.percentile_of_counts(counts, q) == percentile(values, q)
    assert reports.percentile_of_counts(Counter(), 0.5) is None


def _random_history(engine: Engine, seed: int) -> None:
    """Inquiries around Golden Week on whole seconds: answers before, during and after lunch, holidays,
    weekends, answers stamped before the inquiry, and resolutions months later (beyond the calendar table
    the SQL path starts with)."""
    from sqlmodel import Session

    from store.models import Inquiry

    rnd = random.Random(seed)
    intents = ["bill_inquiry", "other", "password_reset", "outage"]
    with Session(engine) as s:
        for i in range(240):
            received = jst(4, 20, 0) + dt.timedelta(seconds=rnd.randrange(0, 28 * 86400))
            first = (
                received + dt.timedelta(seconds=rnd.randrange(-3600, 9 * 86400))
                if rnd.random() < 0.8
                else None
            )
            resolved = None
            if first is not None and rnd.random() < 0.7:
                later = rnd.choice([3600, 86400 * 5, 86400 * 200])
                resolved = first + dt.timedelta(seconds=rnd.randrange(0, later))
            s.add(
                Inquiry(
                    channel="email",
                    external_id=f"<r{seed}-{i}>",
                    received_at=received,
                    primary_intent=rnd.choice(intents),
                    first_response_at=first,
                    resolved_at=resolved,
                )
            )
        s.commit()


QUARTER_HOURS = DeskHours(windows=((dt.time(8, 45), dt.time(12)), (dt.time(12, 45), dt.time(17, 30))))
ODD_SECONDS = DeskHours(windows=((dt.time(9, 0, 7), dt.time(17, 0, 3)),))


def _reference_response_times(
    engine: Engine, rng: ReportRange, hours: DeskHours, target: float
) -> list[tuple]:
    """The measure computed the obvious way, row by row with the business clock (no stored durations):
    whole business minutes, percentiles over the expanded values, then hours."""
    from sqlmodel import Session, select

    from store.models import Inquiry

    clock = clock_for(hours)

    def minutes(start: dt.datetime, end: dt.datetime) -> int:
        return round(clock.seconds_between(start, end) / 60)

    def hours_of(value: float | None) -> float | None:
        return None if value is None else value / 60

    start, end = rng.utc_bounds()
    per: dict[str, list] = {}
    with Session(engine) as s:
        for row in s.exec(select(Inquiry).where(Inquiry.received_at >= start, Inquiry.received_at < end)):
            for key in (row.primary_intent, ALL):
                first, resolution, counts = per.setdefault(key, [[], [], [0, 0, 0]])
                counts[0] += 1
                if row.first_response_at is not None:
                    waited = minutes(row.received_at, row.first_response_at)
                    first.append(waited)
                    counts[1] += waited <= target * 60
                    counts[2] += 1
                elif clock.hours_between(row.received_at, NOW) > target:
                    counts[2] += 1
                if row.resolved_at is not None:
                    resolution.append(minutes(row.received_at, row.resolved_at))
    return [
        (
            key,
            n,
            hours_of(percentile(first, 0.5)),
            hours_of(percentile(first, 0.9)),
            hours_of(percentile(res, 0.5)),
            hours_of(percentile(res, 0.9)),
            w,
            d,
        )
        for key, (first, res, (n, w, d)) in sorted(per.items(), key=lambda kv: (kv[0] == ALL, kv[0]))
    ]


@pytest.mark.parametrize(("seed", "hours"), [(1, DeskHours()), (2, QUARTER_HOURS), (3, ODD_SECONDS)])
def test_response_times_equal_a_row_by_row_computation(engine: Engine, seed: int, hours: DeskHours) -> None:
    _random_history(engine, seed)
    rng = ReportRange(dt.date(2026, 4, 20), dt.date(2026, 5, 17), "week")
    out = build_report(engine, rng, hours=hours, target_hours=7.0, now=NOW).response_times
    got = [
        (
            r.intent,
            r.inquiries,
            r.first_response_median,
            r.first_response_p90,
            r.resolution_median,
            r.resolution_p90,
            r.within_target,
            r.decided,
        )
        for r in out
    ]
    assert got == _reference_response_times(engine, rng, hours, 7.0)
    assert out[-1].inquiries == 240 and out[-1].resolved > 0


@pytest.mark.parametrize("hours", [DeskHours(), QUARTER_HOURS, ODD_SECONDS])
def test_overdue_instant_separates_late_from_in_time_arrivals(hours: DeskHours) -> None:
    clock = clock_for(hours)
    overdue = reports.overdue_before(hours, 7.0, NOW)
    rnd = random.Random(5)
    for _ in range(300):
        received = NOW - dt.timedelta(seconds=rnd.randrange(0, 8 * 86400), microseconds=rnd.randrange(10**6))
        assert (received < overdue) == (clock.hours_between(received, NOW) > 7.0)
    tick = dt.timedelta(microseconds=1)
    assert clock.hours_between(overdue - tick, NOW) > 7.0 >= clock.hours_between(overdue, NOW)


def test_overdue_instant_when_nobody_or_everybody_is_late() -> None:
    never_open = DeskHours(open_day=lambda _day: False)
    assert reports.overdue_before(never_open, 7.0, NOW) < dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    assert reports.overdue_before(DeskHours(), -1.0, NOW) > dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def test_postgres_response_times_of_an_empty_range(engine: Engine) -> None:
    build_history(engine)
    rng = ReportRange(dt.date(2025, 1, 6), dt.date(2025, 1, 12), "week")
    with engine.connect() as conn:
        out = response_times(conn, rng, hours=DeskHours(), target_hours=7.0, now=NOW)
    assert out == [reports.ResponseTimes(ALL, 0, 0, None, None, 0, None, None, 0, 0)]


def test_edit_distance_is_sampled_by_draft_id_beyond_the_cap(engine: Engine) -> None:
    build_history(engine)
    settle(engine, DeskHours())
    with engine.connect() as conn:
        quality = reports.draft_quality(conn, ReportRange(SINCE, UNTIL, "week"), sample=1)
    # Two edited drafts (ids 3 and 7) and a cap of one: only ids divisible by 2 are measured, so none is;
    # the outcome counts stay exact.
    got = {q.intent: (q.unchanged, q.edited, q.mean_edit_distance) for q in quality}
    assert got["password_reset"] == (1, 1, None)
    assert got["other"] == (0, 1, None)


def test_the_open_queue_index_lists_exactly_the_open_statuses() -> None:
    from store.models import _OPEN_INQUIRY

    listed = re.findall(r"'(\w+)'", _OPEN_INQUIRY.split(" IN ", 1)[1])
    assert sorted(listed) == sorted(reports.OPEN_STATUSES)
