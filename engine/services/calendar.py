"""The calendar arithmetic, exposed (`GET /api/calendar/{calendar}/add`)."""

from __future__ import annotations

from ..domain.clock.calendar import add_from_query
from ..errors import Invalid, NotFound

_PARAMETERS = ("from", "workdays", "workhours", "days", "hours", "iso")


def add(calendar: str, start: str, params: dict) -> dict:
    """`start` + one of workdays / workhours / days / hours / iso -> `{due_at}`."""
    try:
        return {"due_at": add_from_query(calendar, start, params)}
    except KeyError:
        raise NotFound(f"no calendar {calendar!r}") from None
    except ValueError as exc:
        raise Invalid(str(exc), errors={_named(str(exc)): [str(exc)]}) from None


def _named(message: str) -> str:
    for name in _PARAMETERS:
        if name in message:
            return name
    return "query"
