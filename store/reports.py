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
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    case,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from desk.business_hours import DeskHours, clock_for, open_seconds_before
from store.models import AuditEvent, Draft, DraftStatus, Inquiry, InquiryKind, InquiryStatus, Outbox

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
    """Raise ``work_mem`` until the end of the current transaction (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")


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
    if conn.dialect.name == "postgresql":
        local = func.timezone(rng.timezone, INQ.c.received_at)
        return sql_cast(func.date_trunc(rng.by, local), Date)
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
_EPOCH = dt.date(1970, 1, 1)


def _volume_counts(conn: Connection, rng: ReportRange, column: Any) -> dict[_Key, int]:
    bucket = _bucket_expr(conn, rng).label("bucket")
    stmt = (
        select(bucket, column, func.count())
        .where(_in_range(conn, rng, with_previous=True), _inquiries_only())
        .group_by(bucket, column)
    )
    return {(_as_date(b), str(k)): int(n) for b, k, n in conn.execute(stmt)}


def _volume_rows(rng: ReportRange, counts: dict[tuple[dt.date, str], int]) -> list[VolumeRow]:
    keys = sorted({k for _, k in counts})
    rows = []
    for bucket in rng.buckets():
        before = previous_bucket(bucket, rng.by)
        for key in keys:
            now, prev = counts.get((bucket, key), 0), counts.get((before, key), 0)
            if now or prev:
                rows.append(VolumeRow(bucket, key, now, prev))
    return rows


def volumes(conn: Connection, rng: ReportRange) -> Volumes:
    """Inquiries per bucket per intent and per channel, each with the previous bucket's count."""
    if conn.dialect.name == "postgresql":
        by_intent, by_channel = _pg_volume_counts(conn, rng)
    else:
        by_intent = _volume_counts(conn, rng, INQ.c.primary_intent)
        by_channel = _volume_counts(conn, rng, INQ.c.channel)
    totals: Counter[tuple[dt.date, str]] = Counter()
    for (bucket, _), n in by_channel.items():
        totals[(bucket, ALL)] += n
    all_rows = [
        VolumeRow(b, ALL, totals.get((b, ALL), 0), totals.get((previous_bucket(b, rng.by), ALL), 0))
        for b in rng.buckets()
    ]
    return Volumes(rng.buckets(), _volume_rows(rng, by_intent), _volume_rows(rng, by_channel), all_rows)


def _pg_volume_counts(conn: Connection, rng: ReportRange) -> tuple[dict[_Key, int], dict[_Key, int]]:
    # One scan, grouped by (bucket, intent, channel) in a hash table and rolled up here (a few hundred
    # cells): GROUPING SETS would sort the range's rows once per grouping. The bucket is found by binary
    # search over the buckets' UTC starts (local midnights computed here), which is cheaper than a time-zone
    # conversion per row.
    starts = [previous_bucket(rng.since, rng.by), *rng.buckets()]
    edges = [rng.local_midnight(day) for day in starts]
    bucket = func.width_bucket(
        INQ.c.received_at, bindparam("edges", edges, type_=ARRAY(DateTime(timezone=True)))
    )
    stmt = (
        select(bucket, INQ.c.primary_intent, INQ.c.channel, func.count())
        .where(_in_range(conn, rng, with_previous=True), _inquiries_only())
        .group_by(bucket, INQ.c.primary_intent, INQ.c.channel)
    )
    _roomy(conn)
    by_intent: Counter[_Key] = Counter()
    by_channel: Counter[_Key] = Counter()
    for index, intent, channel, n in conn.execute(stmt):
        day = starts[int(index) - 1]
        by_intent[(day, str(intent))] += int(n)
        by_channel[(day, str(channel))] += int(n)
    return dict(by_intent), dict(by_channel)


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


@dataclass
class _Durations:
    inquiries: int = 0
    first: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)
    within: int = 0
    decided: int = 0


def _summarise(intent: str, d: _Durations) -> ResponseTimes:
    return ResponseTimes(
        intent=intent,
        inquiries=d.inquiries,
        answered=len(d.first),
        first_response_median=percentile(d.first, 0.5),
        first_response_p90=percentile(d.first, 0.9),
        resolved=len(d.resolution),
        resolution_median=percentile(d.resolution, 0.5),
        resolution_p90=percentile(d.resolution, 0.9),
        within_target=d.within,
        decided=d.decided,
    )


