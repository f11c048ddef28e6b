"""Dispatch (派单), return (退单), dispute (争议) and summon (吹哨报到) of tasks (SPEC §7).

Runs inside the caller's unit of work. A lane dispatched at run time has its
tasks sent to the unit an expression or a routing table names; what cannot be
dispatched goes to the lane's dispatcher with a `dispatch_failed` event. The
unit may send a task back within its return window; the dispatcher sends it
on; a task returned twice is a dispute its dispatcher's supervisors decide.
The holder of a task may summon other units, each getting an assist task with
its own clock; the summoning task cannot be completed while one is open.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from ..domain.access import SYSTEM, Actor
from ..domain.clock.calendar import Duration, get_calendar
from ..domain.deadlines import request_milestones, task_due_at
from ..domain.matter import DepartmentSettings, MatterSettings
from ..domain.organisation import most_specific
from ..domain.statuses import OPEN, TaskKind, TaskState
from ..errors import Conflict, Forbidden, Invalid, NotFound, WrongState
from ..sandbox import evaluate
from ..store import history, organisation, rows
from ..store.db import next_ids
from ..store.models import Case, Task
from . import cards
from .specs import compiled

MAX_SUMMONED = 20
# what a unit called in by a summon (协办) answers
ASSIST_FORM = {
    "type": "object",
    "required": ["opinion"],
    "additionalProperties": False,
    "properties": {
        "opinion": {"type": "string", "title": "协办意见", "minLength": 1, "maxLength": 2000}
    },
}


# -- where a new task goes --------------------------------------------------------


def unit_for(uow, case: Case, lane: DepartmentSettings, variables: dict) -> tuple[str, str | None]:
    """(the unit a new task of `lane` goes to, why it could not be dispatched or None)."""
    if not lane.dispatched:
        return lane.key, None
    try:
        if isinstance(lane.dispatch, str):
            key = evaluate(lane.dispatch, variables)
        else:
            key = _by_table(uow, lane.dispatch, variables)
    except Exception as exc:  # noqa: BLE001 - any failure: the dispatcher takes it
        return lane.dispatcher, f"the dispatch could not be worked out: {exc}"
    if not isinstance(key, str) or not key:
        return lane.dispatcher, f"the dispatch gave no unit ({key!r})"
    if not organisation.is_active(uow.session, key):
        return lane.dispatcher, f"no active unit {key!r}"
    return key, None


def _by_table(uow, dispatch, variables: dict) -> str | None:
    category = evaluate(dispatch.get("category") or "category", variables)
    region = evaluate(dispatch.get("region") or "location['region']", variables)
    row = resolve(uow, dispatch["table"], str(category), str(region))
    return row.department if row else None


def resolve(uow, table: str, category: str, region: str):
    """The most specific row of a routing table for `category` in `region` (or None)."""
    return most_specific(
        organisation.candidates(uow.session, table, category, region), category, region
    )


def opened(uow, case: Case, task: Task, settings: MatterSettings, variables: dict) -> dict | None:
    """A new task of a dispatched lane sent to its unit (set on the task before it is
    written); the history entry of the dispatch, to record after the task's own."""
    lane = settings.departments.get(task.lane)
    if lane is None or not lane.dispatched:
        return None
    department, failure = unit_for(uow, case, lane, variables)
    task.department = department
    task.dispatch = {
        "dispatcher": lane.dispatcher,
        "dispatched_at": task.started_at.isoformat(),
        "returns": 0,
        "disputed": False,
    }
    if failure is not None:
        task.dispatch["failed"] = failure
        return {
            "kind": "dispatch_failed",
            "actor": SYSTEM,
            "task": task,
            "new": {"lane": lane.key, "department": department, "reason": failure},
        }
    return {
        "kind": "task_dispatched",
        "actor": SYSTEM,
        "task": task,
        "new": {"lane": lane.key, "department": department},
    }


# -- return, re-dispatch, dispute ---------------------------------------------------


def _lane(case: Case, task: Task) -> DepartmentSettings:
    lane = compiled(case.matter).settings.departments.get(task.lane or task.department)
    if lane is None or not lane.dispatched or task.kind != TaskKind.PROCESS:
        raise Conflict(f"task {task.id} was not dispatched: it is its lane's own work")
    return lane


