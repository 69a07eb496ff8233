"""Per-day rollups of the managers' measures, so a year's report reads a few thousand rollup rows instead of
every inquiry and draft of the year.

What is rolled up, per local day of arrival (in the zone recorded as ``rollup_zone`` in ``report_basis``):

- ``rollup_census``: messages per kind x intent x channel, with how many came from an unproven sender and how
  many have no first response yet (volumes, intake, the per-intent totals and the SLA's late count);
- ``rollup_minutes``: histograms {business minutes: inquiries} of first response and resolution per intent,
  per day and also per month and per year (each the sum of its days), so percentiles stay exact and a year
  reads one histogram of ~10^5 rows instead of 365 of them;
- ``rollup_drafts``: drafts per drafted intent x status x edited.

Keeping them current: triggers on ``inquiry`` and ``draft`` (store.models.rollup_trigger_ddl) add the arrival
instant of every inserted, deleted or report-relevantly changed row to ``report_dirty``, whatever wrote it.
:func:`refresh` (called by store.settle, so every 5 minutes in serve and before every report) recomputes the
marked days from the raw rows, moves the month and year histograms by the day's difference, and deletes
exactly the marks it read, in one transaction serialised by a row lock on the ``rollup_zone`` basis row. A
mark written concurrently stays for the next refresh.

Reading (store.reports): a report uses the rollups only when its time zone is the rollups' zone. Days still
marked in the report's snapshot, and the day holding the SLA's overdue instant, are read from the raw rows;
for them the month/year histograms are corrected by subtracting the day's rollup (which the month and year
rows contain) and adding the raw rows. Every number is therefore the same as a row-by-row computation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Table,
    and_,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from store.models import (
    Draft,
    Inquiry,
    InquiryKind,
    ReportBasis,
    ReportDirty,
    RollupCensus,
    RollupDrafts,
    RollupMinutes,
    utcnow,
)

__all__ = [
    "DAY",
    "FIRST",
    "MONTH",
    "RESOLUTION",
    "YEAR",
    "View",
    "census_buckets",
    "day_minutes",
    "decompose",
    "draft_outcomes",
    "intent_totals",
    "local_day",
    "minutes_rows",
    "refresh",
    "span_where",
    "view",
]

INQ = cast(Table, Inquiry.__table__)  # type: ignore[attr-defined]
DRAFT = cast(Table, Draft.__table__)  # type: ignore[attr-defined]
BASIS = cast(Table, ReportBasis.__table__)  # type: ignore[attr-defined]
DIRTY = cast(Table, ReportDirty.__table__)  # type: ignore[attr-defined]
CENSUS = cast(Table, RollupCensus.__table__)  # type: ignore[attr-defined]
MINUTES = cast(Table, RollupMinutes.__table__)  # type: ignore[attr-defined]
DRAFTS = cast(Table, RollupDrafts.__table__)  # type: ignore[attr-defined]

ZONE_KEY = "rollup_zone"
FIRST, RESOLUTION = 1, 2
DAY, MONTH, YEAR = "D", "M", "Y"
FULL_REBUILD_DAYS = 45
"""More marked days than this and :func:`refresh` rebuilds everything in a few set-based statements
(after an upgrade, a change of desk hours, a bulk import) instead of day by day."""
MARKS_READ_LIMIT = 10_000
"""Beyond this many marks :func:`refresh` rebuilds everything, and a report (a rebuild pending) reads raw
rows throughout."""
_CHUNK = 5000


# --- days ------------------------------------------------------------------------------------------------


def local_day(instant: dt.datetime, zone: ZoneInfo) -> dt.date:
    return instant.astimezone(zone).date()


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) pairs, in order."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] + dt.timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def span_where(column: Any, days: Iterable[dt.date], zone: ZoneInfo) -> ColumnElement[bool]:
    """``column`` falls on one of ``days`` (local dates in ``zone``): one half-open range per run."""
    spans = [
        and_(column >= local_midnight(a, zone), column < local_midnight(b + dt.timedelta(days=1), zone))
        for a, b in runs(days)
    ]
    return or_(*spans) if spans else false()


def decompose(since: dt.date, until: dt.date) -> list[tuple[str, dt.date]]:
    """``since``…``until`` (inclusive) as whole years, whole months and single days: (level, period)."""
    out: list[tuple[str, dt.date]] = []
    day = since
    while day <= until:
        if day.month == 1 and day.day == 1 and dt.date(day.year, 12, 31) <= until:
            out.append((YEAR, day))
            day = dt.date(day.year + 1, 1, 1)
        elif day.day == 1 and _next_month(day) - dt.timedelta(days=1) <= until:
            out.append((MONTH, day))
            day = _next_month(day)
        else:
            out.append((DAY, day))
            day += dt.timedelta(days=1)
    return out


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@lru_cache(maxsize=65536)
def _sqlite_day_of(minute: str, zone: str) -> str:
    utc = dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC)
    return utc.astimezone(ZoneInfo(zone)).date().isoformat()


def _sqlite_local_day(stamp: str | None, zone: str) -> str | None:
    # Cached on the minute: every instant of the same UTC minute falls on the same local day.
    return None if stamp is None else _sqlite_day_of(stamp[:16], zone)


def _day_expr(conn: Connection, column: Any, zone: str) -> ColumnElement[Any]:
    """The local date of ``column`` in ``zone``, computed by the database (SQLite: a registered function)."""
    if conn.dialect.name == "postgresql":
        return sql_cast(func.timezone(zone, column), Date)
    raw = conn.connection.dbapi_connection
    if raw is not None:
        raw.create_function("mdg_local_day", 2, _sqlite_local_day, deterministic=True)
    return func.mdg_local_day(column, zone)


def _trunc(conn: Connection, column: Any, unit: str) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sql_cast(func.date_trunc(unit, column), Date)
    return func.date(column, f"start of {unit}")


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _year(day: dt.date) -> dt.date:
    return dt.date(day.year, 1, 1)


# --- aggregates of raw rows, per local day -------------------------------------------------------------


def _census_select(conn: Connection, zone: str, where: ColumnElement[bool]) -> Any:
    day = _day_expr(conn, INQ.c.received_at, zone).label("day")
    unverified = func.count().filter(INQ.c.identity_verified.is_(False))
    unanswered = func.count().filter(
        and_(INQ.c.first_response_minutes.is_(None), INQ.c.first_response_at.is_(None))
    )
    return (
        select(day, INQ.c.kind, INQ.c.primary_intent, INQ.c.channel, func.count(), unverified, unanswered)
        .where(where, INQ.c.kind.in_([k.value for k in InquiryKind]))
        .group_by(day, INQ.c.kind, INQ.c.primary_intent, INQ.c.channel)
    )


def _minutes_select(conn: Connection, zone: str, where: ColumnElement[bool]) -> Any:
    """(level 'D', day, part, intent, minutes, inquiries) of the inquiries matching ``where``."""
    day = _day_expr(conn, INQ.c.received_at, zone).label("day")
    parts = []
    for part, column in ((FIRST, INQ.c.first_response_minutes), (RESOLUTION, INQ.c.resolution_minutes)):
        parts.append(
            select(literal(DAY), day, literal(part), INQ.c.primary_intent, column, func.count())
            .where(where, INQ.c.kind == InquiryKind.INQUIRY.value, column.is_not(None))
            .group_by(day, INQ.c.primary_intent, column)
        )
    return union_all(*parts)


def _drafts_select(conn: Connection, zone: str, where: ColumnElement[bool]) -> Any:
    # Same cells as store.reports.draft_quality's raw count: an unsettled flag counts as not edited, and a
    # missing intent under the text "None" (what that function makes of it).
    day = _day_expr(conn, DRAFT.c.received_at, zone).label("day")
    intent = func.coalesce(DRAFT.c.report_intent, "None").label("intent")
    edited = func.coalesce(DRAFT.c.edited, False).label("edited")
    return (
        select(day, intent, DRAFT.c.status, edited, func.count())
        .where(where, DRAFT.c.received_at.is_not(None))
        .group_by(day, intent, DRAFT.c.status, edited)
    )


_CENSUS_COLUMNS = ["day", "kind", "intent", "channel", "inquiries", "unverified", "unanswered"]
_MINUTES_COLUMNS = ["level", "period", "part", "intent", "minutes", "inquiries"]
_DRAFTS_COLUMNS = ["day", "intent", "status", "edited", "drafts"]


# --- keeping them current ------------------------------------------------------------------------------


def refresh(engine: Engine, zone: str) -> int:
    """Fold every marked day into the rollups (or rebuild them all when the zone changed, on first use,
    or when many days are marked); returns how many days were recomputed (-1: everything)."""
    with engine.connect() as conn:
        # Nothing marked (the usual case): no write, no lock, so reports and settles never queue here.
        stored = conn.execute(select(BASIS.c.value).where(BASIS.c.name == ZONE_KEY)).scalar_one_or_none()
        if stored == zone and conn.execute(select(DIRTY.c.id).limit(1)).first() is None:
            return 0
    try:
        with engine.begin() as conn:
            done = _refresh(conn, zone)
    except IntegrityError:  # two first rebuilds at once: the other one recorded the same rollups
        return 0
    if done == -1 and engine.dialect.name == "postgresql":
        # A rebuild deleted every mark (millions after an upgrade): until vacuumed, each later look at the
        # empty marks table would scan their dead tuples (~60 ms at 1,000,000 inquiries).
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in (DIRTY, CENSUS, MINUTES, DRAFTS):
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table.name}")
    return done


def _refresh(conn: Connection, zone: str) -> int:
    # The row lock serialises refreshes: two of them applying the same day's difference to a month would
    # count it twice. On SQLite the UPDATE takes the database's write lock before anything is read.
    locked = conn.execute(update(BASIS).where(BASIS.c.name == ZONE_KEY).values(updated_at=utcnow()))
    stored = (
        conn.execute(select(BASIS.c.value).where(BASIS.c.name == ZONE_KEY)).scalar_one_or_none()
        if locked.rowcount
        else None
    )
    pending = int(conn.execute(select(func.count()).select_from(DIRTY)).scalar_one())
    marks: list[Any] = []
    days: set[dt.date] = set()
    if stored == zone and pending <= MARKS_READ_LIMIT:
        marks = list(conn.execute(select(DIRTY.c.id, DIRTY.c.received_at)).all())
        days = {local_day(at, ZoneInfo(zone)) for _, at in marks}
    if stored != zone or pending > MARKS_READ_LIMIT or len(days) > FULL_REBUILD_DAYS:
        if conn.dialect.name == "postgresql":
            # Writers wait (their triggers insert marks) until the rebuild commits, so every mark left
            # is older than the rows the rebuild reads and can go. A rebuild is rare: first use,
            # new desk hours or zone, a bulk import.
            conn.exec_driver_sql(f"LOCK TABLE {DIRTY.name} IN SHARE ROW EXCLUSIVE MODE")
        _rebuild_all(conn, zone)
        conn.execute(delete(DIRTY))
        if stored is None:
            conn.execute(BASIS.insert().values(name=ZONE_KEY, value=zone, updated_at=utcnow()))
        elif stored != zone:
            conn.execute(update(BASIS).where(BASIS.c.name == ZONE_KEY).values(value=zone))
        return -1
    _refresh_days(conn, zone, days)
    # Exactly the marks read: one committed after that read (its change possibly not seen) stays.
    ids = [row_id for row_id, _ in marks]
    for start in range(0, len(ids), _CHUNK):
        conn.execute(delete(DIRTY).where(DIRTY.c.id.in_(ids[start : start + _CHUNK])))
    return len(days)


def _rebuild_all(conn: Connection, zone: str) -> None:
    for table in (CENSUS, MINUTES, DRAFTS):
        conn.execute(delete(table))
    conn.execute(CENSUS.insert().from_select(_CENSUS_COLUMNS, _census_select(conn, zone, true())))
    conn.execute(MINUTES.insert().from_select(_MINUTES_COLUMNS, _minutes_select(conn, zone, true())))
    conn.execute(DRAFTS.insert().from_select(_DRAFTS_COLUMNS, _drafts_select(conn, zone, true())))
    for level, unit in ((MONTH, "month"), (YEAR, "year")):
        period = _trunc(conn, MINUTES.c.period, unit)
        totals = (
            select(literal(level), period, MINUTES.c.part, MINUTES.c.intent, MINUTES.c.minutes)
            .add_columns(func.sum(MINUTES.c.inquiries))
            .where(MINUTES.c.level == DAY)
            .group_by(period, MINUTES.c.part, MINUTES.c.intent, MINUTES.c.minutes)
        )
        conn.execute(MINUTES.insert().from_select(_MINUTES_COLUMNS, totals))


def _refresh_days(conn: Connection, zone: str, days: set[dt.date]) -> None:
    if not days:
        return
    tz = ZoneInfo(zone)
    marked = sorted(days)
    conn.execute(delete(CENSUS).where(CENSUS.c.day.in_(marked)))
    conn.execute(
        CENSUS.insert().from_select(
            _CENSUS_COLUMNS, _census_select(conn, zone, span_where(INQ.c.received_at, marked, tz))
        )
    )
    conn.execute(delete(DRAFTS).where(DRAFTS.c.day.in_(marked)))
    conn.execute(
        DRAFTS.insert().from_select(
            _DRAFTS_COLUMNS, _drafts_select(conn, zone, span_where(DRAFT.c.received_at, marked, tz))
        )
    )
    # Minute histograms: replace the days' rows, and move their month and year by the difference.
    change: Counter[tuple[dt.date, int, str, int]] = Counter()
    for period, part, intent, minutes, n in conn.execute(
        select(
            MINUTES.c.period, MINUTES.c.part, MINUTES.c.intent, MINUTES.c.minutes, MINUTES.c.inquiries
        ).where(MINUTES.c.level == DAY, MINUTES.c.period.in_(marked))
    ):
        change[(_as_date(period), int(part), str(intent), int(minutes))] -= int(n)
    fresh = conn.execute(_minutes_select(conn, zone, span_where(INQ.c.received_at, marked, tz))).all()
    for _, period, part, intent, minutes, n in fresh:
        change[(_as_date(period), int(part), str(intent), int(minutes))] += int(n)
    conn.execute(delete(MINUTES).where(MINUTES.c.level == DAY, MINUTES.c.period.in_(marked)))
    rows = [
        dict(zip(_MINUTES_COLUMNS, (DAY, _as_date(p), int(pt), str(i), int(m), int(n)), strict=True))
        for _, p, pt, i, m, n in fresh
    ]
    if rows:
        conn.execute(MINUTES.insert(), rows)
    moved: Counter[tuple[str, dt.date, int, str, int]] = Counter()
    for (day, part, intent, minutes), n in change.items():
        if n:
            moved[(MONTH, _month(day), part, intent, minutes)] += n
            moved[(YEAR, _year(day), part, intent, minutes)] += n
    _add_minutes(conn, [(key, n) for key, n in moved.items() if n])
    for level, period in {(level, period) for (level, period, *_), _n in moved.items()}:
        conn.execute(
            delete(MINUTES).where(
                MINUTES.c.level == level, MINUTES.c.period == period, MINUTES.c.inquiries == 0
            )
        )


def _add_minutes(conn: Connection, changes: Sequence[tuple[tuple[str, dt.date, int, str, int], int]]) -> None:
    """Add each change to its month/year cell, creating the cell if needed (an upsert on both backends)."""
    if not changes:
        return
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = maker(MINUTES)
    stmt = stmt.on_conflict_do_update(
        index_elements=["level", "period", "part", "intent", "minutes"],
        set_={"inquiries": MINUTES.c.inquiries + stmt.excluded.inquiries},
    )
    rows = [dict(zip(_MINUTES_COLUMNS, (*key, n), strict=True)) for key, n in changes]
    conn.execute(stmt, rows)


# --- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The rollups as a report's snapshot sees them: their zone, and the days still marked there."""

    zone: ZoneInfo
    marked: frozenset[dt.date]


