"""The calendar module the rest of onething imports.

    from engine.domain.clock.calendar import Calendar, Duration, get_calendar, OfficeHours

`get_calendar(name)` gives the configured calendar (cached per name);
`Calendar(...)` builds one explicitly, which is what tests should do.
`add_from_query` is the arithmetic behind
`GET /api/calendar/{calendar}/add?from=ISO&workdays=N`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache

from .durations import KEYS, Duration
from .office_hours import OfficeHours
from .remaining import Remaining
from .settings import CalendarSettings, settings_from_env
from .working_time import Calendar, WorkingDaySource

__all__ = [
    "Calendar",
    "Duration",
    "OfficeHours",
    "Remaining",
    "get_calendar",
    "build_calendar",
    "clear_calendar_cache",
    "calendar_names",
    "add_from_query",
]


def _china() -> WorkingDaySource:
    """Mainland China: statutory holidays and make-up working days (调休).

    `holidays.China` lists the days off (including the weekdays given off in
    exchange) and keeps the make-up Saturdays/Sundays in `weekend_workdays`,
    which its `is_working_day` honours.  Years the State Council has not
    published yet are estimated by the package, without make-up days: the
    override file corrects them.
    """
    import holidays  # imported here: only the configured calendars need it

    return holidays.China()


BASES: dict[str, Callable[[], WorkingDaySource]] = {"CN": _china}


def calendar_names() -> list[str]:
    return sorted(BASES)


def build_calendar(name: str, settings: CalendarSettings | None = None) -> Calendar:
    """A fresh calendar from settings (default: the environment); KeyError if unknown."""
    key = _key(name)
    settings = settings or settings_from_env()
    unknown = set(settings.overrides) - set(BASES)
    if unknown:
        raise ValueError(
            f"calendar overrides name unknown calendars {sorted(unknown)}; "
            f"known: {calendar_names()}"
        )
    overrides = settings.overrides_for(key)
    return Calendar(
        key,
        holidays=overrides.holidays,
        workdays=overrides.workdays,
        office_hours=settings.office_hours,
        tz=settings.tz,
        base=BASES[key](),
    )


def get_calendar(name: str) -> Calendar:
    """The configured calendar `name`, built once per process (KeyError if unknown).

    Configuration (override file, office hours, zone) is read on first use;
    call `clear_calendar_cache()` after changing it.
    """
    return _configured(_key(name))


@lru_cache(maxsize=None)
def _configured(key: str) -> Calendar:
    return build_calendar(key)


def clear_calendar_cache() -> None:
    _configured.cache_clear()


def _key(name: str) -> str:
    key = name.strip().upper() if isinstance(name, str) else name
    if key not in BASES:
        raise KeyError(f"unknown calendar {name!r}; known: {calendar_names()}")
    return key


# -- HTTP query arithmetic ----------------------------------------------------

IGNORED_QUERY_KEYS = {"from", "calendar"}


def add_from_query(
    calendar_name: str, from_iso: str | None, params: Mapping[str, object]
) -> datetime:
    """`from` + one duration parameter in calendar `calendar_name`, as UTC.

    `params` are the query parameters as strings (lists of one string are
    accepted too); exactly one of workdays, workhours, days, hours, seconds,
    iso.  ValueError names the bad parameter; KeyError means no such calendar.
    A `from` without an offset is read as local time of the calendar.
    """
    calendar = get_calendar(calendar_name)
    start = parse_instant(from_iso, calendar)
    return calendar.add(start, duration_from_params(params))


def parse_instant(text: str | None, calendar: Calendar) -> datetime:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("from: an ISO 8601 date-time is required")
    value = text.strip()
    # An unencoded '+' in a query string arrives as a space: "10:00:00 08:00".
    value = re.sub(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s(\d{2}:?\d{2})$", r"\1+\2", value)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"from: {text!r} is not an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=calendar.tz)
    return instant


def duration_from_params(params: Mapping[str, object]) -> Duration:
    given = {k: v for k, v in params.items() if k not in IGNORED_QUERY_KEYS}
    unknown = sorted(k for k in given if k not in KEYS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown parameter; expected one of {', '.join(KEYS)}")
    if len(given) != 1:
        raise ValueError(
            f"{'/'.join(sorted(given)) or 'duration'}: give exactly one of {', '.join(KEYS)}"
        )
    ((key, raw),) = given.items()
    value = _single(key, raw)
    if key == "iso":
        try:
            return Duration.parse({"iso": value})
        except ValueError as exc:
            raise ValueError(f"iso: {exc}") from None
    return Duration.parse({key: _number(key, value)})


def _single(key: str, raw: object) -> object:
    if isinstance(raw, (list, tuple)):
        if len(raw) != 1:
            raise ValueError(f"{key}: give it once")
        raw = raw[0]
    return raw.strip() if isinstance(raw, str) else raw


def _number(key: str, value: object) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return int(value) if re.fullmatch(r"[+-]?\d+", str(value)) else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key}: {value!r} is not a number") from None
