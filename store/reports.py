"""Managers' measures, computed from the store: volumes, response times, draft quality, re-routes, the
queue, unmatched inquiries and intake hygiene.

Counts are aggregated in SQL (``GROUP BY``), identical on SQLite and PostgreSQL. Local-day buckets
(Asia/Tokyo by default) are computed by the database: ``date_trunc`` over ``timezone(tz, …)`` on PostgreSQL,
a registered Python function on SQLite (which has no time-zone database). Business-hour durations and
percentiles need the desk calendar, so they are computed in Python over the narrowest rows that carry them.

Only ``kind = 'inquiry'`` rows enter the measures; auto-replies, bounces and the desk's own mail are
counted separately in :class:`Intake`. Timestamps are stored in UTC (SQLite keeps them as naive UTC text).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import (
    DateTime,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from desk.business_hours import BusinessClock, DeskHours, clock_for
from store import rollups
from store.models import (
    EDITED_ANSWERED_DRAFT,
    AuditEvent,
    Draft,
    DraftStatus,
    Incident,
    IncidentMember,
    Inquiry,
    InquiryKind,
    InquiryStatus,
    Outbox,
    OutboxStatus,
)
from store.settle import settle

__all__ = [
    "OPEN_STATUSES",
    "Bucketing",
    "Cluster",
    "Correction",
    "DraftQuality",
    "Intake",
    "QueueRow",
    "Report",
    "ReportRange",
    "Reroute",
    "ResponseTimes",
    "VolumeRow",
    "bucket_start",
    "build_report",
    "corrections",
    "draft_quality",
    "intake",
    "other_reasons",
    "queue",
    "reroutes",
    "response_times",
    "unmatched_clusters",
    "volumes",
]

Bucketing = Literal["day", "week", "month"]
ALL = "_all"  # key of the overall row next to the per-intent rows
# Waiting for staff: not drafted yet, a draft waiting, or the pipeline failed and a person must look.
OPEN_STATUSES = (InquiryStatus.RECEIVED.value, InquiryStatus.DRAFTED.value, InquiryStatus.FAILED.value)
_ANSWERED_DRAFT = (DraftStatus.APPROVED.value, DraftStatus.SENT.value)

INQ = cast(Table, Inquiry.__table__)  # type: ignore[attr-defined]
DRAFT = cast(Table, Draft.__table__)  # type: ignore[attr-defined]
AUDIT = cast(Table, AuditEvent.__table__)  # type: ignore[attr-defined]
OUTBOX = cast(Table, Outbox.__table__)  # type: ignore[attr-defined]


# --- periods -------------------------------------------------------------------------------------------


def bucket_start(day: dt.date, by: Bucketing) -> dt.date:
    """First day of the bucket holding ``day``: itself, its Monday, or the 1st of its month."""
    if by == "day":
        return day
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: dt.date, by: Bucketing) -> dt.date:
    if by == "day":
        return start + dt.timedelta(days=1)
    if by == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_bucket(start: dt.date, by: Bucketing) -> dt.date:
    return bucket_start(start - dt.timedelta(days=1), by)


@dataclass(frozen=True)
class ReportRange:
    """Local dates ``since``…``until`` (both inclusive), widened to whole buckets."""

    since: dt.date
    until: dt.date
    by: Bucketing = "week"
    timezone: str = "Asia/Tokyo"

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError("until is before since")
        object.__setattr__(self, "since", bucket_start(self.since, self.by))
        last = bucket_start(self.until, self.by)
        object.__setattr__(self, "until", next_bucket(last, self.by) - dt.timedelta(days=1))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def buckets(self) -> list[dt.date]:
        out, day = [], self.since
        while day <= self.until:
            out.append(day)
            day = next_bucket(day, self.by)
        return out

    def utc_bounds(self, *, with_previous: bool = False) -> tuple[dt.datetime, dt.datetime]:
        """Half-open UTC instants covering the range (and the bucket before it, for changes)."""
        first = previous_bucket(self.since, self.by) if with_previous else self.since
        return self.local_midnight(first), self.local_midnight(self.until + dt.timedelta(days=1))

    def local_midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns the stored UTC wall-clock as a naive datetime.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _in_range(conn: Connection, rng: ReportRange, *, with_previous: bool = False) -> ColumnElement[bool]:
    start, end = rng.utc_bounds(with_previous=with_previous)
    # Bound as aware UTC: the column type stores (and SQLite compares) UTC wall-clock.
    return and_(INQ.c.received_at >= start, INQ.c.received_at < end)


REPORT_WORK_MEM = "64MB"
"""Sort and hash memory for the rest of a report's transaction on PostgreSQL: a year's durations or draft
counts spill to disk at the 4 MB default (one report at a time, so the memory is bounded)."""


def _roomy(conn: Connection) -> None:
    """Raise ``work_mem`` and turn JIT compilation off until the end of the current transaction
    (PostgreSQL only). The planner JIT-compiles these large scans, and compiling costs ~50 ms per query,
    more than it saves on aggregates this simple."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        conn.exec_driver_sql("SET LOCAL jit = off")