def response_times(
    conn: Connection, rng: ReportRange, *, hours: DeskHours, target_hours: float, now: dt.datetime
) -> list[ResponseTimes]:
    """First-response and resolution times in business hours: median and p90 per intent, SLA share.

    On PostgreSQL the durations and percentiles are computed by the database (see
    :func:`_response_times_pg`); elsewhere in Python. Both give the same numbers."""
    if conn.dialect.name == "postgresql":
        _roomy(conn)
        return _response_times_pg(conn, rng, hours=hours, target_hours=target_hours, now=now)
    return _response_times_py(conn, rng, hours=hours, target_hours=target_hours, now=now)


def _response_times_py(
    conn: Connection, rng: ReportRange, *, hours: DeskHours, target_hours: float, now: dt.datetime
) -> list[ResponseTimes]:
    stmt = select(INQ.c.primary_intent, INQ.c.received_at, INQ.c.first_response_at, INQ.c.resolved_at).where(
        _in_range(conn, rng), _inquiries_only()
    )
    per: dict[str, _Durations] = defaultdict(_Durations)
    business_hours_between = clock_for(hours).hours_between
    for intent, received, first, resolved in conn.execute(stmt):
        received = _aware(received)
        for d in (per[intent], per[ALL]):
            d.inquiries += 1
        if first is not None:
            waited = business_hours_between(received, _aware(first))
            for d in (per[intent], per[ALL]):
                d.first.append(waited)
                d.decided += 1
                d.within += waited <= target_hours
        elif business_hours_between(received, now) > target_hours:
            for d in (per[intent], per[ALL]):
                d.decided += 1
        if resolved is not None:
            took = business_hours_between(received, _aware(resolved))
            for d in (per[intent], per[ALL]):
                d.resolution.append(took)
    overall = per.pop(ALL, _Durations())
    return [_summarise(k, per[k]) for k in sorted(per)] + [_summarise(ALL, overall)]


# PostgreSQL: an instant's "open seconds since local midnight of day 0" comes from a slot table built from
# desk.business_hours (so the holiday calendar stays in Python). The local span is cut into slots of ``g``
# seconds, ``g`` dividing a day and every window edge, so each slot is wholly open or wholly closed; for an
# instant ``t`` (local seconds since day 0) in slot ``i`` the value is ``least(t + a[i], b[i])`` with
# ``a[i]`` = open seconds before the slot minus its start and ``b[i]`` = open seconds at its end: inside an
# open slot ``t + a[i]`` counts on, in a closed one it exceeds ``b[i]``. A duration is the difference of two
# values; "now" is one value, computed in Python with the same float arithmetic. Instants become local
# wall-clock seconds like the Python clock: epoch plus a fixed offset when the zone has one over the whole
# table (a cheap addition), else one conversion per instant.
# ``date_part`` dominates the per-row cost, so each instant is converted once: the set-returning
# ``generate_series(1, 1)`` keeps the planner from inlining ``localized`` into its users (which would repeat
# the conversion in every expression using it) without forbidding a parallel scan, as ``OFFSET 0`` would.
# Grouping by ``COLLATE "C"`` sorts bytes instead of locale strings; the rows are re-ordered in Python anyway.
_PG_RESPONSE_TIMES = """
SELECT GROUPING(intent) AS total, intent, count(*), count(fr),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY fr),
       count(rs),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY rs),
       count(*) FILTER (WHERE fr <= :target),
       count(fr) + count(*) FILTER (WHERE fr IS NULL AND waiting > :target),
       count(*) FILTER (WHERE outside)
FROM (
    SELECT intent,
           CASE WHEN first_at > received_at THEN (c1 - c0) / 3600
                WHEN first_at IS NOT NULL THEN 0.0 END AS fr,
           CASE WHEN resolved_at > received_at THEN (c2 - c0) / 3600
                WHEN resolved_at IS NOT NULL THEN 0.0 END AS rs,
           CASE WHEN first_at IS NULL AND :now > received_at THEN (:cn - c0) / 3600
                ELSE 0.0 END AS waiting,
           received_at < :low OR first_at >= :high OR resolved_at >= :high AS outside
    FROM (
        SELECT intent, received_at, first_at, resolved_at, {c0} AS c0, {c1} AS c1, {c2} AS c2
        FROM (
            SELECT primary_intent COLLATE "C" AS intent, received_at, first_response_at AS first_at,
                   resolved_at, {l0} AS l0, {l1} AS l1, {l2} AS l2, generate_series(1, 1) AS fence
            FROM inquiry
            WHERE kind = :kind AND received_at >= :start AND received_at < :end
        ) AS localized
    ) AS cumulative
) AS durations
GROUP BY ROLLUP (intent)
"""

