"""What department staff do to their tasks: claim, complete, 补正, refuse, 特别程序."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..domain import deadlines
from ..domain.access import Actor
from ..domain.forms import form_errors
from ..domain.statuses import CLOCK_RUNNING, OPEN, CaseStatus, TaskKind, TaskState, has_ended
from ..errors import Invalid, NotFound, WrongState
from ..store import history
from ..store.models import Case, Department, Task
from . import cards, dispatch, request_facts
from .flow import (
    accept_if_acceptance,
    advance,
    end_case,
    find_case,
    load_flow,
    lock_case_of_task,
    variables_of,
)
from .specs import compiled


def _task_for(uow, actor: Actor, task_id: int, action: str = "act on") -> tuple[Task, Case]:
    """The task, its case locked; staff of other departments are told it does not exist
    (unless their unit had it until it was returned: that is a conflict of state)."""
    task = lock_case_of_task(uow, task_id)  # the case's tasks are read after the lock
    if task is None or not actor.in_department(task.department):
        if task is not None and dispatch.returned_away(task, actor):
            raise WrongState("the task", f"returned to {task.department}", action)
        raise NotFound(f"no task {task_id}")
    return task, task.case


def _require_open(task: Task, case: Case, action: str, *, case_states=CLOCK_RUNNING):
    if case.status not in case_states:
        raise WrongState("the case", case.status, action)
    if task.state not in OPEN:
        raise WrongState("the task", task.state, action)


def _require_holder(task: Task, actor: Actor, action: str) -> None:
    """A claimed task is worked by its assignee (or a supervisor / admin)."""
    if (
        task.state == TaskState.CLAIMED
        and task.assignee != actor.username
        and not (actor.is_admin or "supervisor" in actor.roles)
    ):
        raise WrongState("the task", f"claimed by {task.assignee}", action)


def claim(uow, actor: Actor, task_id: int) -> Task:
    task, case = _task_for(uow, actor, task_id)
    _require_open(task, case, "claim")
    if task.state != TaskState.READY:
        raise WrongState("the task", task.state, "claim")
    task.state, task.assignee = TaskState.CLAIMED, actor.username
    history.record(
        uow,
        case,
        "task_claimed",
        actor.label,
        task=task,
        old={"state": TaskState.READY},
        new={"state": TaskState.CLAIMED, "assignee": actor.username},
    )
    dispatch.signed(uow, case, task)
    return task


def unclaim(uow, actor: Actor, task_id: int) -> Task:
    task, case = _task_for(uow, actor, task_id)
    if task.state != TaskState.CLAIMED:
        raise WrongState("the task", task.state, "unclaim")
    _require_holder(task, actor, "unclaim")
    old = task.assignee
    task.state, task.assignee = TaskState.READY, None
    history.record(
        uow,
        case,
        "task_unclaimed",
        actor.label,
        task=task,
        old={"state": TaskState.CLAIMED, "assignee": old},
        new={"state": TaskState.READY},
    )
    return task


def complete(uow, actor: Actor, task_id: int, data) -> Task:
    """The department's output; BPMN conditions after the task see it by the task id."""
    task, case = _task_for(uow, actor, task_id, "complete")
    _require_open(task, case, "complete")
    _require_holder(task, actor, "complete")
    if not isinstance(data, dict):
        raise Invalid("data must be an object", errors={"data": ["must be an object"]})
    if task.kind == TaskKind.ASSIST:
        return _complete_assist(uow, actor, case, task, data)
    dispatch.require_no_open_assists(case, task)
    settings = compiled(case.matter).settings
    _check_output(settings.task(task.task).form, data)
    request_facts.check_output(uow, case, task, data)
    flow = load_flow(case)
    old_state = task.state
    task.state, task.data = TaskState.COMPLETED, data
    task.completed_at, task.completed_by = uow.now(), actor.username
    task.assignee = task.assignee or actor.username
    flow.complete(task.spiff_id, variables_of(case))
    history.record(
        uow,
        case,
        "task_completed",
        actor.label,
        task=task,
        old={"state": old_state},
        new={"state": TaskState.COMPLETED, "data": data},
        public=True,
        text=f"{unit_name(uow, settings, task.department)}已办理：{task.name}",
    )
    accept_if_acceptance(uow, case, task, actor.label)
    opened = advance(uow, case, flow)
    request_facts.on_completed(uow, case, task, opened)
    return task


