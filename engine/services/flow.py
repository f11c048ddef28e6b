"""A case's process moved forward: its instance loaded, steps run, tasks opened, the end.

Runs inside the caller's unit of work (never commits). Every operation that
changes a case first locks it (`lock_case`, `lock_case_of_task`).
"""

from __future__ import annotations

from sqlalchemy.orm.attributes import set_committed_value

from ..domain import deadlines
from ..domain.access import SYSTEM
from ..domain.statuses import OPEN, Card, CaseStatus, TaskKind, TaskState
from ..process import kept
from ..process.runner import CaseWorkflow
from ..store import cases as stored
from ..store import history, rows
from ..store.db import next_ids
from ..store.models import Case, Task
from ..timers.schedule import book
from . import cards, dispatch, process_timers, request_facts
from .specs import compiled

# -- reading cases -----------------------------------------------------------


def lock_case(uow, case_id: int) -> Case:
    case, pending = stored.lock_case(uow.session, case_id)
    if pending is not None:
        book(uow).take_json(case.id, pending)
    return case


def lock_case_of_task(uow, task_id: int) -> Task | None:
    """The task, its case locked and read with its tasks (`task.case`)."""
    task, pending = stored.lock_case_of_task(uow.session, task_id)
    if task is not None and pending is not None:
        book(uow).take_json(task.case_id, pending)
    return task


def find_case(uow, case_no: str, lock: bool = False) -> Case:
    case_id = stored.case_id_of(uow.session, case_no)
    return lock_case(uow, case_id) if lock else uow.session.get(Case, case_id)


def variables_of(case: Case) -> dict:
    """What BPMN expressions see: the form's fields, then each finished task's output."""
    variables = dict(case.form)
    for task in case.tasks:
        if (
            task.state == TaskState.COMPLETED
            and task.data is not None
            and task.kind == TaskKind.PROCESS
        ):
            variables[task.task] = task.data
    return variables


# -- the process instance ----------------------------------------------------


def load_flow(case: Case) -> CaseWorkflow:
    """The case's process instance: the one kept in memory if it is still current."""
    process = compiled(case.matter).process
    workflow = kept.take(case.id, _stamp(case))
    if workflow is not None:
        return CaseWorkflow.resume(process, workflow, variables_of(case))
    return CaseWorkflow.load(process, case.workflow_state, variables_of(case))


def _stamp(case: Case) -> tuple:
    return (case.code_salt, case.lock_version)


def _keep_after_commit(uow, case: Case, flow: CaseWorkflow) -> None:
    """Once stored, the instance can serve the case's next operation (see `kept`)."""
    uow.after_commit(lambda: kept.keep(case.id, _stamp(case), flow.workflow))


# -- acceptance, steps, the end ----------------------------------------------


def accept(uow, case: Case, actor: str) -> None:
    """受理: the case clock starts."""
    deadlines.start_case_clock(case, compiled(case.matter).settings, uow.now())
    old = case.status
    case.status = CaseStatus.IN_PROGRESS
    history.record(
        uow,
        case,
        "accepted",
        actor,
        old={"status": old},
        new={
            "status": CaseStatus.IN_PROGRESS,
            "due_at": case.due_at.isoformat() if case.due_at else None,
        },
        public=True,
        text="已受理",
    )


def accept_if_acceptance(uow, case: Case, task: Task, actor: str) -> None:
    if task.task == compiled(case.matter).settings.acceptance and case.accepted_at is None:
        accept(uow, case, actor)


