"""Deadlines of cases and tasks, and the clock that stops for 补正 and 特别程序.

The calendar does the arithmetic; this module decides which instants a
case and its tasks are due at, and keeps the time left while a clock stands.
A case here is anything with the case's attributes (and its tasks').
"""

from __future__ import annotations

from datetime import datetime

from .clock.calendar import Duration, Remaining, get_calendar
from .matter import MatterSettings
from .statuses import OPEN, Card, has_ended


def _calendar(settings: MatterSettings):
    return get_calendar(settings.calendar)


def start_case_clock(case, settings: MatterSettings, at: datetime) -> None:
    """Acceptance: the case clock starts; promised and statutory limits are set."""
    cal = _calendar(settings)
    case.accepted_at = at
    if settings.promised:
        case.due_at = cal.add(at, Duration.parse(dict(settings.promised)))
    if settings.statutory:
        case.statutory_due_at = cal.add(at, Duration.parse(dict(settings.statutory)))


def task_due_at(settings: MatterSettings, task_id: str, started_at: datetime) -> datetime | None:
    due = settings.task(task_id).due
    if not due:
        return None
    return _calendar(settings).add(started_at, Duration.parse(dict(due)))


def clock_stopped(case) -> bool:
    """补正 or 特别程序 holds the case's clock (the time left is kept on the case)."""
    return "stopped_at" in (case.clock or {})


def stop_clocks(case, settings: MatterSettings, at: datetime) -> None:
    """Keep the working time left on the case and each open task's deadline."""
    cal = _calendar(settings)
    case.clock = {
        "stopped_at": at.isoformat(),
        "due_at": _remaining(cal, at, case.due_at, settings.promised),
        "statutory_due_at": _remaining(cal, at, case.statutory_due_at, settings.statutory),
    }
    for task in _open_tasks(case):
        task.clock = {
            "stopped_at": at.isoformat(),
            "due_at": _remaining(cal, at, task.due_at, settings.task(task.task).due),
        }


def resume_clocks(case, settings: MatterSettings, at: datetime) -> None:
    """Every deadline becomes resume time + the time that was left at the stop."""
    cal = _calendar(settings)
    clock = case.clock or {}
    if "stopped_at" not in clock:
        return
    if case.accepted_at is not None:
        case.due_at = _resumed(cal, at, clock.get("due_at"), case.due_at)
        case.statutory_due_at = _resumed(
            cal, at, clock.get("statutory_due_at"), case.statutory_due_at
        )
    case.clock = {}
    for task in _open_tasks(case):
        task.due_at = _resumed(cal, at, (task.clock or {}).get("due_at"), task.due_at)
        task.clock = {}


def extend_case(case, settings: MatterSettings, workdays: int):
    """A supervisor's extension: working days added to the promised limit (and the
    statutory one), or to the time left while the clock is stopped.
    Returns (the old due instant, the new one)."""
    cal = _calendar(settings)
    duration = Duration.parse({"workdays": workdays})
    old = case.due_at
    if clock_stopped(case):
        clock = dict(case.clock)
        for key in ("due_at", "statutory_due_at"):
            if clock.get(key):
                clock[key] = Remaining.from_json(clock[key]).plus(duration).to_json()
        case.clock = clock
    if case.due_at is not None:
        case.due_at = cal.extend(case.due_at, duration)
    if case.statutory_due_at is not None:
        case.statutory_due_at = cal.extend(case.statutory_due_at, duration)
    return old, case.due_at


def working_seconds(case, settings: MatterSettings) -> float | None:
    """Office time from acceptance to the end, in the matter's calendar (for the metrics)."""
    if case.accepted_at is None or case.completed_at is None:
        return None
    return _calendar(settings).working_seconds_between(case.accepted_at, case.completed_at)


def on_time(case, now: datetime) -> bool:
    """On time unless the promised limit has passed (or was passed at the end)."""
    if case.due_at is None:
        return True
    if has_ended(case.status):
        return case.completed_at <= case.due_at
    if clock_stopped(case):
        return case.warning != Card.RED
    return now < case.due_at  # the red card comes at due_at itself


def _open_tasks(case) -> list:
    return [t for t in case.tasks if t.state in OPEN]


def _remaining(cal, at: datetime, due_at: datetime | None, duration) -> dict | None:
    """Time left; natural-time limits (days, hours, iso) keep natural time."""
    if due_at is None:
        return None
    unit = Duration.parse(dict(duration)).unit if duration else None
    return cal.remaining(at, due_at, unit=unit).to_json()


def _resumed(cal, at: datetime, remaining: dict | None, current: datetime | None):
    if remaining is None:
        return current
    return cal.resume(at, Remaining.from_json(remaining))


def request_milestones(settings: MatterSettings, form: dict, task_id: str, received: datetime):
    """A request's unit task is due first to be signed for (签收), then resolved (办结),
    both counted from when the unit received it, by the request's urgency: (sign due,
    resolve due); None for any other task."""
    request = settings.request
    if request is None or task_id != request.handle:
        return None
    urgency = form.get("urgency") or "normal"
    cal = _calendar(settings)
    return (
        cal.add(received, Duration.parse(dict(request.clock(urgency, "sign")))),
        cal.add(received, Duration.parse(dict(request.clock(urgency, "resolve")))),
    )


def contact_due(settings: MatterSettings, form: dict, received: datetime) -> datetime:
    """When the unit must have contacted the caller (响应), by the request's urgency."""
    urgency = form.get("urgency") or "normal"
    clock = settings.request.clock(urgency, "contact")
    return _calendar(settings).add(received, Duration.parse(dict(clock)))
