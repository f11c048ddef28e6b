"""Deadlines of cases and tasks, and the clock that stops for 补正 and 特别程序.

The calendar does the arithmetic; this module decides which instants a
case and its tasks are due at, and keeps the time left while a clock stands.
"""
from __future__ import annotations

from datetime import datetime

from .clock.calendar import Duration, Remaining, get_calendar
from .models import Case, Task

OPEN_TASK_STATES = ("ready", "claimed")


def _calendar(case: Case):
    return get_calendar(case.matter.definition.get("calendar", "CN"))


def _deadline_config(case: Case) -> dict:
    return case.matter.definition.get("deadline") or {}


def start_case_clock(case: Case, at: datetime) -> None:
    """Acceptance: the case clock starts; promised and statutory limits are set."""
    cal, config = _calendar(case), _deadline_config(case)
    case.accepted_at = at
    if config.get("promised"):
        case.due_at = cal.add(at, Duration.parse(config["promised"]))
    if config.get("statutory"):
        case.statutory_due_at = cal.add(at, Duration.parse(config["statutory"]))


def task_due_at(case: Case, task_id: str, started_at: datetime) -> datetime | None:
    config = (case.matter.definition.get("tasks") or {}).get(task_id) or {}
    if not config.get("due"):
        return None
    return _calendar(case).add(started_at, Duration.parse(config["due"]))


def clock_running(case: Case) -> bool:
    return case.status in ("submitted", "in_progress")


def stop_clocks(case: Case, at: datetime) -> None:
    """Keep the working time left on the case and each open task's deadline."""
    cal, config = _calendar(case), _deadline_config(case)
    case.clock = {
        "stopped_at": at.isoformat(),
        "due_at": _remaining(cal, at, case.due_at, config.get("promised")),
        "statutory_due_at": _remaining(cal, at, case.statutory_due_at, config.get("statutory")),
    }
    tasks_config = case.matter.definition.get("tasks") or {}
    for task in _open_tasks(case):
        due = (tasks_config.get(task.task) or {}).get("due")
        task.clock = {"stopped_at": at.isoformat(),
                      "due_at": _remaining(cal, at, task.due_at, due)}


def resume_clocks(case: Case, at: datetime) -> None:
    """Every deadline becomes resume time + the time that was left at the stop."""
    cal = _calendar(case)
    clock = case.clock or {}
    if "stopped_at" not in clock:
        return
    if case.accepted_at is not None:
        case.due_at = _resumed(cal, at, clock.get("due_at"), case.due_at)
        case.statutory_due_at = _resumed(cal, at, clock.get("statutory_due_at"),
                                         case.statutory_due_at)
    case.clock = {}
    for task in _open_tasks(case):
        task.due_at = _resumed(cal, at, (task.clock or {}).get("due_at"), task.due_at)
        task.clock = {}


def extend_case(case: Case, workdays: int) -> tuple[datetime | None, datetime | None]:
    """A supervisor's extension: working days added to the promised limit (and the
    statutory one), or to the time left while the clock is stopped."""
    cal = _calendar(case)
    duration = Duration.parse({"workdays": workdays})
    old = case.due_at
    if "stopped_at" in (case.clock or {}):
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


def working_seconds(case: Case) -> float | None:
    """Office time from acceptance to the end, in the matter's calendar (for the metrics)."""
    if case.accepted_at is None or case.completed_at is None:
        return None
    return _calendar(case).working_seconds_between(case.accepted_at, case.completed_at)


def _open_tasks(case: Case) -> list[Task]:
    return [t for t in case.tasks if t.state in OPEN_TASK_STATES]


def _remaining(cal, at: datetime, due_at: datetime | None, duration: dict | None) -> dict | None:
    """Time left; natural-time limits (days, hours, iso) keep natural time."""
    if due_at is None:
        return None
    unit = Duration.parse(duration).unit if duration else None
    return cal.remaining(at, due_at, unit=unit).to_json()


def _resumed(cal, at: datetime, remaining: dict | None, current: datetime | None):
    if remaining is None:
        return current
    return cal.resume(at, Remaining.from_json(remaining))