def advance(uow, case: Case, flow: CaseWorkflow) -> list[Task]:
    """Open worklist items for newly ready user tasks; complete the case at the end.

    Work the process took away (an interrupting boundary timer) is cancelled;
    timers and warning levels follow the new state."""
    now = uow.now()
    settings = compiled(case.matter).settings
    known = {t.spiff_id for t in case.tasks}
    for task in case.tasks:
        if (
            task.kind == TaskKind.PROCESS
            and task.state in OPEN
            and not flow.is_ready(task.spiff_id)
        ):
            old, task.state = task.state, TaskState.CANCELLED
            history.record(
                uow,
                case,
                "task_cancelled",
                SYSTEM,
                task=task,
                old={"state": old},
                new={"state": TaskState.CANCELLED, "reason": "withdrawn by the process"},
            )
    ready = [r for r in flow.ready_user_tasks() if r.spiff_id not in known]
    # ids first: their events and timers name them, and the rows go with the commit
    ids = next_ids(uow.session, Task.__table__, len(ready)) if ready else []
    opened, dispatched = [], []
    variables = None
    for task_id, item in zip(ids, ready):
        task = Task(
            id=task_id,
            case_id=case.id,
            spiff_id=item.spiff_id,
            task=item.task,
            name=item.name,
            department=item.department,
            lane=item.department,
            kind=TaskKind.PROCESS,
            state=TaskState.READY,
            started_at=now,
            warning=Card.NONE,
            clock={},
            dispatch={},
            due_at=deadlines.task_due_at(settings, item.task, now),
        )
        lane = settings.departments.get(item.department)
        if lane is not None and lane.dispatched:  # its unit is worked out now (SPEC §7)
            variables = variables if variables is not None else variables_of(case)
            dispatched.append(dispatch.opened(uow, case, task, settings, variables))
        milestones = deadlines.request_milestones(settings, case.form, item.task, now)
        if milestones is not None:  # a request's unit task: to be signed for first
            task.due_at = milestones[0]
            task.dispatch = {
                **task.dispatch,
                "received_at": now.isoformat(),
                "resolve_due_at": milestones[1].isoformat(),
            }
        rows.add_new(uow.session, task)
        set_committed_value(task, "case", case)
        opened.append(task)
    if opened:
        set_committed_value(case, "tasks", [*case.tasks, *opened])
    if flow.completed:
        _complete(uow, case)
    case.workflow_state = flow.dump()
    _keep_after_commit(uow, case, flow)
    for task in opened:
        history.record(
            uow,
            case,
            "task_ready",
            SYSTEM,
            task=task,
            new={"task": task.task, "department": task.department, "state": TaskState.READY},
        )
    for entry in dispatched:
        history.record(uow, case, entry.pop("kind"), entry.pop("actor"), **entry)
    process_timers.sync(uow, case, flow)
    cards.refresh(uow, case)
    return opened


def _complete(uow, case: Case) -> None:
    """One completion: every department's results combined on the case."""
    results: dict[str, dict] = {}
    for task in case.tasks:
        if task.state == TaskState.COMPLETED and task.data and task.kind == TaskKind.PROCESS:
            results.setdefault(task.department, {})[task.task] = task.data
    old = case.status
    case.status, case.completed_at, case.results = CaseStatus.COMPLETED, uow.now(), results
    case.working_seconds = deadlines.working_seconds(case, compiled(case.matter).settings)
    history.record(
        uow,
        case,
        "completed",
        SYSTEM,
        old={"status": old},
        new={"status": CaseStatus.COMPLETED},
        public=True,
        text="已办结",
    )
    request_facts.close_linked(uow, case)


def end_case(
    uow, case: Case, status: CaseStatus, actor: str, reason: str | None, text: str
) -> None:
    """Refusal or withdrawal: open tasks are cancelled and the process stops."""
    old = case.status
    for task in case.tasks:
        if task.state in OPEN:
            task.state = TaskState.CANCELLED
    flow = load_flow(case)
    flow.cancel()
    case.workflow_state = flow.dump()
    case.status, case.completed_at, case.clock = status, uow.now(), {}
    cards.refresh(uow, case)
    history.record(
        uow,
        case,
        status,
        actor,
        old={"status": old},
        new={"status": status, "reason": reason},
        public=True,
        text=f"{text}：{reason}" if reason else text,
    )