def _inquiries_only() -> ColumnElement[bool]:
    return INQ.c.kind == InquiryKind.INQUIRY.value


@lru_cache(maxsize=4096)
def _sqlite_bucket_of(stamp: str, tz: str, by: str) -> str:
    utc = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
    return bucket_start(utc.astimezone(ZoneInfo(tz)).date(), cast(Bucketing, by)).isoformat()


def _sqlite_bucket(stamp: str | None, tz: str, by: str) -> str | None:
    # Cached on the hour: every row of the same UTC hour falls in the same local bucket.
    return None if stamp is None else _sqlite_bucket_of(stamp[:13] + ":00:00", tz, by)


def _bucket_expr(conn: Connection, rng: ReportRange) -> ColumnElement[Any]:
    """The row's bucket: on PostgreSQL its 1-based index in :func:`_bucket_starts` (a binary search over
    the buckets' UTC starts, local midnights computed here, is cheaper than a time-zone conversion per row);
    on SQLite the bucket's first day, from a registered Python function."""
    if conn.dialect.name == "postgresql":
        edges = [rng.local_midnight(day) for day in _bucket_starts(rng)]
        return func.width_bucket(
            INQ.c.received_at, bindparam("edges", edges, type_=ARRAY(DateTime(timezone=True)))
        )
    raw = conn.connection.dbapi_connection
    if raw is not None:
        raw.create_function("mdg_bucket", 3, _sqlite_bucket, deterministic=True)
    return func.mdg_bucket(INQ.c.received_at, rng.timezone, rng.by)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# --- volumes --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeRow:
    bucket: dt.date
    key: str  # intent id, channel, or ALL
    count: int
    previous: int  # the bucket before

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_ratio(self) -> float | None:
        return None if self.previous == 0 else self.change / self.previous


@dataclass(frozen=True)
class Volumes:
    buckets: list[dt.date]
    by_intent: list[VolumeRow]
    by_channel: list[VolumeRow]
    totals: list[VolumeRow]


_Key = tuple[dt.date, str]


@dataclass(frozen=True)
class Census:
    """Messages of the range and of the bucket before it, per (bucket start, kind, intent, channel): the
    count and how many of them came from a sender not proven to be the customer. Volumes and intake are
    both read off it, so a report scans the range's index once for the two."""

    cells: dict[tuple[dt.date, str, str, str], tuple[int, int]]


def census(conn: Connection, rng: ReportRange) -> Census:
    """Counts from the per-day rollups where they are current (:mod:`store.rollups`), from the raw rows for
    the days still marked (and throughout when the rollups cannot serve the report's time zone)."""
    view = rollups.view(conn, rng.timezone)
    if view is None:
        return _raw_census(conn, rng, None)
    first = previous_bucket(rng.since, rng.by)
    marked = [d for d in view.marked if first <= d <= rng.until]
    cells: dict[tuple[dt.date, str, str, str], tuple[int, int]] = {}
    for bucket, kind, intent, channel, n, not_proven in rollups.census_buckets(
        conn, first, rng.until, rng.by, marked
    ):
        _add_cell(cells, (bucket, kind, intent, channel), n, not_proven)
    if marked:
        raw = _raw_census(conn, rng, rollups.span_where(INQ.c.received_at, marked, view.zone))
        for key, (n, not_proven) in raw.cells.items():
            _add_cell(cells, key, n, not_proven)
    return Census(cells)


def _add_cell(
    cells: dict[tuple[dt.date, str, str, str], tuple[int, int]],
    key: tuple[dt.date, str, str, str],
    n: int,
    not_proven: int,
) -> None:
    had, had_not_proven = cells.get(key, (0, 0))
    cells[key] = (had + n, had_not_proven + not_proven)


def _raw_census(conn: Connection, rng: ReportRange, only: ColumnElement[bool] | None) -> Census:
    # Grouped in a hash table (a few hundred cells) and rolled up in Python: GROUPING SETS would sort the
    # range's rows once per grouping. Naming every kind lets the (kind, received_at) index serve the range.
    bucket = _bucket_expr(conn, rng).label("bucket")
    unverified = func.count().filter(INQ.c.identity_verified.is_(False))
    stmt = (
        select(bucket, INQ.c.kind, INQ.c.primary_intent, INQ.c.channel, func.count(), unverified)
        .where(_in_range(conn, rng, with_previous=True), INQ.c.kind.in_([k.value for k in InquiryKind]))
        .group_by(bucket, INQ.c.kind, INQ.c.primary_intent, INQ.c.channel)
    )
    if only is not None:
        stmt = stmt.where(only)
    _roomy(conn)
    starts = _bucket_starts(rng)
    pg = conn.dialect.name == "postgresql"
    cells: dict[tuple[dt.date, str, str, str], tuple[int, int]] = {}
    for b, kind, intent, channel, n, not_proven in conn.execute(stmt):
        day = starts[int(b) - 1] if pg else _as_date(b)
        cells[(day, str(kind), str(intent), str(channel))] = (int(n), int(not_proven))
    return Census(cells)


