"""What operators configure about calendars: office hours, time zone, and an
override file of extra holidays / working days for years not yet published.

Read from the environment only when a calendar is built, never at import.
The override file may be YAML or JSON:

    CN:
      holidays: ["2027-02-08", "2027-02-09"]
      workdays: ["2027-02-07"]

Overrides win over the holiday package, day by day.  Mistakes (unknown
keys, bad dates, a date in both lists) fail loudly: a silently ignored
override is a wrong deadline on every case.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .office_hours import DEFAULT_OFFICE_HOURS, OfficeHours

ENV_OVERRIDES = "ONETHING_CALENDAR_OVERRIDES"
ENV_OFFICE_HOURS = "ONETHING_OFFICE_HOURS"
ENV_TIMEZONE = "ONETHING_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class CalendarOverrides:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class CalendarSettings:
    office_hours: OfficeHours
    tz: ZoneInfo
    overrides: Mapping[str, CalendarOverrides]

    def overrides_for(self, name: str) -> CalendarOverrides:
        return self.overrides.get(name, CalendarOverrides())


def settings_from_env(env: Mapping[str, str] | None = None) -> CalendarSettings:
    """Calendar settings from `env` (default: `os.environ`)."""
    env = os.environ if env is None else env
    path = env.get(ENV_OVERRIDES) or None
    return CalendarSettings(
        office_hours=OfficeHours.parse(env.get(ENV_OFFICE_HOURS) or DEFAULT_OFFICE_HOURS),
        tz=parse_timezone(env.get(ENV_TIMEZONE) or DEFAULT_TIMEZONE),
        overrides=load_overrides(path) if path else {},
    )


def parse_timezone(name: str) -> ZoneInfo:
    """A zone by IANA name; ValueError (not KeyError) when unknown, since a
    bad setting is not a missing calendar."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{ENV_TIMEZONE}: unknown time zone {name!r}") from None


def load_overrides(path: str | Path) -> dict[str, CalendarOverrides]:
    """Parse an override file into per-calendar extra holidays and working days."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{ENV_OVERRIDES}: cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{ENV_OVERRIDES}: {path} is not valid YAML/JSON: {exc}") from None
    except ValueError as exc:  # YAML's own date parsing, e.g. 2027-13-01
        raise ValueError(f"{ENV_OVERRIDES}: {path}: {exc}; dates are YYYY-MM-DD") from None
    return parse_overrides(data or {}, source=str(path))


def parse_overrides(data: object, source: str = "overrides") -> dict[str, CalendarOverrides]:
    """`{name: {holidays: [...], workdays: [...]}}` -> `{NAME: CalendarOverrides}`."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping of calendar name to overrides")
    return {
        str(name).strip().upper(): _calendar_overrides(entry, f"{source}: {name}")
        for name, entry in data.items()
    }


def _calendar_overrides(entry: object, where: str) -> CalendarOverrides:
    if entry is None:
        return CalendarOverrides()
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected {{holidays: [...], workdays: [...]}}")
    unknown = set(entry) - {"holidays", "workdays"}
    if unknown:
        raise ValueError(
            f"{where}: unknown keys {sorted(map(str, unknown))}; expected holidays, workdays"
        )
    holidays = _dates(entry.get("holidays"), f"{where}.holidays")
    workdays = _dates(entry.get("workdays"), f"{where}.workdays")
    both = holidays & workdays
    if both:
        raise ValueError(
            f"{where}: dates listed as both holiday and working day: "
            f"{sorted(d.isoformat() for d in both)}"
        )
    return CalendarOverrides(holidays, workdays)


def _dates(values: object, where: str) -> frozenset[date]:
    if values is None:
        return frozenset()
    if not isinstance(values, list):
        raise ValueError(f"{where}: expected a list of dates")
    return frozenset(_date(value, where) for value in values)


def _date(value: object, where: str) -> date:
    # YAML turns unquoted 2027-02-08 into a date already; JSON gives a string.
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