def view(conn: Connection, timezone: str) -> View | None:
    """The rollups usable for a report in ``timezone``, or None (never built, another zone, or a rebuild
    pending): the report then reads raw rows throughout."""
    stored = conn.execute(select(BASIS.c.value).where(BASIS.c.name == ZONE_KEY)).scalar_one_or_none()
    if stored != timezone:
        return None
    marks = conn.execute(select(DIRTY.c.received_at).limit(MARKS_READ_LIMIT + 1)).scalars().all()
    if len(marks) > MARKS_READ_LIMIT:
        return None
    zone = ZoneInfo(timezone)
    return View(zone, frozenset(local_day(at, zone) for at in marks))


def census_buckets(
    conn: Connection, first: dt.date, last: dt.date, by: str, skip: Iterable[dt.date] = ()
) -> list[tuple[dt.date, str, str, str, int, int]]:
    """(bucket start, kind, intent, channel, messages, unverified) of the days ``first``…``last`` except
    ``skip``, summed per bucket (``by``: day, week from Monday, month) by the database."""
    bucket = _bucket_of_day(conn, CENSUS.c.day, by).label("bucket")
    keys = (bucket, CENSUS.c.kind, CENSUS.c.intent, CENSUS.c.channel)
    stmt = (
        select(*keys, func.sum(CENSUS.c.inquiries), func.sum(CENSUS.c.unverified))
        .where(CENSUS.c.day.between(first, last), *_not_on(CENSUS.c.day, skip))
        .group_by(*keys)
    )
    return [(_as_date(b), str(k), str(i), str(c), int(n), int(u)) for b, k, i, c, n, u in conn.execute(stmt)]