def _bucket_starts(rng: ReportRange) -> list[dt.date]:
    return [previous_bucket(rng.since, rng.by), *rng.buckets()]


def _volume_rows(rng: ReportRange, counts: Counter[_Key]) -> list[VolumeRow]:
    keys = sorted({k for _, k in counts})
    rows = []
    for bucket in rng.buckets():
        before = previous_bucket(bucket, rng.by)
        for key in keys:
            now, prev = counts.get((bucket, key), 0), counts.get((before, key), 0)
            if now or prev:
                rows.append(VolumeRow(bucket, key, now, prev))
    return rows


def volumes(conn: Connection, rng: ReportRange, *, counted: Census | None = None) -> Volumes:
    """Inquiries per bucket per intent and per channel, each with the previous bucket's count."""
    cells = (counted or census(conn, rng)).cells
    by_intent: Counter[_Key] = Counter()
    by_channel: Counter[_Key] = Counter()
    totals: Counter[_Key] = Counter()
    for (day, kind, intent, channel), (n, _) in cells.items():
        if kind == InquiryKind.INQUIRY.value:
            by_intent[(day, intent)] += n
            by_channel[(day, channel)] += n
            totals[(day, ALL)] += n
    all_rows = [
        VolumeRow(b, ALL, totals.get((b, ALL), 0), totals.get((previous_bucket(b, rng.by), ALL), 0))
        for b in rng.buckets()
    ]
    return Volumes(rng.buckets(), _volume_rows(rng, by_intent), _volume_rows(rng, by_channel), all_rows)


# --- response times -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (the "inclusive" method; p50 is the median)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class ResponseTimes:
    """Business-hour durations of one intent (or ALL). ``within_target_share`` counts answered inquiries
    plus unanswered ones already past the target; those still inside it are not decided yet."""

    intent: str
    inquiries: int
    answered: int
    first_response_median: float | None
    first_response_p90: float | None
    resolved: int
    resolution_median: float | None
    resolution_p90: float | None
    within_target: int
    decided: int

    @property
    def within_target_share(self) -> float | None:
        return None if self.decided == 0 else self.within_target / self.decided


def percentile_of_counts(counts: Mapping[int, int], q: float) -> float | None:
    """:func:`percentile` of the multiset ``{value: how many}``, without expanding it."""
    n = sum(counts.values())
    if n == 0:
        return None
    pos = (n - 1) * q
    low = int(pos)
    ranks = [low, min(low + 1, n - 1)]
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while ranks and ranks[0] < seen:
            found.append(value)
            ranks.pop(0)
        if not ranks:
            break
    return found[0] + (found[1] - found[0]) * (pos - low)


@dataclass
class _Histograms:
    """One intent's durations in whole business minutes: {minutes: inquiries}."""

    inquiries: int = 0
    late: int = 0  # unanswered and already past the target
    first: Counter[int] = field(default_factory=Counter)
    resolution: Counter[int] = field(default_factory=Counter)

    def add(self, other: _Histograms) -> None:
        self.inquiries += other.inquiries
        self.late += other.late
        self.first.update(other.first)
        self.resolution.update(other.resolution)


def _in_hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def _summarise(intent: str, h: _Histograms, target_hours: float) -> ResponseTimes:
    answered = sum(h.first.values())
    return ResponseTimes(
        intent=intent,
        inquiries=h.inquiries,
        answered=answered,
        first_response_median=_in_hours(percentile_of_counts(h.first, 0.5)),
        first_response_p90=_in_hours(percentile_of_counts(h.first, 0.9)),
        resolved=sum(h.resolution.values()),
        resolution_median=_in_hours(percentile_of_counts(h.resolution, 0.5)),
        resolution_p90=_in_hours(percentile_of_counts(h.resolution, 0.9)),
        within_target=sum(n for minutes, n in h.first.items() if minutes <= target_hours * 60),
        decided=answered + h.late,
    )


