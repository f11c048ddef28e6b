"""Durations as matters write them: `{"workdays": 5}`, `{"workhours": 4}`,
`{"days": 2}`, `{"hours": 3}` or an ISO 8601 duration (`{"iso": "PT30S"}`).

A `Duration` only says how much of which kind of time; the calendar decides
what working time means.  Parsing is strict because a deadline typo in a
matter definition should fail when the definition is loaded, not silently give
a wrong due date.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

WORKING_UNITS = ("workdays", "workhours")
NATURAL_UNITS = ("days", "hours", "seconds")
UNITS = WORKING_UNITS + NATURAL_UNITS
KEYS = UNITS + ("iso",)

_SECONDS_PER = {"days": 86400, "hours": 3600, "seconds": 1, "workhours": 3600}

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ISO = re.compile(
    rf"^P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    """An amount of one kind of time.

    `workdays` and `workhours` are counted in a calendar's working time;
    `days`, `hours` and `seconds` are natural (elapsed) time.
    """

    unit: str
    amount: float | int

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown duration unit {self.unit!r}; expected one of {UNITS}")
        object.__setattr__(self, "amount", _check_amount(self.unit, self.amount))

    @classmethod
    def parse(cls, value: Any) -> Duration:
        """A `Duration` from a one-key dict, an ISO 8601 string or a `Duration`."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            return cls.from_iso(value)
        if not isinstance(value, dict):
            raise ValueError(
                f"a duration must be a one-key object like "
                f"{{'workdays': 5}}, not {type(value).__name__}"
            )
        if len(value) != 1:
            raise ValueError(f"a duration needs exactly one of {KEYS}, got {sorted(value)!r}")
        ((key, amount),) = value.items()
        if key == "iso":
            if not isinstance(amount, str):
                raise ValueError("iso must be an ISO 8601 duration string such as 'PT4H'")
            return cls.from_iso(amount)
        if key not in UNITS:
            raise ValueError(f"unknown duration key {key!r}; expected one of {KEYS}")
        return cls(key, amount)

    @classmethod
    def from_iso(cls, text: str) -> Duration:
        """`P1D` -> 1 day, `PT4H` -> 4 hours, `P2W` -> 14 days, anything
        mixed (`PT1M30S`, `P1DT2H`) -> seconds.  Years and months are refused:
        their length depends on the date, which a duration does not know."""
        match = _ISO.match(text.strip().upper()) if isinstance(text, str) else None
        if not match:
            raise ValueError(
                f"bad ISO 8601 duration {text!r}; expected e.g. 'P1D', 'PT4H', 'PT1M30S'"
            )
        years, months, weeks, days, hours, minutes, seconds = (
            float(g.replace(",", ".")) if g is not None else None for g in match.groups()
        )
        if years is not None or months is not None:
            raise ValueError(f"ISO duration {text!r}: years and months are not supported")
        parts = {
            "weeks": weeks,
            "days": days,
            "hours": hours,
            "minutes": minutes,
            "seconds": seconds,
        }
        present = {k for k, v in parts.items() if v is not None}
        if present <= {"weeks", "days"}:
            return cls("days", _whole(7 * (weeks or 0) + (days or 0)))
        if present == {"hours"}:
            return cls("hours", _whole(hours))
        total = timedelta(**{k: v for k, v in parts.items() if v is not None})
        return cls("seconds", _whole(total.total_seconds()))

    @property
    def natural(self) -> bool:
        """True for elapsed time, False for calendar working time."""
        return self.unit in NATURAL_UNITS

    def as_timedelta(self) -> timedelta:
        """Natural durations as elapsed time; working units have no fixed length."""
        if not self.natural:
            raise ValueError(f"{self.unit} have no fixed length; ask a calendar")
        return timedelta(seconds=self.amount * _SECONDS_PER[self.unit])

    def to_json(self) -> dict:
        return {self.unit: self.amount}


def _check_amount(unit: str, amount: Any) -> float | int:
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise ValueError(f"{unit} must be a number, got {amount!r}")
    if not math.isfinite(amount):
        raise ValueError(f"{unit} must be finite, got {amount!r}")
    if amount < 0:
        raise ValueError(f"{unit} must not be negative, got {amount!r}")
    if unit == "workdays":
        if amount != int(amount):
            raise ValueError(f"workdays must be a whole number, got {amount!r}")
        return int(amount)
    return _whole(amount)


def _whole(amount: float | int) -> float | int:
    """Keep `2.0` as `2` so that durations print and compare the way they were written."""
    return int(amount) if float(amount).is_integer() else amount


def seconds_of(duration: Duration) -> float:
    """Length in seconds of a natural duration or of `workhours`."""
    if duration.unit == "workdays":
        raise ValueError("workdays have no fixed length in seconds")
    return duration.amount * _SECONDS_PER[duration.unit]
