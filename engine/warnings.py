"""Yellow and red cards (预警): levels for the case and each open task, and their timers.

Levels: `none`; `yellow` at or past due − warn_before; `red` at or past due.
`refresh` recomputes the levels now and schedules the timers of the next
changes; it runs whenever a deadline may have moved (a task becomes ready,
acceptance, 补正 / 特别程序 stop and resume, extension, the end) and when a
warning timer fires. While the clock is stopped nothing is scheduled and the
levels stay as they were; an extension can lower a level (red -> yellow/none).
Each change is an event (public for the case) and a notification.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

import orjson
from sqlalchemy import select

from . import history, timers
from .access import SYSTEM
from .clock.calendar import Duration, get_calendar
from .deadlines import OPEN_TASK_STATES, clock_running
from .models import Case, Task, User
from .timers import Wanted

LEVELS = ("none", "yellow", "red")
DEFAULT_CASE_WARN = {"workdays": 1}
DEFAULT_TASK_WARN = {"workhours": 4}
KIND = "warning"
ENDED = ("completed", "refused", "withdrawn")
_CASE_TEXT = {"yellow": "办理时限即将到期（黄牌预警）", "red": "已超过承诺办理时限（红牌）",
              "none": "时限已调整，恢复正常"}


def warn_at(cal, due_at: datetime, warn_before) -> datetime:
    """The instant the yellow card is due: `warn_before` before `due_at`, in its kind of time."""
    duration = Duration.parse(warn_before)
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


def level_at(now: datetime, due_at: datetime, yellow_at: datetime) -> str:
    if now >= due_at:
        return "red"
    return "yellow" if now >= yellow_at else "none"


def warn_before(deadline: dict, tasks: dict, task: str | None):
    """How long before its due instant a target's yellow card comes (the matter's
    `deadline` and `tasks` settings; `task` None: the case)."""
    if task is None:
        return deadline.get("warn_before") or DEFAULT_CASE_WARN
    return (tasks.get(task) or {}).get("warn_before") or DEFAULT_TASK_WARN


@lru_cache(maxsize=65536)
def _yellow_at(calendar: str, due_at: datetime, before: bytes) -> datetime:
    return warn_at(get_calendar(calendar), due_at, orjson.loads(before))


def outlook(now: datetime, calendar: str, due_at: datetime, before, prefix: str,
            task_id: int | None) -> tuple[str, dict[str, Wanted]]:
    """A target's card as of now, and the timers that will move it next.

    Cases of one matter share few deadlines (a day's intake), so each yellow
    instant is computed once per process."""
    yellow_at = _yellow_at(calendar, due_at, orjson.dumps(before, option=orjson.OPT_SORT_KEYS))
    level = level_at(now, due_at, yellow_at)
    wanted = {}
    if level == "none":
        wanted[f"{prefix}:yellow"] = Wanted(yellow_at, task_id, {"level": "yellow"})
    if level != "red":
        wanted[f"{prefix}:red"] = Wanted(due_at, task_id, {"level": "red"})
    return level, wanted


def refresh(uow, case: Case, reason: str | None = None) -> None:
    """Levels as of now, and the warning timers that will move them next."""
    if case.status in ENDED:
        timers.cancel_all(uow, case)
        return
    if not clock_running(case) or "stopped_at" in (case.clock or {}):
        timers.sync(uow, case.id, KIND, {})
        return
    definition = case.matter.definition
    calendar = definition.get("calendar", "CN")
    deadline, tasks = definition.get("deadline") or {}, definition.get("tasks") or {}
    now = uow.now()
    wanted: dict[str, Wanted] = {}
    targets = [(None, "case", case.due_at)] + [
        (t, f"task:{t.id}", t.due_at) for t in case.tasks if t.state in OPEN_TASK_STATES]
    for task, prefix, due_at in targets:
        if due_at is None:
            continue
        before = warn_before(deadline, tasks, task.task if task is not None else None)
        level, next_timers = outlook(now, calendar, due_at, before, prefix,
                                     task.id if task is not None else None)
        holder = task if task is not None else case
        if level != holder.warning:
            change(uow, case, task, level, due_at, reason)
        wanted.update(next_timers)
    timers.sync(uow, case.id, KIND, wanted)


def change(uow, case: Case, task: Task | None, level: str, due_at: datetime,
           reason: str | None = None) -> None:
    """One level change: the row, an event, a notification once committed."""
    holder = task if task is not None else case
    old, holder.warning = holder.warning, level
    record = change_record(task.task if task is not None else None, old, level, due_at, reason)
    history.record(uow, case, task=task, **record)
    case_departments = None
    if task is None:
        from .workflow.specs import compiled
        case_departments = {compiled(case.matter).package.lead_department} | \
            {t.department for t in case.tasks if t.state in OPEN_TASK_STATES}
    announce(uow, case.case_no, case.matter.key, task, case_departments, old, level, due_at)


def change_record(task: str | None, old: str, level: str, due_at: datetime,
                  reason: str | None = None) -> dict:
    """The history entry of a level change (public for the case, internal for a task)."""
    new = {"warning": level, "due_at": due_at.isoformat(), "target": "task" if task else "case"}
    if reason:
        new["reason"] = reason
    if task is None:
        return {"kind": "warning", "actor": SYSTEM, "old": {"warning": old}, "new": new,
                "public": True, "text": _CASE_TEXT[level]}
    return {"kind": "task_warning", "actor": SYSTEM, "old": {"warning": old},
            "new": {**new, "task": task}, "public": False, "text": None}


def announce(uow, case_no: str, matter_key: str, task, case_departments: set | None,
             old: str, level: str, due_at: datetime) -> None:
    """Notify a change once it is committed. Who hears of it: the task's department
    (a task object or row); for the case (`task` None), `case_departments`, i.e. the
    lead department and every department with open work. Handlers, and supervisors
    too on red."""
    if task is not None:
        departments = [task.department]
        target = {"id": task.id, "task": task.task, "name": task.name,
                  "department": task.department}
    else:
        departments, target = sorted(case_departments), None
    roles = ["handler", "supervisor"] if level == "red" else ["handler"]
    recipients = sorted(name for name, user_departments, user_roles in _staff(uow)
                        if set(user_departments) & set(departments) and set(user_roles) & set(roles))
    note = {"event": "warning", "level": level, "previous": old,
            "target": "task" if target else "case", "case_no": case_no, "matter": matter_key,
            "task": target, "due_at": due_at.isoformat(), "at": uow.now().isoformat(),
            "departments": departments, "roles": roles, "recipients": recipients}
    notifier = getattr(uow, "notifier", None)
    if notifier is not None:
        uow.after_commit(lambda: notifier.notify(note))


def _staff(uow) -> list[tuple]:
    """Active staff (name, departments, roles), read once per unit of work."""
    staff = getattr(uow, "_onething_staff", None)
    if staff is None:
        staff = [tuple(row) for row in uow.session.execute(
            select(User.username, User.departments, User.roles).where(User.active.is_(True)))]
        uow._onething_staff = staff
    return staff
