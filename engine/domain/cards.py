"""Yellow and red cards (预警): the one rule for a deadline's warning level.

A target (a case, or an open task) with a due instant is `red` at or past
it, `yellow` at or past `due − warn_before` (in the kind of time
`warn_before` is counted in), `none` before. `outlook` also says when the
level will next change, so that timers can be set for those instants.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Mapping, NamedTuple

from .clock.calendar import Duration, get_calendar
from .statuses import Card


def warn_at(cal, due_at: datetime, warn_before) -> datetime:
    """The instant the yellow card is due: `warn_before` before `due_at`, in its kind of time."""
    duration = Duration.parse(dict(warn_before))
    if duration.natural:
        return due_at - duration.as_timedelta()
    if duration.unit == "workhours":
        return cal.subtract_working_time(due_at, timedelta(hours=duration.amount))
    if cal.is_day_end(due_at):
        day = cal.local_date(due_at - timedelta(microseconds=1))
        for _ in range(duration.amount):
            day -= timedelta(days=1)
            while not cal.is_working_day(day):
                day -= timedelta(days=1)
        return cal.end_of_day(day)
    day_seconds = cal.office_hours.day_seconds
    return cal.subtract_working_time(due_at, timedelta(seconds=duration.amount * day_seconds))


def level_at(now: datetime, due_at: datetime, yellow_at: datetime) -> Card:
    if now >= due_at:
        return Card.RED
    return Card.YELLOW if now >= yellow_at else Card.NONE


class Outlook(NamedTuple):
    level: Card  # the card as of now
    changes: tuple[tuple[Card, datetime], ...]  # the later levels and when they come


@lru_cache(maxsize=65536)
def _yellow_at(calendar: str, due_at: datetime, before: tuple) -> datetime:
    return warn_at(get_calendar(calendar), due_at, dict(before))


def outlook(now: datetime, calendar: str, due_at: datetime, warn_before: Mapping) -> Outlook:
    """A target's card as of now, and its next changes.

    Cases of one matter share few deadlines (a day's intake), so each yellow
    instant is computed once per process."""
    yellow_at = _yellow_at(calendar, due_at, tuple(sorted(warn_before.items())))
    level = level_at(now, due_at, yellow_at)
    if level == Card.NONE:
        return Outlook(level, ((Card.YELLOW, yellow_at), (Card.RED, due_at)))
    if level == Card.YELLOW:
        return Outlook(level, ((Card.RED, due_at),))
    return Outlook(level, ())
