"""Yellow and red cards (预警) kept on cases and tasks, with their timers and notices.

The rule is engine.domain.cards; here it is applied. `refresh` recomputes the
levels now and schedules the timers of the next changes; it runs whenever a
deadline may have moved (a task becomes ready, acceptance, 补正 / 特别程序
stop and resume, extension, the end) and when a warning timer fires. While
the clock is stopped nothing is scheduled and the levels stay as they were;
an extension can lower a level (red -> yellow/none). Each change is an event
(public for the case) and a notification.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..domain.access import SYSTEM
from ..domain.cards import outlook
from ..domain.deadlines import clock_stopped
from ..domain.matter import MatterSettings
from ..domain.statuses import OPEN, Card, clock_running, has_ended
from ..store import history
from ..store.models import Case, Task, User
from ..timers.schedule import Wanted, cancel_all, sync
from .specs import compiled

KIND = "warning"  # the kind of the timers that move cards
_CASE_TEXT = {
    Card.YELLOW: "办理时限即将到期（黄牌预警）",
    Card.RED: "已超过承诺办理时限（红牌）",
    Card.NONE: "时限已调整，恢复正常",
}


def target_outlook(
    now: datetime,
    settings: MatterSettings,
    prefix: str,
    due_at: datetime,
    task: str | None,
    task_id: int | None,
) -> tuple[Card, dict[str, Wanted]]:
    """A target's card as of now (`task` None: the case), and the timers of its next
    changes, keyed `<prefix>:<level>`."""
    before = settings.warn_before if task is None else settings.task(task).warn_before
    level, changes = outlook(now, settings.calendar, due_at, before)
    return level, {f"{prefix}:{card}": Wanted(at, task_id, {"level": card}) for card, at in changes}


def refresh(uow, case: Case, reason: str | None = None) -> None:
    """Levels as of now, and the warning timers that will move them next."""
    if has_ended(case.status):
        cancel_all(uow, case.id)
        return
    if not clock_running(case.status) or clock_stopped(case):
        sync(uow, case.id, KIND, {})
        return
    settings = compiled(case.matter).settings
    now = uow.now()
    wanted: dict[str, Wanted] = {}
    targets = [(None, "case", case.due_at)] + [
        (t, f"task:{t.id}", t.due_at) for t in case.tasks if t.state in OPEN
    ]
    for task, prefix, due_at in targets:
        if due_at is None:
            continue
        level, next_timers = target_outlook(
            now,
            settings,
            prefix,
            due_at,
            task.task if task is not None else None,
            task.id if task is not None else None,
        )
        holder = task if task is not None else case
        if level != holder.warning:
            change(uow, case, task, level, due_at, reason)
        wanted.update(next_timers)
    sync(uow, case.id, KIND, wanted)


def change(
    uow, case: Case, task: Task | None, level: Card, due_at: datetime, reason: str | None = None
) -> None:
    """One level change: the row, an event, a notification once committed."""
    holder = task if task is not None else case
    old, holder.warning = holder.warning, level
    record = change_record(task.task if task is not None else None, old, level, due_at, reason)
    history.record(uow, case, task=task, **record)
    case_departments = None
    if task is None:
        case_departments = {compiled(case.matter).settings.lead_department} | {
            t.department for t in case.tasks if t.state in OPEN
        }
    announce(uow, case.case_no, case.matter.key, task, case_departments, old, level, due_at)


def change_record(
    task: str | None, old: str, level: Card, due_at: datetime, reason: str | None = None
) -> dict:
    """The history entry of a level change (public for the case, internal for a task)."""
    new = {"warning": level, "due_at": due_at.isoformat(), "target": "task" if task else "case"}
    if reason:
        new["reason"] = reason
    if task is None:
        return {
            "kind": "warning",
            "actor": SYSTEM,
            "old": {"warning": old},
            "new": new,
            "public": True,
            "text": _CASE_TEXT[level],
        }
    return {
        "kind": "task_warning",
        "actor": SYSTEM,
        "old": {"warning": old},
        "new": {**new, "task": task},
        "public": False,
        "text": None,
    }


def announce(
    uow,
    case_no: str,
    matter_key: str,
    task,
    case_departments: set | None,
    old: str,
    level: Card,
    due_at: datetime,
) -> None:
    """Notify a change once it is committed. Who hears of it: the task's department
    (a task object or row); for the case (`task` None), `case_departments`, i.e. the
    lead department and every department with open work. Handlers, and supervisors
    too on red."""
    if task is not None:
        departments = [task.department]
        target = {
            "id": task.id,
            "task": task.task,
            "name": task.name,
            "department": task.department,
        }
    else:
        departments, target = sorted(case_departments), None
    roles = ["handler", "supervisor"] if level == Card.RED else ["handler"]
    recipients = sorted(
        name
        for name, user_departments, user_roles in _staff(uow)
        if set(user_departments) & set(departments) and set(user_roles) & set(roles)
    )
    note = {
        "event": "warning",
        "level": level,
        "previous": old,
        "target": "task" if target else "case",
        "case_no": case_no,
        "matter": matter_key,
        "task": target,
        "due_at": due_at.isoformat(),
        "at": uow.now().isoformat(),
        "departments": departments,
        "roles": roles,
        "recipients": recipients,
    }
    notifier = uow.notifier
    if notifier is not None:
        uow.after_commit(lambda: notifier.notify(note))


def _staff(uow) -> list[tuple]:
    """Active staff (name, departments, roles), read once per unit of work."""
    staff = uow.cache.get("active staff")
    if staff is None:
        staff = uow.cache["active staff"] = [
            tuple(row)
            for row in uow.session.execute(
                select(User.username, User.departments, User.roles).where(User.active.is_(True))
            )
        ]
    return staff
