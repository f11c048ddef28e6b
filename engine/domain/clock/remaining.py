"""The time left on a stopped clock (补正, 特别程序), in a form a JSON column can hold.

Why working seconds and not "working days left": a stop can fall in the
middle of a working day, before a holiday, or after office hours.  Office
seconds measure exactly what the officials had left, whatever the instant;
re-adding them from the resume instant and then rounding up to the end of
that day (for deadlines that were due at a day end) gives the same due date
back when the pause is zero, and a fair one after any pause.  See
`Calendar.remaining` / `Calendar.resume` for the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .durations import Duration, seconds_of

BASES = ("working", "natural")


@dataclass(frozen=True)
class Remaining:
    """How much time a stopped deadline had left.

    basis:       "working" (office seconds of the calendar) or "natural" (elapsed).
    seconds:     the amount, never negative; time left, or time overdue if `overdue`.
    overdue:     the deadline had been reached when the clock stopped.  Kept
                 apart from `seconds` so that "0 left" and "0 over" (past due
                 only outside office hours) stay different things.
    day_end:     the deadline fell at a day end (a `workdays` deadline): on
                 resume, the instant the time runs out is rounded up to 24:00.
    day_seconds: office seconds in one working day, so that working days can
                 be added (extension) without the calendar at hand.
    """

    basis: str
    seconds: float
    overdue: bool = False
    day_end: bool = False
    day_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValueError(f"remaining basis must be one of {BASES}, got {self.basis!r}")
        for name in ("seconds", "day_seconds"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(f"remaining {name} must be a non-negative number, got {value!r}")

    @property
    def signed_seconds(self) -> float:
        """Time left as one number: negative when overdue."""
        return -self.seconds if self.overdue else self.seconds

    def plus(self, duration: Duration) -> Remaining:
        """An extension: more time left (an overdue clock may become a running one).

        Working time is added to working time and natural to natural; mixing
        them has no meaning without a date, so it is refused.
        """
        duration = Duration.parse(duration)
        if duration.natural != (self.basis == "natural"):
            raise ValueError(f"cannot add {duration.unit} to {self.basis} time left")
        if duration.unit == "workdays":
            extra = duration.amount * self.day_seconds
        else:
            extra = seconds_of(duration)
        return self.with_signed(self.signed_seconds + extra) if extra else self

    def with_signed(self, signed: float) -> Remaining:
        """The same kind of time left, with a new signed amount."""
        return replace(self, seconds=abs(signed), overdue=signed < 0)

    def to_json(self) -> dict:
        return {
            "basis": self.basis,
            "seconds": self.seconds,
            "overdue": self.overdue,
            "day_end": self.day_end,
            "day_seconds": self.day_seconds,
        }

    @classmethod
    def from_json(cls, data: dict) -> Remaining:
        """Inverse of `to_json`; raises ValueError for anything else."""
        if not isinstance(data, dict) or "basis" not in data or "seconds" not in data:
            raise ValueError(f"not a stored time-left value: {data!r}")
        unknown = set(data) - {"basis", "seconds", "overdue", "day_end", "day_seconds"}
        if unknown:
            raise ValueError(f"unknown time-left fields {sorted(unknown)}")
        return cls(
            basis=data["basis"],
            seconds=data["seconds"],
            overdue=bool(data.get("overdue", False)),
            day_end=bool(data.get("day_end", False)),
            day_seconds=data.get("day_seconds", 0.0),
        )
