"""Intake (one form, one window) and moving a case's process forward.

Every operation that changes a case first locks its row (`SELECT ... FOR
UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises writers), and
the row's version column catches anything that slips past.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from . import deadlines, history, matters, process_timers, rows, timers, warnings
from .access import APPLICANT, SYSTEM
from .db import next_id, next_ids, reserve_ids, select_rows
from .errors import Conflict, Invalid, NotFound
from .forms import form_errors
from .models import Case, Task
from .workflow import kept
from .workflow.runner import CaseWorkflow
from .workflow.specs import compiled

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ENDED = ("completed", "refused", "withdrawn")
ID_TYPES = ("id_card", "passport", "hk_macao_permit", "taiwan_permit", "uscc", "other")
_PHONE = re.compile(r"^\+?[0-9 -]{6,20}$")


def query_code(secret_key: str, case: Case) -> str:
    """The applicant's secret, derived from a per-case salt: never stored, never logged."""
    digest = hmac.new(secret_key.encode(), f"{case.case_no}:{case.code_salt}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:10]


def check_query_code(secret_key: str, case: Case | None, code: str | None) -> bool:
    return case is not None and hmac.compare_digest(query_code(secret_key, case), code or "")


def applicant_errors(applicant) -> dict[str, list[str]]:
    if not isinstance(applicant, dict):
        return {"applicant": ["must be an object with name, id_type, id_number, phone"]}
    errors: dict[str, list[str]] = {}
    for key in ("name", "id_type", "id_number", "phone"):
        value = applicant.get(key)
        if not isinstance(value, str) or not value.strip():
            errors[f"applicant/{key}"] = ["is required"]
    if applicant.get("id_type") and applicant.get("id_type") not in ID_TYPES:
        errors["applicant/id_type"] = [f"must be one of {', '.join(ID_TYPES)}"]
    if isinstance(applicant.get("phone"), str) and applicant["phone"] and \
            not _PHONE.match(applicant["phone"]):
        errors["applicant/phone"] = ["is not a phone number"]
    for key in applicant:
        if key not in ("name", "id_type", "id_number", "phone", "email", "address"):
            errors[f"applicant/{key}"] = ["unknown field"]
    return errors


def submit_case(uow, matter_key: str, applicant, form,
                idempotency_key: str | None = None) -> tuple[Case, bool]:
    """One form, one intake. Returns (case, created); a repeated key gives the same case."""
    fingerprint = hashlib.sha256(orjson.dumps([matter_key, applicant, form],
                                              option=orjson.OPT_SORT_KEYS)).hexdigest()
    if idempotency_key:
        existing = _by_idempotency_key(uow, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    matter = matters.latest(uow, matter_key)
    errors = applicant_errors(applicant)
    if not isinstance(form, dict):
        errors["form"] = ["must be an object"]
    else:
        errors.update({f"form/{p}" if p else "form": m
                       for p, m in form_errors(matter.form_schema, form).items()})
    if errors:
        raise Invalid(f"{len(errors)} field(s) failed validation", errors=errors)

    try:
        case = _create(uow, matter, applicant, form, idempotency_key, fingerprint)
    except IntegrityError:
        if not idempotency_key:
            raise
        uow.rollback()  # the same key won a race in another request
        existing = _by_idempotency_key(uow, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return case, True


def _create(uow, matter, applicant, form, idempotency_key, fingerprint) -> Case:
    now = uow.now()
    # the process first (a new case's variables are its form), to know how many tasks
    # it opens; then the ids of the case and of those tasks in one go, so that the case
    # number is known and the row written once, whole
    flow = CaseWorkflow.start(compiled(matter), dict(form))
    reserve_ids(uow.session, {Case.__table__: 1, Task.__table__: len(flow.ready_user_tasks())})
    case_id = next_id(uow.session, Case.__table__)
    case = Case(id=case_id, case_no=f"{now.astimezone(LOCAL_TZ):%Y%m%d}{case_id:08d}",
                code_salt=secrets.token_hex(8), matter_id=matter.id,
                status="submitted", applicant=applicant, form=form, results={},
                missing_materials=[], submitted_at=now, warning="none", clock={},
                idempotency_key=idempotency_key, request_fingerprint=fingerprint,
                tasks=[])  # a new case: no need to read its tasks or timers back
    rows.add_new(uow.session, case)  # written at commit, with its tasks, in one INSERT each
    set_committed_value(case, "matter", matter)  # shared and read-only: not added
    timers.none_pending(uow, case.id)
    history.record(uow, case, "submitted", APPLICANT, new={"status": "submitted"}, public=True,
                   text="已提交申请")
    if compiled(matter).package.acceptance is None:
        _accept(uow, case, SYSTEM)
    advance(uow, case, flow)
    if idempotency_key:  # a concurrent request with the same key fails here, in the caller's try
        rows.write_now(uow.session)
    return case


def _by_idempotency_key(uow, key: str, fingerprint: str) -> Case | None:
    case = uow.session.scalar(select(Case).where(Case.idempotency_key == key))
    if case is not None and case.request_fingerprint != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request")
    return case


def variables_of(case: Case) -> dict:
    """What BPMN expressions see: the form's fields, then each finished task's output."""
    variables = dict(case.form)
    for task in case.tasks:
        if task.state == "completed" and task.data is not None:
            variables[task.task] = task.data
    return variables


_CASE, _TASK = Case.__table__, Task.__table__
# Built once: every operation on a case starts with one of these locks and then
# reads its case (see `_read_case`).
_LOCK_CASE = select(_CASE.c.id).where(_CASE.c.id == bindparam("case_id")).with_for_update()
_LOCK_CASE_OF_TASK = (select(_CASE.c.id).join_from(_CASE, _TASK, _TASK.c.case_id == _CASE.c.id)
                      .where(_TASK.c.id == bindparam("task_id")).with_for_update(of=_CASE))
_TASK_PREFIX = "task_"  # the task columns' names in `_case_and_tasks`
# a case's tasks in the order they opened (ids come from a connection's block of the
# sequence: unique, not in time order; see db.next_ids), as Case.tasks has them
_TASK_ORDER = ("started_at", "id")


def _case_and_tasks(case_id, timers_too: bool):
    """The case's row, then its tasks' rows (in `_TASK_ORDER`), in one result: the
    case's columns and the tasks' (named with `_TASK_PREFIX`) side by side, each
    row filling one side. With `timers_too` (PostgreSQL) the case's row also carries
    its pending timers as one JSON value (see timers.pending_of_case_json), which
    nearly every operation needs (warning cards, process timers)."""
    def nulls(table, prefix=""):
        return [cast(null(), c.type).label(prefix + c.name) for c in table.c]
    pending = timers.pending_of_case_json(case_id) if timers_too else null()
    case_row = select(*_CASE.c, *nulls(_TASK, _TASK_PREFIX),
                      pending.label("pending_timers")).where(_CASE.c.id == case_id)
    task_rows = select(*nulls(_CASE), *(c.label(_TASK_PREFIX + c.name) for c in _TASK.c),
                       null().label("pending_timers")).where(_TASK.c.case_id == case_id)
    return union_all(case_row, task_rows).order_by(  # the case's row first (no task)
        *(literal_column(_TASK_PREFIX + name).asc().nulls_first() for name in _TASK_ORDER))


_OF_TASK = select(_TASK.c.case_id).where(_TASK.c.id == bindparam("task_id")).scalar_subquery()
# per database: (by case id, by task id)
_READS = {postgres: (_case_and_tasks(bindparam("case_id"), postgres),
                     _case_and_tasks(_OF_TASK, postgres)) for postgres in (False, True)}
# the ORM's way, for rows the session holds already: the objects it has, refreshed
_FRESH_CASE = (select(Case).where(Case.id == bindparam("case_id"))
               .execution_options(populate_existing=True))
_FRESH_TASKS = (select(Task).where(Task.case_id == bindparam("case_id"))
                .order_by(*(getattr(Task, name) for name in _TASK_ORDER))
                .execution_options(populate_existing=True))


def _read_case(uow, lock, by_task: bool, params: dict) -> Case | None:
    """The case locked by `lock`, as an object with its tasks (None: no such case).

    The lock and the read are two statements, so that the read's snapshot is
    taken once the lock is held: on PostgreSQL one statement would see the
    case's tasks as they were before a concurrent writer of the same case
    committed, even though the locked case row itself came back fresh. They
    still go to the server together, in one round trip (db.select_rows)."""
    session = uow.session
    if session.autoflush:  # as an ORM query would: what the operation changed comes first
        session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    found = select_rows(session, _READS[postgres][by_task], params, first=lock)
    if not found:
        return None
    case_row, task_rows = found[0], found[1:]
    case = rows.loaded(session, Case, case_row)
    if case is None:
        case = session.scalar(_FRESH_CASE, {"case_id": case_row["id"]})
    else:
        matters.attach_version(session, case)
    tasks = [rows.loaded(session, Task, row, _TASK_PREFIX) for row in task_rows]
    if None in tasks:
        tasks = list(session.scalars(_FRESH_TASKS, {"case_id": case.id}))
    for task in tasks:  # what an answer shows of a task's case, without a read
        set_committed_value(task, "case", case)
    set_committed_value(case, "tasks", tasks)
    if postgres:
        timers.pending_from_json(uow, case.id, case_row["pending_timers"])
    return case


def lock_case(uow, case_id: int) -> Case:
    case = _read_case(uow, _LOCK_CASE, False, {"case_id": case_id})
    if case is None:
        raise NotFound("no such case")
    return case


def lock_case_of_task(uow, task_id: int) -> Task | None:
    """The task, its case locked and read with its tasks (`task.case`): one round
    trip, where looking the task up first would be two."""
    case = _read_case(uow, _LOCK_CASE_OF_TASK, True, {"task_id": task_id})
    if case is None:
        return None
    return next(t for t in case.tasks if t.id == task_id)


def find_case(uow, case_no: str, lock: bool = False) -> Case:
    case = uow.session.scalar(select(Case.id).where(Case.case_no == case_no))
    if case is None:
        raise NotFound(f"no case {case_no}")
    return lock_case(uow, case) if lock else uow.session.get(Case, case)


def load_flow(case: Case) -> CaseWorkflow:
    """The case's process instance: the one kept in memory if it is still current."""
    matter = compiled(case.matter)
    workflow = kept.take(case.id, _stamp(case))
    if workflow is not None:
        return CaseWorkflow.resume(matter, workflow, variables_of(case))
    return CaseWorkflow.load(matter, case.workflow_state, variables_of(case))


def _stamp(case: Case) -> tuple:
    return (case.code_salt, case.lock_version)


def _keep_after_commit(uow, case: Case, flow: CaseWorkflow) -> None:
    """Once stored, the instance can serve the case's next operation (see `kept`)."""
    uow.after_commit(lambda: kept.keep(case.id, _stamp(case), flow.workflow))


def _accept(uow, case: Case, actor: str) -> None:
    deadlines.start_case_clock(case, uow.now())
    old = case.status
    case.status = "in_progress"
    history.record(uow, case, "accepted", actor, old={"status": old},
                   new={"status": "in_progress",
                        "due_at": case.due_at.isoformat() if case.due_at else None},
                   public=True, text="已受理")


def accept_if_acceptance(uow, case: Case, task: Task, actor: str) -> None:
    if task.task == compiled(case.matter).package.acceptance and case.accepted_at is None:
        _accept(uow, case, actor)


def advance(uow, case: Case, flow: CaseWorkflow) -> list[Task]:
    """Open worklist items for newly ready user tasks; complete the case at the end.

    Work the process took away (an interrupting boundary timer) is cancelled;
    timers and warning levels follow the new state."""
    now = uow.now()
    known = {t.spiff_id for t in case.tasks}
    for task in case.tasks:
        if task.state in deadlines.OPEN_TASK_STATES and not flow.is_ready(task.spiff_id):
            old, task.state = task.state, "cancelled"
            history.record(uow, case, "task_cancelled", SYSTEM, task=task, old={"state": old},
                           new={"state": "cancelled", "reason": "withdrawn by the process"})
    ready = [r for r in flow.ready_user_tasks() if r.spiff_id not in known]
    # ids first: their events and timers name them, and the rows go with the commit
    ids = next_ids(uow.session, Task.__table__, len(ready)) if ready else []
    opened = []
    for task_id, item in zip(ids, ready):
        task = Task(id=task_id, case_id=case.id, spiff_id=item.spiff_id, task=item.task,
                    name=item.name, department=item.department, state="ready",
                    started_at=now, warning="none", clock={},
                    due_at=deadlines.task_due_at(case, item.task, now))
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
        history.record(uow, case, "task_ready", SYSTEM, task=task,
                       new={"task": task.task, "department": task.department, "state": "ready"})
    process_timers.sync(uow, case, flow)
    warnings.refresh(uow, case)
    return opened


def _complete(uow, case: Case) -> None:
    """One completion: every department's results combined on the case."""
    results: dict[str, dict] = {}
    for task in case.tasks:
        if task.state == "completed" and task.data:
            results.setdefault(task.department, {})[task.task] = task.data
    old = case.status
    case.status, case.completed_at, case.results = "completed", uow.now(), results
    case.working_seconds = deadlines.working_seconds(case)
    history.record(uow, case, "completed", SYSTEM, old={"status": old},
                   new={"status": "completed"}, public=True, text="已办结")


def end_case(uow, case: Case, status: str, actor: str, reason: str | None, text: str) -> None:
    """Refusal or withdrawal: open tasks are cancelled and the process stops."""
    old = case.status
    for task in case.tasks:
        if task.state in deadlines.OPEN_TASK_STATES:
            task.state = "cancelled"
    flow = load_flow(case)
    flow.cancel()
    case.workflow_state = flow.dump()
    case.status, case.completed_at, case.clock = status, uow.now(), {}
    warnings.refresh(uow, case)
    history.record(uow, case, status, actor, old={"status": old},
                   new={"status": status, "reason": reason}, public=True,
                   text=f"{text}：{reason}" if reason else text)