def _check_output(schema, data: dict) -> None:
    """A task's output against its form (none: anything goes); every problem named."""
    errors = form_errors(schema, data) if schema else {}
    if errors:
        raise Invalid(
            f"{len(errors)} field(s) failed validation",
            errors={f"data/{p}" if p else "data": m for p, m in errors.items()},
        )


def _complete_assist(uow, actor: Actor, case: Case, task: Task, data: dict) -> Task:
    """协办 done: the unit's answer to the summon; the process does not move."""
    _check_output(dispatch.ASSIST_FORM, data)
    old_state = task.state
    task.state, task.data = TaskState.COMPLETED, data
    task.completed_at, task.completed_by = uow.now(), actor.username
    task.assignee = task.assignee or actor.username
    history.record(
        uow,
        case,
        "assist_completed",
        actor.label,
        task=task,
        old={"state": old_state},
        new={"state": TaskState.COMPLETED, "data": data},
    )
    cards.refresh(uow, case)
    return task


def unit_name(uow, settings, key: str) -> str:
    """A unit's Chinese name: the matter's for its lanes, the organisation's for a unit
    a task was dispatched to."""
    if key in settings.departments:
        return settings.department_name(key)
    row = uow.session.get(Department, key)
    return (row.name or {}).get("zh", key) if row is not None else key


def return_task(uow, actor: Actor, task_id: int, reason: str) -> Task:
    """退单 (SPEC §7): the unit sends a dispatched task back to its dispatcher."""
    task, case = _task_for(uow, actor, task_id, "return")
    _require_open(task, case, "return")
    _require_holder(task, actor, "return")
    return dispatch.return_task(uow, actor, task, reason)


def dispatch_task(
    uow, actor: Actor, task_id: int, department: str, reason: str, restart_clock: bool = False
) -> Task:
    """派单: the dispatcher sends a task on (a dispute: its supervisors)."""
    task = lock_case_of_task(uow, task_id)
    if task is None:
        raise NotFound(f"no task {task_id} to dispatch")
    _require_open(task, task.case, "dispatch")
    return dispatch.dispatch_task(uow, actor, task, department, reason, restart_clock)


def summon(uow, actor: Actor, task_id: int, departments, reason: str, due) -> list[Task]:
    """吹哨报到: the holder of a task calls other units in, each with an assist task."""
    task, case = _task_for(uow, actor, task_id, "summon")
    _require_open(task, case, "summon")
    _require_holder(task, actor, "summon")
    if task.kind != TaskKind.PROCESS:
        raise WrongState("the task", "an assist task", "summon")
    return dispatch.summon(uow, actor, task, departments, reason, due)


def request_supplement(uow, actor: Actor, task_id: int, reason: str, missing: list) -> Case:
    """补正: tell the applicant everything missing at once; the clock stops."""
    task, case = _task_for(uow, actor, task_id)
    _require_open(task, case, "request a supplement")
    _require_holder(task, actor, "request a supplement")
    items = _missing_items(case, missing)
    old = case.status
    deadlines.stop_clocks(case, compiled(case.matter).settings, uow.now())
    case.clock = {**case.clock, "resume_status": old}
    case.status, case.missing_materials = CaseStatus.AWAITING_SUPPLEMENT, items
    cards.refresh(uow, case)
    history.record(
        uow,
        case,
        "supplement_requested",
        actor.label,
        task=task,
        old={"status": old},
        new={"status": case.status, "missing": items, "reason": reason},
        public=True,
        text=f"需要补正：{reason}",
    )
    return case


def _missing_items(case: Case, missing: list) -> list[dict]:
    """Material ids become their titles; free text stays as written."""
    materials = {m["id"]: m for m in compiled(case.matter).settings.materials}
    items = []
    for entry in missing:
        if entry in materials:
            items.append({"id": entry, "title": materials[entry]["title"]})
        else:
            items.append({"id": None, "title": {"zh": entry}})
    return items


def refuse(uow, actor: Actor, task_id: int, reason: str) -> Case:
    task, case = _task_for(uow, actor, task_id)
    _require_open(
        task, case, "refuse", case_states=(*CLOCK_RUNNING, CaseStatus.AWAITING_SUPPLEMENT)
    )
    _require_holder(task, actor, "refuse")
    end_case(uow, case, CaseStatus.REFUSED, actor.label, reason, "不予受理/不予许可")
    return case


