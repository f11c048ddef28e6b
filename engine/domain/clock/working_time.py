"""Working-time arithmetic on one calendar: which days are worked, and how
instants move when durations of working or natural time are added.

Everything goes in as timezone-aware instants (any zone) and comes out as
UTC; local dates and office hours only exist inside, in the calendar's zone.
The class holds no global state, so tests build calendars with explicit
holidays, make-up working days, office hours and zone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from .durations import NATURAL_UNITS, UNITS, Duration
from .office_hours import OfficeHours
from .remaining import Remaining

UTC = timezone.utc
ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
TICK = timedelta(microseconds=1)
# A run of this many days without office time means the calendar is broken,
# not that a deadline is far away: fail instead of looping forever.
MAX_IDLE_DAYS = 3660
WEEKEND = (5, 6)  # Saturday, Sunday


class WorkingDaySource(Protocol):
    """What a base calendar (e.g. `holidays.China()`) must offer."""

    def is_working_day(self, day: date) -> bool: ...


class Calendar:
    """A working-day calendar: base rules, operator overrides, office hours, zone.

    `holidays` and `workdays` override the base (and weekends) day by day:
    they are how operators add years the base does not know yet.
    """

    def __init__(
        self,
        name: str = "custom",
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        office_hours: OfficeHours | None = None,
        tz: str | ZoneInfo = "Asia/Shanghai",
        base: WorkingDaySource | None = None,
    ):
        self.name = name
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            raise ValueError(
                f"calendar {name}: dates both holiday and working day: "
                f"{sorted(d.isoformat() for d in both)}"
            )
        self.office_hours = office_hours or OfficeHours.default()
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.base = base
        self._years: dict[int, tuple[bool, ...]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Calendar({self.name!r}, tz={self.tz.key!r}, office_hours='{self.office_hours}')"

    # -- days ---------------------------------------------------------------

    def is_working_day(self, day: date | datetime) -> bool:
        """Whether a local date (or the local date of an aware instant) is worked."""
        if isinstance(day, datetime):
            day = self.local_date(day)
        return self._year_table(day.year)[day.timetuple().tm_yday - 1]

    def _year_table(self, year: int) -> tuple[bool, ...]:
        """One flag per day of a year, computed once: the base library is slow
        per lookup and not safe to expand from several threads at once."""
        table = self._years.get(year)
        if table is None:
            with self._lock:
                table = self._years.get(year)
                if table is None:
                    table = self._years[year] = tuple(self._compute_year(year))
        return table

    def _compute_year(self, year: int) -> Iterator[bool]:
        day = date(year, 1, 1)
        while day.year == year:
            yield self._decide(day)
            day += ONE_DAY

    def _decide(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.base is not None:
            return bool(self.base.is_working_day(day))
        return day.weekday() not in WEEKEND

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (`day` itself never counts); n = 0 is `day`."""
        idle = 0
        while n > 0:
            day += ONE_DAY
            if self.is_working_day(day):
                n, idle = n - 1, 0
            else:
                idle = _guard(idle + 1, self.name)
        return day

    # -- instants -----------------------------------------------------------

    def local_date(self, instant: datetime) -> date:
        return _utc(instant).astimezone(self.tz).date()

    def end_of_day(self, day: date) -> datetime:
        """24:00 local of `day`, i.e. 00:00 of the next day, as UTC."""
        return datetime.combine(day + ONE_DAY, time(0), tzinfo=self.tz).astimezone(UTC)

    def is_day_end(self, instant: datetime) -> bool:
        """True at exactly local midnight, where every `workdays` deadline falls."""
        return _utc(instant).astimezone(self.tz).time() == time(0)

    def office_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office periods of a local date as UTC intervals; none on days off."""
        if not self.is_working_day(day):
            return []
        return [
            (self._at(day, start), self._at(day, end)) for start, end in self.office_hours.periods
        ]

    def _at(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    # -- durations ----------------------------------------------------------

    def add(self, instant: datetime, duration: Duration | dict | str) -> datetime:
        """The instant a duration counted from `instant` runs out (UTC).

        workdays N: 24:00 local of the N-th working day after the local day of
        `instant` (that day never counts, whatever the hour; N = 0 is its own
        end, 即办件).  workhours N: N hours of office time, counted from the
        next office opening when `instant` is outside office hours.  days,
        hours, seconds: elapsed time (a "day" is 24 hours, even across a
        daylight-saving change in zones that have one).
        """
        start, duration = _utc(instant), Duration.parse(duration)
        if duration.unit == "workdays":
            return self.end_of_day(
                self.nth_working_day_after(self.local_date(start), duration.amount)
            )
        if duration.unit == "workhours":
            return self.add_working_time(start, timedelta(hours=duration.amount))
        return start + duration.as_timedelta()

    def extend(self, due_at: datetime, duration: Duration | dict | str) -> datetime:
        """An existing deadline moved by an extension.

        Like `add`, except that a day-end deadline (24:00 of day D, which is
        00:00 of D+1) belongs to day D: extending "end of Monday" by one
        working day gives "end of Tuesday", not the end of Wednesday.
        """
        due_at, duration = _utc(due_at), Duration.parse(duration)
        if duration.unit == "workdays" and self.is_day_end(due_at):
            day = self.local_date(due_at - TICK)
            return self.end_of_day(self.nth_working_day_after(day, duration.amount))
        return self.add(due_at, duration)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Walk forward through office periods until `amount` of office time is used.

        Zero returns `start` unchanged; otherwise the result lies inside an
        office period or at its closing instant (never at the next opening).
        """
        start = _utc(start)
        if amount <= ZERO:
            return start
        for lo, hi in self._periods_from(self.local_date(start), +1):
            if hi <= start:
                continue
            lo = max(lo, start)
            if amount <= hi - lo:
                return lo + amount
            amount -= hi - lo
        raise AssertionError("unreachable: _periods_from never ends")

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """Walk backward through office periods; the mirror of `add_working_time`."""
        end = _utc(end)
        if amount <= ZERO:
            return end
        for lo, hi in self._periods_from(self.local_date(end), -1):
            if lo >= end:
                continue
            hi = min(hi, end)
            if amount <= hi - lo:
                return hi - amount
            amount -= hi - lo
        raise AssertionError("unreachable: _periods_from never ends")

    def _periods_from(self, day: date, step: int) -> Iterator[tuple[datetime, datetime]]:
        """Office periods day by day from `day`, forward (+1) or backward (-1)."""
        idle = 0
        while True:
            periods = self.office_periods(day)
            yield from (periods if step > 0 else reversed(periods))
            idle = 0 if periods else _guard(idle + 1, self.name)
            day += step * ONE_DAY

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Office seconds between two instants; 0 if `end` is not after `start`."""
        return self.working_time_between(start, end).total_seconds()

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """`working_seconds_between` as an exact timedelta."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return ZERO
        total, day, last = ZERO, self.local_date(start), self.local_date(end)
        while day <= last:
            for lo, hi in self.office_periods(day):
                lo, hi = max(lo, start), min(hi, end)
                if hi > lo:
                    total += hi - lo
            day += ONE_DAY
        return total

    # -- stopped clocks -----------------------------------------------------

    def remaining(self, now: datetime, due_at: datetime, unit: str | None = None) -> Remaining:
        """The time a deadline has left at `now`, to be re-added by `resume`.

        Working deadlines keep office seconds from `now` to `due_at`; once
        `due_at` is reached the clock is `overdue` and keeps the office seconds
        from `due_at` to `now` instead.  A deadline at local midnight
        is taken as a `workdays` (day-end) deadline unless `unit` says
        otherwise; pass `unit` ("days", "hours", "seconds") for natural-time
        deadlines, whose time left is plain elapsed time.
        """
        if unit is not None and unit not in UNITS:
            raise ValueError(f"unknown duration unit {unit!r}; expected one of {UNITS}")
        now, due_at = _utc(now), _utc(due_at)
        if unit in NATURAL_UNITS:
            return Remaining("natural", 0.0).with_signed((due_at - now).total_seconds())
        day_end = unit == "workdays" or (unit is None and self.is_day_end(due_at))
        if now < due_at:
            seconds, overdue = self.working_seconds_between(now, due_at), False
        else:
            seconds, overdue = self.working_seconds_between(due_at, now), True
        return Remaining(
            "working",
            seconds,
            overdue=overdue,
            day_end=day_end,
            day_seconds=self.office_hours.day_seconds,
        )

    def resume(self, now: datetime, remaining: Remaining | dict) -> datetime:
        """The new deadline: `now` + the time that was left (UTC).

        Time left is added as office time from `now`; a day-end deadline is
        then moved to 24:00 of the local day the time runs out on (with
        nothing left, that is the end of the resume day).  Overdue time is
        taken back from `now`, without rounding, so an overdue clock stays
        overdue by the same office time.  Natural time is plain arithmetic.
        """
        now = _utc(now)
        if isinstance(remaining, dict):
            remaining = Remaining.from_json(remaining)
        if remaining.basis == "natural":
            return now + timedelta(seconds=remaining.signed_seconds)
        amount = timedelta(seconds=remaining.seconds)
        if remaining.overdue:
            return self.subtract_working_time(now, amount)
        runs_out = self.add_working_time(now, amount)
        return self.end_of_day(self.local_date(runs_out)) if remaining.day_end else runs_out


def _utc(instant: datetime) -> datetime:
    if not isinstance(instant, datetime):
        raise ValueError(f"expected a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant {instant.isoformat()} must be timezone-aware")
    return instant.astimezone(UTC)


def _guard(idle: int, name: str) -> int:
    if idle > MAX_IDLE_DAYS:
        raise ValueError(f"calendar {name}: no working day within {MAX_IDLE_DAYS} days")
    return idle