def return_task(uow, actor: Actor, task: Task, reason: str) -> Task:
    """退单: the unit sends a dispatched task back to the dispatcher, within its window."""
    case = task.case
    lane = _lane(case, task)
    if not (reason or "").strip():
        raise Invalid("a reason is required", errors={"reason": ["is required"]})
    if task.department == lane.dispatcher:
        raise WrongState("the task", f"with its dispatcher {lane.dispatcher}", "return")
    now = uow.now()
    settings = compiled(case.matter).settings
    since = datetime.fromisoformat(
        task.dispatch.get("dispatched_at") or task.started_at.isoformat()
    )
    closes = get_calendar(settings.calendar).add(since, Duration.parse(dict(lane.return_within)))
    if now > closes:
        raise Conflict(
            f"the return window closed at {closes.isoformat()} "
            f"({Duration.parse(dict(lane.return_within))} after the dispatch)",
            errors={"return_within": [f"closed at {closes.isoformat()}"]},
        )
    returns = int(task.dispatch.get("returns") or 0) + 1
    disputed = returns >= 2
    old = task.department
    _move(
        task,
        lane.dispatcher,
        {
            **task.dispatch,
            "returns": returns,
            "disputed": disputed,
            "returned_from": [*task.dispatch.get("returned_from", []), old],
        },
        now,
    )
    history.record(
        uow,
        case,
        "task_returned",
        actor.label,
        task=task,
        old={"department": old},
        new={"department": lane.dispatcher, "reason": reason, "returns": returns},
        text=None,
    )
    if disputed:
        history.record(
            uow,
            case,
            "dispute_opened",
            SYSTEM,
            task=task,
            new={"department": lane.dispatcher, "returns": returns},
        )
    cards.refresh(uow, case)
    return task


def dispatch_task(
    uow, actor: Actor, task: Task, department: str, reason: str, restart_clock: bool = False
) -> Task:
    """The dispatcher sends a task (returned, or that could not be dispatched) to a unit;
    a dispute is decided the same way, by the dispatcher's supervisors."""
    case = task.case
    lane = _lane(case, task)
    if task.department != lane.dispatcher or not actor.in_department(lane.dispatcher):
        raise NotFound(f"no task {task.id} to dispatch")
    if task.dispatch.get("disputed") and not (actor.is_admin or "supervisor" in actor.roles):
        raise Forbidden("the task is disputed: its dispatcher's supervisors decide")
    errors = {}
    if not isinstance(department, str) or not organisation.is_active(uow.session, department):
        errors["department"] = [f"no active unit {department!r}"]
    elif department == lane.dispatcher:
        errors["department"] = ["the task is with the dispatcher already"]
    if not (reason or "").strip():
        errors["reason"] = ["is required"]
    if errors:
        raise Invalid("the dispatch is not valid", errors=errors)
    now = uow.now()
    decided = bool(task.dispatch.get("disputed"))
    _move(
        task,
        department,
        {**task.dispatch, "dispatched_at": now.isoformat(), "disputed": False},
        now,
    )
    if restart_clock:
        task.due_at = task_due_at(compiled(case.matter).settings, task.task, now)
    history.record(
        uow,
        case,
        "dispute_decided" if decided else "task_dispatched",
        actor.label,
        task=task,
        old={"department": lane.dispatcher},
        new={"department": department, "reason": reason, "restart_clock": restart_clock},
    )
    cards.refresh(uow, case)
    return task


def _move(task: Task, department: str, dispatch: dict, now: datetime | None = None) -> None:
    """The task to another unit, ready; a request's unit task is to be signed for anew
    (its resolve deadline runs on from the first receipt)."""
    task.department, task.state, task.assignee = department, TaskState.READY, None
    if "resolve_due_at" in dispatch and now is not None:
        case = task.case
        sign_due, _ = request_milestones(compiled(case.matter).settings, case.form, task.task, now)
        dispatch = {k: v for k, v in dispatch.items() if k != "signed_at"}
        task.due_at = sign_due
    task.dispatch = dispatch
    flag_modified(task, "dispatch")