def suspend(uow, actor: Actor, task_id: int, kind: str, reason: str) -> Case:
    """特别程序 (hearing, inspection, expert review): its time does not count."""
    task, case = _task_for(uow, actor, task_id)
    _require_open(task, case, "suspend", case_states=(CaseStatus.IN_PROGRESS,))
    old = case.status
    deadlines.stop_clocks(case, compiled(case.matter).settings, uow.now())
    case.clock = {**case.clock, "resume_status": old, "suspended_by_task": task.id}
    case.status = CaseStatus.SUSPENDED
    cards.refresh(uow, case)
    history.record(
        uow,
        case,
        "suspended",
        actor.label,
        task=task,
        old={"status": old},
        new={"status": CaseStatus.SUSPENDED, "kind": kind, "reason": reason},
        public=True,
        text=f"进入特别程序（{kind}）：{reason}",
    )
    return case


def resume(uow, actor: Actor, task_id: int) -> Case:
    task, case = _task_for(uow, actor, task_id)
    if case.status != CaseStatus.SUSPENDED:
        raise WrongState("the case", case.status, "resume")
    resume_case(uow, case, actor.label, "resumed", "特别程序结束，恢复办理")
    return case


def resume_case(uow, case: Case, actor_label: str, kind: str, text: str) -> None:
    old = case.status
    status = (case.clock or {}).get("resume_status", CaseStatus.IN_PROGRESS)
    deadlines.resume_clocks(case, compiled(case.matter).settings, uow.now())
    case.status = status
    cards.refresh(uow, case, reason=kind)
    history.record(
        uow,
        case,
        kind,
        actor_label,
        old={"status": old},
        new={"status": status, "due_at": case.due_at.isoformat() if case.due_at else None},
        public=True,
        text=text,
    )


def extend(uow, actor: Actor, case_no: str, workdays: int, reason: str) -> Case:
    """延期 by a supervisor of a department with a task in the case, with a reason."""
    actor.require_role("supervisor")
    case = find_case(uow, case_no, lock=True)
    if not actor.is_admin and not any(actor.in_department(t.department) for t in case.tasks):
        raise NotFound(f"no case {case_no}")
    errors = {}
    if not isinstance(workdays, int) or isinstance(workdays, bool) or not 1 <= workdays <= 60:
        errors["workdays"] = ["must be a whole number of working days from 1 to 60"]
    if not (reason or "").strip():
        errors["reason"] = ["a reason is required; the applicant sees it"]
    if errors:
        raise Invalid("the extension is not valid", errors=errors)
    if has_ended(case.status) or case.accepted_at is None:
        raise WrongState("the case", case.status, "extend")
    old, new = deadlines.extend_case(case, compiled(case.matter).settings, workdays)
    cards.refresh(uow, case, reason="extended")
    history.record(
        uow,
        case,
        "extended",
        actor.label,
        old={"due_at": old.isoformat() if old else None},
        new={"due_at": new.isoformat() if new else None, "workdays": workdays, "reason": reason},
        public=True,
        text=f"延期{workdays}个工作日：{reason}",
    )
    return case


def worklist(
    uow,
    actor: Actor,
    department: str | None = None,
    state: str | None = None,
    warning: str | None = None,
    kind: str | None = None,
    disputed: bool | None = None,
    returned: bool | None = None,
) -> list[Task]:
    """The tasks of the actor's units (a supervisor's: and every unit below his), open
    ones unless `state` says; `kind=assist` is a unit's assist tasks, `disputed=true` the
    dispute queue, `returned=true` the dispatcher's queue of returned tasks."""
    query = select(Task).join(Case).options(contains_eager(Task.case))  # no read per case
    if not actor.is_admin:
        query = query.where(Task.department.in_(sorted(actor.scope)))
    if department:
        query = query.where(Task.department == department)
    query = query.where(Task.state == state) if state else query.where(Task.state.in_(OPEN))
    if warning:
        query = query.where(Task.warning == warning)
    if kind:
        query = query.where(Task.kind == kind)
    if disputed is not None:
        flag = Task.dispatch["disputed"].as_boolean()
        query = query.where(flag.is_(True) if disputed else flag.is_not(True))
    if returned is not None:
        returns = Task.dispatch["returns"].as_integer()
        query = query.where(returns > 0 if returned else func.coalesce(returns, 0) == 0)
    return list(uow.session.scalars(query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)))
