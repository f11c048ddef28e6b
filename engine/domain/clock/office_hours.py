"""Office hours: the periods of a working day that `workhours` are counted in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

DEFAULT_OFFICE_HOURS = "09:00-12:00,13:30-17:30"
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class OfficeHours:
    """Ordered, non-overlapping periods of local wall-clock time within one day.

    Periods may not cross midnight: a working day's office time must belong to
    that day, or "end of the N-th working day" would stop meaning one thing.
    """

    periods: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        previous_end = None
        for start, end in periods:
            if not (isinstance(start, time) and isinstance(end, time)):
                raise ValueError(f"office period bounds must be times, got {start!r}-{end!r}")
            if start.tzinfo or end.tzinfo:
                raise ValueError("office hours are local wall-clock times, without tzinfo")
            if start >= end:
                raise ValueError(f"office period {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"office period starting {start:%H:%M} overlaps or is out of order"
                )
            previous_end = end
        object.__setattr__(self, "periods", periods)

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """`"09:00-12:00,13:30-17:30"` -> two periods."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"office hours must look like {DEFAULT_OFFICE_HOURS!r}, got {text!r}")
        return cls(tuple(_parse_period(part) for part in text.split(",")))

    @classmethod
    def default(cls) -> OfficeHours:
        return cls.parse(DEFAULT_OFFICE_HOURS)

    @property
    def day_seconds(self) -> float:
        """Office seconds in one working day (ignoring daylight-saving jumps)."""
        return float(sum(_seconds(end) - _seconds(start) for start, end in self.periods))

    def __str__(self) -> str:
        return ",".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)


def _parse_period(part: str) -> tuple[time, time]:
    match = _PERIOD.match(part)
    if not match:
        raise ValueError(f"bad office-hours period {part.strip()!r}; expected HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"bad office-hours period {part.strip()!r}: not a time of day") from None


def _seconds(t: time) -> float:
    return (datetime.combine(date.min, t) - datetime.min).total_seconds()