def redirect(uow, case: Case, task: Task, department: str, why: str) -> None:
    """A task the process just opened goes to `department` (a request reopened to the
    unit the visit named)."""
    old = task.department
    _move(
        task,
        department,
        {**(task.dispatch or {}), "dispatched_at": uow.now().isoformat()},
        uow.now(),
    )
    history.record(
        uow,
        case,
        "task_dispatched",
        SYSTEM,
        task=task,
        old={"department": old},
        new={"department": department, "reason": why},
    )


def signed(uow, case: Case, task: Task) -> None:
    """A request's unit task claimed: signed for (签收); from now its card follows the
    resolve deadline."""
    data = task.dispatch or {}
    if "resolve_due_at" not in data or data.get("signed_at"):
        return
    now = uow.now()
    task.due_at = datetime.fromisoformat(data["resolve_due_at"])
    task.dispatch = {**data, "signed_at": now.isoformat()}
    flag_modified(task, "dispatch")
    history.record(
        uow,
        case,
        "signed",
        SYSTEM,
        task=task,
        new={"department": task.department, "due_at": task.due_at.isoformat()},
    )
    cards.refresh(uow, case)


def returned_away(task: Task, actor: Actor) -> bool:
    """The actor's unit had the task until it was returned (a 409, not a 404)."""
    return any(actor.in_department(d) for d in task.dispatch.get("returned_from", ()))


# -- summon (吹哨报到) ---------------------------------------------------------------


def summon(uow, actor: Actor, task: Task, departments, reason: str, due) -> list[Task]:
    """The holder of a task calls other units in: an assist task (协办) in each, due
    `due` (a duration) from now."""
    case = task.case
    errors: dict[str, list[str]] = {}
    if not isinstance(departments, list) or not departments or len(departments) > MAX_SUMMONED:
        errors["departments"] = [f"one to {MAX_SUMMONED} units"]
        departments = []
    for i, key in enumerate(departments):
        if key == task.department:
            errors[f"departments/{i}"] = ["the task's own unit cannot be summoned"]
        elif departments.index(key) != i:
            errors[f"departments/{i}"] = ["summoned twice"]
        elif not isinstance(key, str) or not organisation.is_active(uow.session, key):
            errors[f"departments/{i}"] = [f"no active unit {key!r}"]
    if not (reason or "").strip():
        errors["reason"] = ["is required"]
    try:
        duration = Duration.parse(due)
    except (TypeError, ValueError) as exc:
        errors["due"] = [f"a duration like {{workdays: 2}}: {exc}"]
    if errors:
        raise Invalid("the summon is not valid", errors=errors)
    now = uow.now()
    due_at = get_calendar(compiled(case.matter).settings.calendar).add(now, duration)
    ids = next_ids(uow.session, Task.__table__, len(departments))
    made = []
    for task_id, key in zip(ids, departments):
        assist = Task(
            id=task_id,
            case_id=case.id,
            spiff_id=str(uuid.uuid4()),
            task=task.task,
            name=f"协办：{task.name}",
            department=key,
            lane=task.lane,
            kind=TaskKind.ASSIST,
            parent_id=task.id,
            state=TaskState.READY,
            started_at=now,
            due_at=due_at,
            warning="none",
            clock={},
            dispatch={"summoned_by": task.department, "reason": reason},
        )
        rows.add_new(uow.session, assist)
        set_committed_value(assist, "case", case)
        made.append(assist)
    set_committed_value(case, "tasks", [*case.tasks, *made])
    history.record(
        uow,
        case,
        "summoned",
        actor.label,
        task=task,
        new={
            "departments": departments,
            "reason": reason,
            "due": due,
            "assists": [t.id for t in made],
        },
    )
    cards.refresh(uow, case)
    return made


def open_assists(case: Case, task: Task) -> list[Task]:
    return [
        t
        for t in case.tasks
        if t.kind == TaskKind.ASSIST and t.parent_id == task.id and t.state in OPEN
    ]


def require_no_open_assists(case: Case, task: Task) -> None:
    """The summoning task waits for every unit it called in."""
    waiting = open_assists(case, task)
    if waiting:
        listed = ", ".join(f"{t.id} ({t.department})" for t in waiting)
        raise Conflict(
            f"open assist tasks: {listed}",
            errors={"assists": [f"task {t.id} in {t.department} is open" for t in waiting]},
        )