def intent_totals(
    conn: Connection, first: dt.date, last: dt.date, *, skip: Iterable[dt.date], late_before: dt.date
) -> list[tuple[str, int, int]]:
    """(intent, inquiries, unanswered ones that arrived before ``late_before``) over ``first``…``last``
    except ``skip``."""
    late = func.coalesce(func.sum(CENSUS.c.unanswered).filter(CENSUS.c.day < late_before), 0)
    stmt = (
        select(CENSUS.c.intent, func.sum(CENSUS.c.inquiries), late)
        .where(
            CENSUS.c.day.between(first, last),
            CENSUS.c.kind == InquiryKind.INQUIRY.value,
            *_not_on(CENSUS.c.day, skip),
        )
        .group_by(CENSUS.c.intent)
    )
    return [(str(i), int(n), int(u)) for i, n, u in conn.execute(stmt)]


def draft_outcomes(
    conn: Connection, first: dt.date, last: dt.date, skip: Iterable[dt.date] = ()
) -> list[tuple[str, str, bool, int]]:
    """(drafted intent, status, edited, drafts) over ``first``…``last`` except ``skip``."""
    keys = (DRAFTS.c.intent, DRAFTS.c.status, DRAFTS.c.edited)
    stmt = (
        select(*keys, func.sum(DRAFTS.c.drafts))
        .where(DRAFTS.c.day.between(first, last), *_not_on(DRAFTS.c.day, skip))
        .group_by(*keys)
    )
    return [(str(i), str(s), bool(e), int(n)) for i, s, e, n in conn.execute(stmt)]


