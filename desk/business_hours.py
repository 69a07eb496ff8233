"""Business-hours arithmetic for SLA measures: how many desk hours lie between two instants.

The desk is open in fixed local windows (default 9:00–12:00 and 13:00–17:00) on bank business days
(weekdays that are not national holidays or Dec 31 – Jan 3, :mod:`desk.rules.calendar`). A customer who
writes on Friday evening and is answered on Monday at 10:00 waited one business hour, not 62 hours.

Durations are computed as the difference of two cumulative "open seconds since Jan 1" values; the per-day
totals of a year are computed once and cached, so a report over a million rows costs a few microseconds a row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, pairwise
from zoneinfo import ZoneInfo

from desk.rules.calendar import is_business_day

__all__ = [
    "BusinessClock",
    "DeskHours",
    "business_hours_between",
    "business_seconds_between",
    "clock_for",
    "open_seconds_before",
]

Window = tuple[dt.time, dt.time]


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class DeskHours:
    """Opening windows (local wall-clock, non-overlapping) in a time zone; ``open_day`` decides which
    dates the desk works."""

    windows: tuple[Window, ...] = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17)))
    timezone: str = "Asia/Tokyo"
    open_day: Callable[[dt.date], bool] = field(default=is_business_day)

    def __post_init__(self) -> None:
        spans = sorted((_seconds(a), _seconds(b)) for a, b in self.windows)
        for start, end in spans:
            if end <= start:
                raise ValueError(f"opening window ends before it starts: {start}–{end}")
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise ValueError("opening windows overlap")
        object.__setattr__(self, "windows", tuple(sorted(self.windows)))

    @classmethod
    def from_pairs(cls, pairs: Sequence[Sequence[dt.time]], timezone: str = "Asia/Tokyo") -> DeskHours:
        return cls(windows=tuple((p[0], p[1]) for p in pairs), timezone=timezone)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def window_seconds(self) -> tuple[tuple[int, int], ...]:
        """The opening windows as (start, end) seconds after local midnight, in order."""
        return tuple((_seconds(a), _seconds(b)) for a, b in self.windows)

    def fingerprint(self) -> str:
        """A short key that changes whenever a stored duration computed under these hours could change:
        the windows, the zone, and which days of 2000–2049 are open (so a new holiday counts too)."""
        return _fingerprint(self)

    @property
    def seconds_per_day(self) -> int:
        """Open seconds of one business day (7 h = 25,200 s with the default windows)."""
        return sum(_seconds(b) - _seconds(a) for a, b in self.windows)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8)
def _fingerprint(hours: DeskHours) -> str:
    digest = hashlib.sha256(repr((hours.window_seconds(), hours.timezone)).encode())
    for year in range(2000, 2050):
        prefix = _year_prefix(hours, year)
        digest.update(bytes(after > before for before, after in pairwise(prefix)))
    return digest.hexdigest()[:32]


@lru_cache(maxsize=64)
def _year_prefix(hours: DeskHours, year: int) -> tuple[int, ...]:
    """Open seconds before each day of ``year`` (index = day of year - 1), plus the year's total last."""
    first = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - first).days
    per_day = hours.seconds_per_day
    opens = [per_day if hours.open_day(first + dt.timedelta(days=i)) else 0 for i in range(days)]
    return (0, *accumulate(opens))


def open_seconds_before(hours: DeskHours, first: dt.date, last: dt.date) -> list[int]:
    """Open seconds from local midnight of ``first`` to local midnight of each day ``first``…``last + 1``
    (``last - first + 2`` values, the first one 0). A day is open when its value is below the next one.

    The same per-year totals as :class:`BusinessClock`, so a database can compute durations (a partial day
    from the opening windows plus this table) that agree with the Python ones and the holiday calendar."""
    if last < first:
        raise ValueError("last is before first")
    out = [0]
    day = first
    while day <= last:
        prefix = _year_prefix(hours, day.year)
        doy = day.timetuple().tm_yday - 1
        # Whole rest of the year (or up to ``last``) in one slice of the cached prefix sums.
        stop = min(len(prefix) - 1, doy + (last - day).days + 1)
        base = out[-1] - prefix[doy]
        out.extend(base + prefix[i + 1] for i in range(doy, stop))
        day += dt.timedelta(days=stop - doy)
    return out


@lru_cache(maxsize=8)
def _window_bounds(hours: DeskHours) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    starts = tuple(_seconds(a) for a, _ in hours.windows)
    ends = tuple(_seconds(b) for _, b in hours.windows)
    before = (0, *accumulate(e - s for s, e in zip(starts, ends, strict=True)))
    return starts, ends, before


class BusinessClock:
    """Cumulative open seconds for instants, with per-hour UTC offsets and per-day totals memoised, so a
    duration costs two dictionary look-ups (a report computes hundreds of thousands of them)."""

    def __init__(self, hours: DeskHours) -> None:
        self.hours = hours
        self._zone = ZoneInfo(hours.timezone)
        self._starts, self._ends, self._before = _window_bounds(hours)
        self._offsets: dict[int, float] = {}
        self._days: dict[int, tuple[float, bool]] = {}

    def _year_base(self, year: int) -> float:
        # Open seconds from 2000-01-01 to Jan 1 of ``year`` (negative before 2000).
        if year >= 2000:
            return float(sum(_year_prefix(self.hours, y)[-1] for y in range(2000, year)))
        return -float(sum(_year_prefix(self.hours, y)[-1] for y in range(year, 2000)))

    def _day(self, index: int) -> tuple[float, bool]:
        day = _EPOCH + dt.timedelta(days=index)
        info = (
            self._year_base(day.year) + _year_prefix(self.hours, day.year)[day.timetuple().tm_yday - 1],
            self.hours.open_day(day),
        )
        self._days[index] = info
        return info

    def cumulative(self, timestamp: float) -> float:
        """Open seconds from 2000-01-01 (desk time) up to the POSIX ``timestamp``."""
        hour = int(timestamp // 3600)
        offset = self._offsets.get(hour)
        if offset is None:
            utc_offset = dt.datetime.fromtimestamp(hour * 3600, self._zone).utcoffset()
            offset = self._offsets[hour] = utc_offset.total_seconds() if utc_offset else 0.0
        local = timestamp + offset
        index = int(local // 86400)
        midnight, is_open = self._days.get(index) or self._day(index)
        if not is_open:
            return midnight
        sec = local - index * 86400
        i = bisect_right(self._starts, sec) - 1
        if i < 0:
            return midnight
        return midnight + self._before[i] + min(sec, self._ends[i]) - self._starts[i]

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("business-hours arithmetic needs timezone-aware datetimes")
        if end <= start:
            return 0.0
        return self.cumulative(end.timestamp()) - self.cumulative(start.timestamp())

    def hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.seconds_between(start, end) / 3600.0


_EPOCH = dt.date(1970, 1, 1)


@lru_cache(maxsize=8)
def clock_for(hours: DeskHours) -> BusinessClock:
    return BusinessClock(hours)


def business_seconds_between(start: dt.datetime, end: dt.datetime, hours: DeskHours) -> float:
    """Open desk seconds in ``[start, end)``; both must be timezone-aware. Negative spans count as 0."""
    return clock_for(hours).seconds_between(start, end)


def business_hours_between(start: dt.datetime, end: dt.datetime, hours: DeskHours) -> float:
    """Like :func:`business_seconds_between`, in hours."""
    return business_seconds_between(start, end, hours) / 3600.0
