"""The one injectable clock: every engine operation asks it for the time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime):
        self.at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(timezone.utc)