def response_times(
    conn: Connection, rng: ReportRange, *, hours: DeskHours, target_hours: float, now: dt.datetime
) -> list[ResponseTimes]:
    """First-response and resolution times in business hours: median and p90 per intent, SLA share.

    The durations are the whole business minutes :func:`store.settle.settle` stored under ``hours``
    (:func:`build_report` settles first); an answer recorded after the last settle counts as neither
    answered nor waiting. The database returns histograms ({minutes: inquiries} per intent) rather than
    rows, so nothing is sorted: percentiles interpolate between ranks of the histogram, exactly as
    :func:`percentile` over the expanded values would."""
    per: dict[str, _Histograms] = defaultdict(_Histograms)
    overdue = overdue_before(hours, target_hours, now)
    view = rollups.view(conn, rng.timezone)
    only: ColumnElement[bool] | None = None
    raw_days: set[dt.date] = set()
    if view is not None:
        # Whole range from the rollups; the marked days and the day of the overdue instant (late depends
        # on the instant, not the day) are replaced by their raw rows.
        overdue_day = rollups.local_day(overdue, view.zone)
        raw_days = {d for d in (*view.marked, overdue_day) if rng.since <= d <= rng.until}
        for part, intent, minutes, n in rollups.minutes_rows(conn, rollups.decompose(rng.since, rng.until)):
            (per[intent].first if part == _FIRST else per[intent].resolution)[minutes] += n
        for part, intent, minutes, n in rollups.day_minutes(conn, raw_days):
            (per[intent].first if part == _FIRST else per[intent].resolution)[minutes] -= n
        for intent, n, late in rollups.intent_totals(
            conn, rng.since, rng.until, skip=raw_days, late_before=overdue_day
        ):
            per[intent].inquiries += n
            per[intent].late += late
        only = rollups.span_where(INQ.c.received_at, raw_days, view.zone)
    if view is None or raw_days:
        # Each (part, intent, minutes) comes once; a year is ~35,000 rows, so the loop is kept lean.
        for part, intent, minutes, n, late in conn.execute(_histograms_stmt(conn, rng, overdue, only)).all():
            h = per[intent]
            if part == _TOTALS:
                h.inquiries += n
                h.late += late
            elif minutes is not None:
                (h.first if part == _FIRST else h.resolution)[minutes] += n
    overall = _Histograms()
    for key in [k for k, h in per.items() if h.inquiries == 0]:
        del per[key]  # only in a day's rollup that the raw rows replaced
    for h in per.values():
        h.first, h.resolution = +h.first, +h.resolution
        overall.add(h)
    return [_summarise(k, per[k], target_hours) for k in sorted(per)] + [
        _summarise(ALL, overall, target_hours)
    ]


_FIRST, _RESOLUTION, _TOTALS = 1, 2, 3  # GROUPING(first, resolution) of each grouping set


def _histograms_stmt(
    conn: Connection, rng: ReportRange, overdue: dt.datetime, only: ColumnElement[bool] | None = None
) -> Select[Any]:
    """(part, intent, minutes, inquiries, late) rows: the first-response histogram, the resolution
    histogram, and per-intent totals. One scan with hashed GROUPING SETS on PostgreSQL; three grouped
    selects under UNION ALL elsewhere (SQLite has no grouping sets)."""
    intent, first, resolution = INQ.c.primary_intent, INQ.c.first_response_minutes, INQ.c.resolution_minutes
    late = func.count().filter(
        and_(first.is_(None), INQ.c.first_response_at.is_(None), INQ.c.received_at < overdue)
    )
    where: tuple[ColumnElement[bool], ...] = (_in_range(conn, rng), _inquiries_only())
    if only is not None:
        where = (*where, only)
    if conn.dialect.name == "postgresql":
        _roomy(conn)
        sets = func.grouping_sets(tuple_(intent, first), tuple_(intent, resolution), tuple_(intent))
        part = func.grouping(first, resolution)
        return (
            select(part, intent, func.coalesce(first, resolution), func.count(), late)
            .where(*where)
            .group_by(sets)
        )
    by_first = (
        select(literal(_FIRST), intent, first, func.count(), late).where(*where).group_by(intent, first)
    )
    by_resolution = (
        select(literal(_RESOLUTION), intent, resolution, func.count(), late)
        .where(*where)
        .group_by(intent, resolution)
    )
    totals = select(literal(_TOTALS), intent, null(), func.count(), late).where(*where).group_by(intent)
    return cast(Select[Any], union_all(by_first, by_resolution, totals))


_LONG_AGO = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_FAR_AHEAD = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
_LOOKBACK = dt.timedelta(days=366 * 50)


def overdue_before(hours: DeskHours, target_hours: float, now: dt.datetime) -> dt.datetime:
    """The instant ``T`` such that an inquiry received before ``T`` and still unanswered at ``now`` has waited
    more than ``target_hours`` business hours, and one received at or after ``T`` has not.

    The wait is non-increasing in the arrival time, so ``T`` is found by bisection to the microsecond (the
    stores' resolution); the comparison ``received_at < T`` then runs in SQL on every backend alike."""
    waited = partial(_waited, clock_for(hours), now)
    if waited(now) > target_hours:  # a negative target: everyone is late
        return _FAR_AHEAD
    step = dt.timedelta(days=1)
    while waited(now - step) <= target_hours:
        step *= 2
        if step > _LOOKBACK:  # a desk that never opens: nobody is late
            return _LONG_AGO
    late, in_time = now - step, now
    tick = dt.timedelta(microseconds=1)
    while in_time - late > tick:
        mid = late + (in_time - late) // 2
        if waited(mid) > target_hours:
            late = mid
        else:
            in_time = mid
    return in_time