def _not_on(column: Any, days: Iterable[dt.date]) -> list[ColumnElement[bool]]:
    listed = sorted(set(days))
    return [column.not_in(listed)] if listed else []


def _bucket_of_day(conn: Connection, column: Any, by: str) -> ColumnElement[Any]:
    """First day of the report bucket holding the date ``column`` (as store.reports.bucket_start)."""
    if by == "day":
        return cast(ColumnElement[Any], column)
    if conn.dialect.name == "postgresql":
        return sql_cast(func.date_trunc(by, column), Date)
    if by == "week":  # the Sunday on or after the day, back to its Monday
        return func.date(column, "weekday 0", "-6 days")
    return func.date(column, "start of month")


def minutes_rows(conn: Connection, periods: Sequence[tuple[str, dt.date]]) -> list[tuple[int, str, int, int]]:
    """(part, intent, minutes, inquiries) summed over ``periods`` (from :func:`decompose`)."""
    if not periods:
        return []
    by_level: dict[str, list[dt.date]] = {}
    for level, period in periods:
        by_level.setdefault(level, []).append(period)
    where = or_(*(and_(MINUTES.c.level == lv, MINUTES.c.period.in_(ps)) for lv, ps in by_level.items()))
    cols = (MINUTES.c.part, MINUTES.c.intent, MINUTES.c.minutes)
    if len(periods) == 1:
        stmt = select(*cols, MINUTES.c.inquiries).where(where)
    else:
        stmt = select(*cols, func.sum(MINUTES.c.inquiries)).where(where).group_by(*cols)
    # A year is ~35,000 rows: no per-value conversion (both drivers return int and str here).
    return cast(list[tuple[int, str, int, int]], conn.execute(stmt).all())


def day_minutes(conn: Connection, days: Iterable[dt.date]) -> list[tuple[int, str, int, int]]:
    """(part, intent, minutes, inquiries) of the day rows of ``days``, summed."""
    return minutes_rows(conn, [(DAY, day) for day in sorted(set(days))])