_MAX_SLOTS = 1_000_000
"""Largest slot table sent to PostgreSQL; desk hours on odd seconds would need more and use Python."""


@dataclass(frozen=True)
class _SlotTable:
    """Open-seconds slots of the local days ``first``…``last + 1`` (the extra day absorbs float rounding at
    the end), covering the UTC instants ``[low, high)``."""

    slot: int
    a: list[float]
    b: list[float]
    low: dt.datetime
    high: dt.datetime
    shift: float  # added to an instant's epoch (or local wall-clock epoch) seconds: seconds since day 0
    offset: float | None  # the zone's fixed UTC offset over the table, if it has one

    def local_sql(self, column: str) -> str:
        if self.offset is not None:
            return f"(date_part('epoch', {column}) + :shift)"
        return f"(date_part('epoch', timezone(:tz, {column})) + :shift)"

    def slot_sql(self, local: str) -> str:
        """The cumulative value of ``local`` (a column of local seconds since day 0)."""
        slot = f"CAST(floor({local} / :slot) AS integer) + 1"
        return f"least({local} + (:a)[{slot}], (:b)[{slot}])"

    def cumulative(self, instant: dt.datetime, zone: ZoneInfo) -> float:
        """The SQL value of one instant, with the same float operations."""
        if self.offset is not None:
            local = instant.timestamp() + self.shift
        else:
            local = instant.astimezone(zone).replace(tzinfo=dt.UTC).timestamp() + self.shift
        i = int(local // self.slot)
        return min(local + self.a[i], self.b[i])


def _slot_seconds(hours: DeskHours) -> int:
    return math.gcd(86400, *(edge for window in hours.window_seconds() for edge in window))


def _slot_table(hours: DeskHours, zone: ZoneInfo, first: dt.date, last: dt.date) -> _SlotTable | None:
    g = _slot_seconds(hours)
    per_day = 86400 // g
    if ((last - first).days + 2) * per_day > _MAX_SLOTS:
        return None
    windows = hours.window_seconds()
    within = [sum(max(0, min(j * g, end) - start) for start, end in windows) for j in range(per_day + 1)]
    midnights = open_seconds_before(hours, first, last + dt.timedelta(days=1))
    a: list[float] = []
    b: list[float] = []
    for day, (before, after) in enumerate(pairwise(midnights)):
        is_open = after > before
        for j in range(per_day):
            a.append(float(before + (within[j] if is_open else 0) - (day * per_day + j) * g))
            b.append(float(before + (within[j + 1] if is_open else 0)))
    offset = _fixed_offset(zone, first, last)
    base = (first - _EPOCH).days * 86400.0
    shift = (offset - base) if offset is not None else -base
    return _SlotTable(
        g, a, b, _midnight(first, zone), _midnight(last + dt.timedelta(days=1), zone), shift, offset
    )


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _fixed_offset(zone: ZoneInfo, first: dt.date, last: dt.date) -> float | None:
    """The zone's UTC offset in seconds if it is the same at every local midnight and noon of the span."""
    offsets = set()
    day = first - dt.timedelta(days=1)
    while day <= last + dt.timedelta(days=1):
        for hour in (0, 12):
            offset = dt.datetime.combine(day, dt.time(hour), tzinfo=zone).utcoffset()
            offsets.add(offset.total_seconds() if offset is not None else 0.0)
        day += dt.timedelta(days=1)
    return offsets.pop() if len(offsets) == 1 else None


def _response_times_pg(
    conn: Connection, rng: ReportRange, *, hours: DeskHours, target_hours: float, now: dt.datetime
) -> list[ResponseTimes]:
    now_day = now.astimezone(rng.zone).date()
    # Replies normally come within days; a range whose answers lie further out is computed again with a
    # table spanning every instant involved.
    first = min(rng.since, now_day) - dt.timedelta(days=1)
    last = max(rng.until, now_day) + dt.timedelta(days=62)
    rows = _pg_response_rows(conn, rng, hours, target_hours, now, first, last)
    if rows is not None and any(row[-1] for row in rows):
        span = conn.execute(
            select(
                func.max(func.greatest(INQ.c.first_response_at, INQ.c.resolved_at)),
            ).where(_in_range(conn, rng), _inquiries_only())
        ).one()
        local = [_aware(v).astimezone(rng.zone).date() for v in span if v is not None]
        last = max([last, *local]) + dt.timedelta(days=1)
        rows = _pg_response_rows(conn, rng, hours, target_hours, now, first, last)
    if rows is None:
        return _response_times_py(conn, rng, hours=hours, target_hours=target_hours, now=now)
    out = {
        (ALL if total else str(intent)): _pg_summary(ALL if total else str(intent), row)
        for total, intent, *row in rows
    }
    overall = out.pop(ALL, ResponseTimes(ALL, 0, 0, None, None, 0, None, None, 0, 0))
    return [out[k] for k in sorted(out)] + [overall]


def _pg_response_rows(
    conn: Connection,
    rng: ReportRange,
    hours: DeskHours,
    target_hours: float,
    now: dt.datetime,
    first: dt.date,
    last: dt.date,
) -> list[Any] | None:
    """The per-intent rows (plus the ROLLUP total), or None when the slot table would be too large."""
    table = _slot_table(hours, rng.zone, first, last)
    if table is None:
        return None
    sql = _PG_RESPONSE_TIMES.format(
        **{f"l{i}": table.local_sql(col) for i, col in enumerate(_PG_INSTANTS)},
        **{f"c{i}": table.slot_sql(f"l{i}") for i in range(3)},
    )
    start, end = rng.utc_bounds()
    params = {
        "a": table.a,
        "b": table.b,
        "slot": float(table.slot),
        "shift": table.shift,
        "low": table.low,
        "high": table.high,
        "cn": table.cumulative(now, rng.zone),
        "tz": rng.timezone,
        "now": now,
        "kind": InquiryKind.INQUIRY.value,
        "start": start,
        "end": end,
        "target": target_hours,
    }
    stmt = sql_text(sql).bindparams(bindparam("a", type_=ARRAY(Float)), bindparam("b", type_=ARRAY(Float)))
    return list(conn.execute(stmt, params))


_PG_INSTANTS = ("received_at", "first_response_at", "resolved_at")


def _pg_summary(intent: str, row: Sequence[Any]) -> ResponseTimes:
    inquiries, answered, first_pct, resolved, resolution_pct, within, decided, _ = row
    return ResponseTimes(
        intent=intent,
        inquiries=int(inquiries),
        answered=int(answered),
        first_response_median=first_pct[0] if answered else None,
        first_response_p90=first_pct[1] if answered else None,
        resolved=int(resolved),
        resolution_median=resolution_pct[0] if resolved else None,
        resolution_p90=resolution_pct[1] if resolved else None,
        within_target=int(within),
        decided=int(decided),
    )


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

    Outcomes are counted in SQL (statuses from an index, texts compared only for drafts staff edited). The
    distance is computed in Python: over every edited draft when there are at most ``sample`` of them in
    the range, otherwise over the drafts whose id is a multiple of ``ceil(edited / sample)``."""
    drafts = _drafts_in_range(conn, rng)
    if drafts is None:
        return []
    _roomy(conn)
    joined, where = drafts
    intent = _draft_intent().label("intent")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, status, n in _outcome_counts(conn, joined, where):
        counts[key][_OUTCOME_OF_STATUS.get(status, "unchanged")] += n
    edited, sampled = _edited_drafts(
        conn, select(DRAFT.c.id, intent).select_from(joined).where(where, _edited()), sample
    )
    for key, n in edited.items():
        counts[key]["unchanged"] -= n
        counts[key]["edited"] += n
    distances = _edit_distances(conn, sampled)
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


def _outcome_counts(conn: Connection, joined: Any, where: ColumnElement[bool]) -> list[tuple[str, str, int]]:
    """Drafts per drafted intent and status. Grouped by the intents' JSON text, parsed here once per group:
    extracting the first element in SQL parses the JSON of every draft (half the query's time over a
    year). The inquiry's intent is part of the group only for drafts whose list does not start with a
    string, the only ones that fall back to it."""
    raw = sql_cast(DRAFT.c.intents, Text)
    fallback = case((raw.startswith('["'), None), else_=INQ.c.primary_intent)
    stmt = (
        select(raw, fallback, DRAFT.c.status, func.count())
        .select_from(joined)
        .where(where)
        .group_by(raw, fallback, DRAFT.c.status)
    )
    return [
        (_first_intent(text, primary), str(status), int(n)) for text, primary, status, n in conn.execute(stmt)
    ]


def _first_intent(intents_json: str, primary: str | None) -> str:
    # Mirrors _draft_intent(): the list's first string, else the inquiry's primary intent.
    intents = json.loads(intents_json)
    first = intents[0] if isinstance(intents, list) and intents else None
    if isinstance(first, str):
        return first
    return str(primary) if first is None else json.dumps(first, ensure_ascii=False)


def _edited_drafts(conn: Connection, rows: Select[Any], sample: int) -> tuple[Counter[str], dict[int, str]]:
    """Edited drafts per intent, and the sampled ones (draft id -> intent) whose distance is measured.

    ``rows`` selects (draft id, intent) of the edited drafts. Counted and sampled in one statement, so a
    year's tens of thousands of edited drafts are not sent to Python: the sample is every draft whose id
    is a multiple of ``ceil(edited / sample)``."""
    edited = rows.cte("edited")
    total = select(func.count()).select_from(edited).scalar_subquery()
    stride = (total + (max(sample, 1) - 1)) // max(sample, 1)
    key, draft_id = edited.c[1], edited.c[0]
    per_intent = select(key, func.count(), null().label("id")).group_by(key)
    picked = select(key, null(), draft_id).where(draft_id % stride == 0)
    counted: Counter[str] = Counter()
    sampled: dict[int, str] = {}
    for intent, n, picked_id in conn.execute(union_all(per_intent, picked)):
        if picked_id is None:
            counted[str(intent)] += int(n)
        else:
            sampled[int(picked_id)] = str(intent)
    return counted, sampled


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
    """How often staff moved an inquiry from one (primary) intent to another, most frequent first."""
    src = AUDIT.c.detail[("from", 0)].as_string().label("src")
    dst = AUDIT.c.detail[("to", 0)].as_string().label("dst")
    stmt = (
        select(src, dst, func.count())
        .select_from(AUDIT.join(INQ, INQ.c.id == AUDIT.c.inquiry_id))
        .where(AUDIT.c.action == "rerouted", _in_range(conn, rng), _inquiries_only())
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


# --- intake hygiene -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intake:
    by_kind: dict[str, int]
    inquiries: int
    unverified: int
    outbox_failed: int

    @property
    def unverified_share(self) -> float | None:
        return None if self.inquiries == 0 else self.unverified / self.inquiries


def intake(conn: Connection, rng: ReportRange) -> Intake:
    """Messages per kind (auto-replies and bounces are counted here and nowhere else), the share of
    inquiries whose sender was not proven to be the customer, and replies that could not be sent."""
    # One scan of the range: the unverified count is read off the inquiry kind's row.
    unverified = func.count().filter(INQ.c.identity_verified.is_(False))
    kinds = select(INQ.c.kind, func.count(), unverified).where(_in_range(conn, rng)).group_by(INQ.c.kind)
    by_kind: dict[str, int] = {}
    unverified_by_kind: dict[str, int] = {}
    for kind, n, not_proven in conn.execute(kinds):
        by_kind[str(kind)], unverified_by_kind[str(kind)] = int(n), int(not_proven)
    failed = (
        select(func.count())
        .select_from(OUTBOX.join(INQ, INQ.c.id == OUTBOX.c.inquiry_id))
        .where(OUTBOX.c.status == "failed", _in_range(conn, rng))
    )
    return Intake(
        by_kind=dict(sorted(by_kind.items())),
        inquiries=by_kind.get(InquiryKind.INQUIRY.value, 0),
        unverified=unverified_by_kind.get(InquiryKind.INQUIRY.value, 0),
        outbox_failed=int(conn.execute(failed).scalar_one()),
    )


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


def build_report(
    engine: Engine,
    rng: ReportRange,
    *,
    hours: DeskHours,
    target_hours: float,
    now: dt.datetime,
    cluster_threshold: float = 60.0,
) -> Report:
    """All measures for one range, read in one connection (one consistent snapshot on PostgreSQL)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        quality = draft_quality(conn, rng)
        return Report(
            range=rng,
            generated_at=now,
            sla_target_hours=target_hours,
            volumes=volumes(conn, rng),
            response_times=response_times(conn, rng, hours=hours, target_hours=target_hours, now=now),
            draft_quality=quality,
            most_edited=most_edited(quality),
            reroutes=reroutes(conn, rng),
            queue=queue(conn, hours=hours, now=now),
            unmatched=unmatched_clusters(conn, rng, threshold=cluster_threshold),
            intake=intake(conn, rng),
        )