def _waited(clock: BusinessClock, now: dt.datetime, received: dt.datetime) -> float:
    return clock.hours_between(received, now)


# --- draft quality and re-routes -------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftQuality:
    intent: str
    unchanged: int
    edited: int
    rerouted: int
    rejected: int
    pending: int
    mean_edit_distance: float | None  # over edited drafts, 0 = identical, 1 = all new

    @property
    def decided(self) -> int:
        return self.unchanged + self.edited + self.rerouted + self.rejected

    @property
    def edited_share(self) -> float | None:
        return None if self.decided == 0 else self.edited / self.decided

    @property
    def rerouted_share(self) -> float | None:
        return None if self.decided == 0 else self.rerouted / self.decided


def _draft_intent() -> ColumnElement[str]:
    # The intent the bot drafted for: the draft's first intent (re-routed drafts keep the wrong one).
    return func.coalesce(DRAFT.c.intents[0].as_string(), INQ.c.primary_intent)


def _edited() -> ColumnElement[bool]:
    return and_(
        DRAFT.c.status.in_(_ANSWERED_DRAFT),
        DRAFT.c.edited_text.is_not(None),
        DRAFT.c.edited_text != DRAFT.c.text,
    )


def _drafts_in_range(conn: Connection, rng: ReportRange) -> tuple[Any, ColumnElement[bool]] | None:
    """Drafts joined to the range's inquiries (None when the range has none).

    Inquiry ids grow with arrival, so the range's drafts sit in a narrow slice of the draft indexes;
    bounding ``draft.inquiry_id`` by the range's ids (implied by the join, so always correct) lets the
    planner read that slice instead of, say, every edited draft of every year and joining afterwards."""
    bounds = _inquiry_id_bounds(conn, rng)
    if bounds is None:
        return None
    where = and_(_in_range(conn, rng), _inquiries_only(), DRAFT.c.inquiry_id.between(*bounds))
    return DRAFT.join(INQ, INQ.c.id == DRAFT.c.inquiry_id), where


def _inquiry_id_bounds(conn: Connection, rng: ReportRange) -> tuple[int, int] | None:
    """Smallest and largest id of the range's inquiries (None when there are none), read from the
    covering index. ``count`` is there so PostgreSQL aggregates the range instead of walking the primary
    key from either end until it meets a row of the range (its min/max rewrite, slow here)."""
    stmt = select(func.min(INQ.c.id), func.max(INQ.c.id), func.count()).where(
        _in_range(conn, rng), _inquiries_only()
    )
    low, high, n = conn.execute(stmt).one()
    return None if not n else (int(low), int(high))


EDIT_DISTANCE_SAMPLE = 2000
"""Most edited drafts whose edit distance a report computes: beyond it, every k-th draft id is measured."""
_IDS_PER_QUERY = 500


