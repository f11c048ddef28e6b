"""Working-day helpers for BPMN timer expressions, in the matter's calendar.

`workdays(3)` and `workhours(4)` give the ISO 8601 duration from now to that
deadline (for `timeDuration`); `workdays_date(3)` / `workhours_date(4)` give
the instant (for `timeDate`). SpiffWorkflow counts timer durations from the
wall clock, so the helpers do too.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from ..domain.clock.calendar import Duration, get_calendar


def _wall_now() -> datetime:
    return datetime.now(timezone.utc)


def _seconds_until(calendar: str, duration: dict) -> str:
    now = _wall_now()
    due = get_calendar(calendar).add(now, Duration.parse(duration))
    return f"PT{max(0.0, (due - now).total_seconds()):.0f}S"


def _instant(calendar: str, duration: dict) -> str:
    return get_calendar(calendar).add(_wall_now(), Duration.parse(duration)).isoformat()


@lru_cache(maxsize=None)
def timer_functions(calendar: str) -> dict:
    """Helpers for timer expressions, counted in `calendar` (e.g. "CN")."""

    def workdays(n):
        return _seconds_until(calendar, {"workdays": n})

    def workhours(n):
        return _seconds_until(calendar, {"workhours": n})

    def workdays_date(n):
        return _instant(calendar, {"workdays": n})

    def workhours_date(n):
        return _instant(calendar, {"workhours": n})

    return {
        "workdays": workdays,
        "workhours": workhours,
        "workdays_date": workdays_date,
        "workhours_date": workhours_date,
    }
