"""Periods of rankings, hot spots and reports: a month `2026-11`, an ISO week `2026-W47`,
a quarter `2026-Q4` (and a day `2026-11-23`), as half-open local intervals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    key: str  # as written: 2026-11, 2026-W47, 2026-Q4, 2026-11-23
    kind: str  # month, week, quarter, day
    first: date  # the first day
    end: date  # the day after the last

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware instants in `tz`."""
        return (datetime.combine(self.first, time(0), tz), datetime.combine(self.end, time(0), tz))

    def previous(self) -> "Period":
        """The period just before (环比)."""
        return _of(self.kind, self.first - timedelta(days=1))

    def a_year_before(self) -> "Period":
        """The same period a year earlier (同比)."""
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return parse(f"{year - 1}-W{min(week, _weeks(year - 1)):02d}")
        return _of(self.kind, self.first.replace(year=self.first.year - 1))


def parse(key: str) -> Period:
    """A period from its key; ValueError naming what is wrong."""
    if not isinstance(key, str):
        raise ValueError("a period: 2026-11 (month), 2026-W47 (ISO week), 2026-Q4 (quarter)")
    if m := _MONTH.match(key):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"no month {month}")
        first = date(year, month, 1)
        return Period(key, "month", first, (first + timedelta(days=31)).replace(day=1))
    if m := _WEEK.match(key):
        year, week = int(m[1]), int(m[2])
        if not 1 <= week <= _weeks(year):
            raise ValueError(f"{year} has no ISO week {week}")
        first = date.fromisocalendar(year, week, 1)
        return Period(key, "week", first, first + timedelta(days=7))
    if m := _QUARTER.match(key):
        year, quarter = int(m[1]), int(m[2])
        first = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(key, "quarter", first, end)
    if m := _DAY.match(key):
        first = date(int(m[1]), int(m[2]), int(m[3]))
        return Period(key, "day", first, first + timedelta(days=1))
    raise ValueError(
        "a period: 2026-11 (month), 2026-W47 (ISO week), 2026-Q4 (quarter), 2026-11-23 (day)"
    )


def _of(kind: str, day: date) -> Period:
    if kind == "month":
        return parse(f"{day.year}-{day.month:02d}")
    if kind == "week":
        year, week, _ = day.isocalendar()
        return parse(f"{year}-W{week:02d}")
    if kind == "quarter":
        return parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse(day.isoformat())


def _weeks(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


def current(kind: str, today: date) -> Period:
    return _of(kind, today)


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"