def draft_quality(
    conn: Connection, rng: ReportRange, *, sample: int = EDIT_DISTANCE_SAMPLE
) -> list[DraftQuality]:
    """Per drafted intent: approved unchanged / approved after edit / re-routed / rejected, and the mean
    normalised Levenshtein distance between the bot's text and what staff sent.

    Outcomes are counted from the report fields :func:`store.settle.settle` keeps on each draft (one index
    range, no join); drafts made after the last settle are not counted yet. The distance is computed in
    Python: over every edited draft when there are at most ``sample`` of them in the range, otherwise over
    the drafts whose id is a multiple of ``ceil(edited / sample)``."""
    _roomy(conn)
    start, end = rng.utc_bounds()
    in_range = and_(DRAFT.c.received_at >= start, DRAFT.c.received_at < end)
    outcomes = (
        select(DRAFT.c.report_intent, DRAFT.c.status, DRAFT.c.edited, func.count())
        .where(in_range)
        .group_by(DRAFT.c.report_intent, DRAFT.c.status, DRAFT.c.edited)
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    view = rollups.view(conn, rng.timezone)
    marked: list[dt.date] = []
    if view is not None:
        marked = [d for d in view.marked if rng.since <= d <= rng.until]
        for intent, status, was_edited, n in rollups.draft_outcomes(conn, rng.since, rng.until, marked):
            counts[intent][_outcome(status, was_edited)] += n
        outcomes = outcomes.where(rollups.span_where(DRAFT.c.received_at, marked, view.zone))
    if view is None or marked:
        for intent, status, flag, n in conn.execute(outcomes):
            counts[str(intent)][_outcome(str(status), bool(flag))] += int(n)
    if not counts:
        return []
    # The same text as the partial index's predicate, so the planner reads the range's edited drafts only.
    edited_rows = select(DRAFT.c.id, DRAFT.c.report_intent).where(in_range, sql_text(EDITED_ANSWERED_DRAFT))
    edited = sum(c["edited"] for c in counts.values())
    distances = _edit_distances(conn, _sampled_edited(conn, edited_rows, edited, sample) if edited else {})
    return [
        DraftQuality(
            intent=key,
            unchanged=c["unchanged"],
            edited=c["edited"],
            rerouted=c["rerouted"],
            rejected=c["rejected"],
            pending=c["pending"],
            mean_edit_distance=statistics.fmean(distances[key]) if distances[key] else None,
        )
        for key, c in sorted(counts.items())
    ]


def _outcome(status: str, edited: bool) -> str:
    if status in _ANSWERED_DRAFT:
        return "edited" if edited else "unchanged"
    return _OUTCOME_OF_STATUS.get(status, "unchanged")


def _sampled_edited(conn: Connection, rows: Select[Any], edited: int, sample: int) -> dict[int, str]:
    """The edited drafts (draft id -> intent) whose distance is measured: all of them up to ``sample``,
    else every draft whose id is a multiple of ``ceil(edited / sample)``, so a year's tens of thousands of
    texts are not read. ``rows`` selects (draft id, intent) of the edited drafts."""
    stride = max(1, math.ceil(edited / max(sample, 1)))
    picked = rows.where(DRAFT.c.id % stride == 0) if stride > 1 else rows
    return {int(draft_id): str(intent) for draft_id, intent in conn.execute(picked)}


def _edit_distances(conn: Connection, intent_of: dict[int, str]) -> dict[str, list[float]]:
    """Edit distances of the sampled edited drafts (``intent_of``: draft id -> intent), read by primary key."""
    ids = sorted(intent_of)
    distances: dict[str, list[float]] = defaultdict(list)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        texts = select(DRAFT.c.id, DRAFT.c.text, DRAFT.c.edited_text).where(DRAFT.c.id.in_(chunk))
        for draft_id, original, changed in conn.execute(texts):
            distances[intent_of[int(draft_id)]].append(Levenshtein.normalized_distance(original, changed))
    return distances


_OUTCOME_OF_STATUS = {
    DraftStatus.SUPERSEDED.value: "rerouted",
    # Replaced by its incident's copy, which is counted itself: not a re-route, not counted twice.
    DraftStatus.MERGED.value: "merged",
    DraftStatus.REJECTED.value: "rejected",
    DraftStatus.PENDING.value: "pending",
}


def most_edited(quality: Iterable[DraftQuality], limit: int = 5) -> list[DraftQuality]:
    """Intents whose drafts staff edit most: highest edited share, then largest mean distance."""
    edited = [q for q in quality if q.edited]
    edited.sort(key=lambda q: (-(q.edited_share or 0.0), -(q.mean_edit_distance or 0.0), q.intent))
    return edited[:limit]


@dataclass(frozen=True)
class Reroute:
    from_intent: str
    to_intent: str
    count: int


def reroutes(conn: Connection, rng: ReportRange) -> list[Reroute]:
    """How often staff moved an inquiry from one (primary) intent to another in the range (by when they did
    it), most frequent first. Read from the ``(action, at)`` index: no join with the inquiries."""
    src = AUDIT.c.detail[("from", 0)].as_string().label("src")
    dst = AUDIT.c.detail[("to", 0)].as_string().label("dst")
    start, end = rng.utc_bounds()
    stmt = (
        select(src, dst, func.count())
        .where(AUDIT.c.action == "rerouted", AUDIT.c.at >= start, AUDIT.c.at < end)
        .group_by(src, dst)
    )
    rows = [Reroute(str(a or "other"), str(b or "other"), int(n)) for a, b, n in conn.execute(stmt)]
    return sorted(rows, key=lambda r: (-r.count, r.from_intent, r.to_intent))


# --- queue ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    assignee: str | None  # None = unassigned; ALL for the total
    pending: int
    oldest_received_at: dt.datetime | None
    oldest_age_hours: float | None  # business hours waited so far


def queue(conn: Connection, *, hours: DeskHours, now: dt.datetime) -> list[QueueRow]:
    """What waits for staff right now (not bound to the report range), per assignee and in total."""
    stmt = (
        select(INQ.c.assignee, func.count(), func.min(INQ.c.received_at))
        .where(INQ.c.status.in_(OPEN_STATUSES), _inquiries_only())
        .group_by(INQ.c.assignee)
    )
    rows = []
    for assignee, n, oldest in conn.execute(stmt):
        at = _aware(oldest) if oldest is not None else None
        age = clock_for(hours).hours_between(at, now) if at is not None else None
        rows.append(QueueRow(assignee, int(n), at, age))
    rows.sort(key=lambda r: (r.assignee is None, r.assignee or ""))
    oldest_all = min((r.oldest_received_at for r in rows if r.oldest_received_at), default=None)
    total_age = clock_for(hours).hours_between(oldest_all, now) if oldest_all else None
    return [*rows, QueueRow(ALL, sum(r.pending for r in rows), oldest_all, total_age)]


# --- unmatched inquiries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    size: int
    sample: str
    inquiry_ids: tuple[int, ...]


def cluster_texts(
    items: Sequence[tuple[int, str]], *, threshold: float = 60.0, sample_chars: int = 120
) -> list[Cluster]:
    """Greedy leader clustering: each text joins the first leader it resembles (rapidfuzz ``ratio`` ≥
    ``threshold``) or becomes a leader itself. Largest clusters first."""
    leaders: list[str] = []
    members: list[list[int]] = []
    samples: list[str] = []
    for inquiry_id, text in items:
        key = " ".join(text.split())[:sample_chars]
        if not key:
            continue
        hit = process.extractOne(key, leaders, scorer=fuzz.ratio, score_cutoff=threshold)
        if hit is None:
            leaders.append(key)
            samples.append(key)
            members.append([inquiry_id])
        else:
            members[hit[2]].append(inquiry_id)
    clusters = [Cluster(len(m), s, tuple(m)) for m, s in zip(members, samples, strict=True)]
    return sorted(clusters, key=lambda c: (-c.size, c.inquiry_ids[0]))


def unmatched_clusters(
    conn: Connection, rng: ReportRange, *, threshold: float = 60.0, limit: int = 5000
) -> list[Cluster]:
    """``other`` inquiries of the range grouped by similar wording: candidates for new FAQ entries."""
    stmt = (
        select(INQ.c.id, INQ.c.subject, INQ.c.text)
        .where(_in_range(conn, rng), _inquiries_only(), INQ.c.primary_intent == "other")
        .order_by(INQ.c.received_at.desc())
        .limit(limit)
    )
    items = [(int(i), _summary_text(subject, text)) for i, subject, text in conn.execute(stmt)]
    return cluster_texts(items, threshold=threshold)


def _summary_text(subject: str | None, text: str | None) -> str:
    # The body's first lines say what the customer wants; quoted history further down would blur clusters.
    body = " ".join((text or "").split("\n")[:6])
    return f"{subject or ''} {body}".strip()


# --- non-inquiries -------------------------------------------------------------------------------------

NO_REASON = "_none"  # key of ``other`` inquiries without a recorded reason (before reasons, or not yet read)


def other_reasons(conn: Connection, rng: ReportRange) -> list[VolumeRow]:
    """``other`` inquiries per bucket per reason (sales, phishing, thanks, …), each with the previous
    bucket's count, read from the raw rows: the per-day census has no reason dimension, and only the
    ``other`` rows of the range are read (the ``primary_intent`` index)."""
    bucket = _bucket_expr(conn, rng).label("bucket")
    reason = func.coalesce(INQ.c.other_reason, NO_REASON).label("reason")
    stmt = (
        select(bucket, reason, func.count())
        .where(_in_range(conn, rng, with_previous=True), _inquiries_only(), INQ.c.primary_intent == "other")
        .group_by(bucket, reason)
    )
    starts = _bucket_starts(rng)
    pg = conn.dialect.name == "postgresql"
    counts: Counter[_Key] = Counter()
    for b, key, n in conn.execute(stmt):
        day = starts[int(b) - 1] if pg else _as_date(b)
        counts[(day, str(key))] += int(n)
    return _volume_rows(rng, counts)


# --- intake hygiene -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    by_kind: dict[str, int]
    inquiries: int
    unverified: int
    outbox_failed: int
    # Outage incidents opened in the range (desk/incidents.py) and the inquiries grouped into them.
    incidents: int = 0
    incident_inquiries: int = 0

    @property
    def unverified_share(self) -> float | None:
        return None if self.inquiries == 0 else self.unverified / self.inquiries


def intake(conn: Connection, rng: ReportRange, *, counted: Census | None = None) -> Intake:
    """Messages per kind (auto-replies and bounces are counted here and nowhere else), the share of
    inquiries whose sender was not proven to be the customer, and the messages queued in the range that
    could not be sent."""
    by_kind: Counter[str] = Counter()
    unverified = 0
    for (day, kind, _, _), (n, not_proven) in (counted or census(conn, rng)).cells.items():
        if day >= rng.since:  # the census also holds the bucket before the range
            by_kind[kind] += n
            unverified += not_proven if kind == InquiryKind.INQUIRY.value else 0
    start, end = rng.utc_bounds()
    failed = select(func.count()).where(
        OUTBOX.c.status == OutboxStatus.FAILED.value, OUTBOX.c.created_at >= start, OUTBOX.c.created_at < end
    )
    opened, grouped = incident_counts(conn, start, end)
    return Intake(
        by_kind=dict(sorted(by_kind.items())),
        inquiries=by_kind.get(InquiryKind.INQUIRY.value, 0),
        unverified=unverified,
        outbox_failed=int(conn.execute(failed).scalar_one()),
        incidents=opened,
        incident_inquiries=grouped,
    )


def incident_counts(conn: Connection, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """Outage incidents opened in ``[start, end)`` and the inquiries grouped into them (few rows: no rollup)."""
    incident = cast(Table, Incident.__table__)  # type: ignore[attr-defined]
    member = cast(Table, IncidentMember.__table__)  # type: ignore[attr-defined]
    stmt = (
        select(func.count(func.distinct(incident.c.id)), func.count(member.c.id))
        .select_from(incident.outerjoin(member, member.c.incident_id == incident.c.id))
        .where(incident.c.opened_at >= start, incident.c.opened_at < end)
    )
    opened, grouped = conn.execute(stmt).one()
    return int(opened or 0), int(grouped or 0)


# --- staff corrections (for `madoguchi suggest`) ----------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    inquiry_id: int
    reason: Literal["rerouted", "edited"]
    original_intent: str
    corrected_intent: str
    distance: float | None
    subject: str
    text: str


def corrections(conn: Connection, rng: ReportRange, *, min_distance: float = 0.3) -> list[Correction]:
    """Inquiries staff corrected: re-routed (the last re-route's target is the right intent) or whose
    approved draft they edited by at least ``min_distance`` (normalised Levenshtein)."""
    found: dict[int, Correction] = {}
    routed = (
        select(
            INQ.c.id,
            AUDIT.c.detail[("from", 0)].as_string(),
            AUDIT.c.detail[("to", 0)].as_string(),
            INQ.c.subject,
            INQ.c.text,
        )
        .select_from(AUDIT.join(INQ, INQ.c.id == AUDIT.c.inquiry_id))
        .where(AUDIT.c.action == "rerouted", _in_range(conn, rng), _inquiries_only())
        .order_by(AUDIT.c.at, AUDIT.c.id)
    )
    for inquiry_id, src, dst, subject, text in conn.execute(routed):
        first = found.get(int(inquiry_id))
        original = first.original_intent if first else str(src or "other")
        found[int(inquiry_id)] = Correction(
            int(inquiry_id), "rerouted", original, str(dst or "other"), None, subject or "", text or ""
        )
    drafts = _drafts_in_range(conn, rng)
    if drafts is None:
        return [found[k] for k in sorted(found)]
    joined, where = drafts
    edited = (
        select(INQ.c.id, _draft_intent(), DRAFT.c.text, DRAFT.c.edited_text, INQ.c.subject, INQ.c.text)
        .select_from(joined)
        .where(where, _edited())
        .order_by(INQ.c.id)
    )
    for inquiry_id, intent, original, changed, subject, text in conn.execute(edited):
        distance = Levenshtein.normalized_distance(original, changed)
        if distance >= min_distance and int(inquiry_id) not in found:
            found[int(inquiry_id)] = Correction(
                int(inquiry_id), "edited", str(intent), str(intent), distance, subject or "", text or ""
            )
    return [found[k] for k in sorted(found)]


# --- everything at once ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    range: ReportRange
    generated_at: dt.datetime
    sla_target_hours: float
    volumes: Volumes
    response_times: list[ResponseTimes]
    draft_quality: list[DraftQuality]
    most_edited: list[DraftQuality]
    reroutes: list[Reroute]
    queue: list[QueueRow]
    unmatched: list[Cluster]
    intake: Intake
    other_reasons: list[VolumeRow] = field(default_factory=list)  # ``other`` inquiries per reason


def build_report(
    engine: Engine,
    rng: ReportRange,
    *,
    hours: DeskHours,
    target_hours: float,
    now: dt.datetime,
    cluster_threshold: float = 60.0,
) -> Report:
    """All measures for one range, read in one connection (one consistent snapshot on PostgreSQL), after
    the derived report columns are brought up to date in a short transaction of their own."""
    settle(engine, hours)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        quality = draft_quality(conn, rng)
        counted = census(conn, rng)
        return Report(
            range=rng,
            generated_at=now,
            sla_target_hours=target_hours,
            volumes=volumes(conn, rng, counted=counted),
            response_times=response_times(conn, rng, hours=hours, target_hours=target_hours, now=now),
            draft_quality=quality,
            most_edited=most_edited(quality),
            reroutes=reroutes(conn, rng),
            queue=queue(conn, hours=hours, now=now),
            unmatched=unmatched_clusters(conn, rng, threshold=cluster_threshold),
            intake=intake(conn, rng, counted=counted),
            other_reasons=other_reasons(conn, rng),
        )
