"""Cases read for an operation: locked, with their tasks (and pending timers), as objects.

Every operation that changes a case first locks its row (`SELECT ... FOR
UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` serialises writers); the
lock is held to the commit, and the case is written without a version guard
(see engine.store.rows). A case read without its lock and then changed is
written only if its version is still the one it was read at.
"""

from __future__ import annotations

from sqlalchemy import bindparam, cast, func, literal_column, null, select, text, union_all
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import NotFound
from . import rows
from .matters import attach_version
from .models import PENDING_TIMER, PENDING_TIMER_COLUMNS, Case, Task, Timer
from .plain import select_rows

_CASE, _TASK = Case.__table__, Task.__table__
# Built once: every operation on a case starts with one of these locks and then
# reads its case (see `_read_case`).
_LOCK_CASE = select(_CASE.c.id).where(_CASE.c.id == bindparam("case_id")).with_for_update()
_LOCK_CASE_OF_TASK = (
    select(_CASE.c.id)
    .join_from(_CASE, _TASK, _TASK.c.case_id == _CASE.c.id)
    .where(_TASK.c.id == bindparam("task_id"))
    .with_for_update(of=_CASE)
)
_TASK_PREFIX = "task_"  # the task columns' names in `_case_and_tasks`
# a case's tasks in the order they opened (ids come from a connection's block of the
# sequence: unique, not in time order; see db.next_ids), as Case.tasks has them
_TASK_ORDER = ("started_at", "id")


def _pending_of_case_json(case_id):
    """The pending timers of one case (`case_id`: a parameter or a column expression)
    as a single JSON value, for the statement that reads its tasks: PostgreSQL
    computes it once for the whole result, and it saves a statement and round trip."""
    return (
        select(
            func.coalesce(
                func.json_agg(func.json_build_array(*PENDING_TIMER_COLUMNS)), text("'[]'::json")
            )
        )
        .where(Timer.case_id == case_id, *PENDING_TIMER)
        .scalar_subquery()
    )


def _case_and_tasks(case_id, timers_too: bool):
    """The case's row, then its tasks' rows (in `_TASK_ORDER`), in one result: the
    case's columns and the tasks' (named with `_TASK_PREFIX`) side by side, each
    row filling one side. With `timers_too` (PostgreSQL) the case's row also carries
    its pending timers as one JSON value, which nearly every operation needs
    (warning cards, process timers)."""

    def nulls(table, prefix=""):
        return [cast(null(), c.type).label(prefix + c.name) for c in table.c]

    pending = _pending_of_case_json(case_id) if timers_too else null()
    case_row = select(*_CASE.c, *nulls(_TASK, _TASK_PREFIX), pending.label("pending_timers")).where(
        _CASE.c.id == case_id
    )
    task_rows = select(
        *nulls(_CASE),
        *(c.label(_TASK_PREFIX + c.name) for c in _TASK.c),
        null().label("pending_timers"),
    ).where(_TASK.c.case_id == case_id)
    return union_all(case_row, task_rows).order_by(  # the case's row first (no task)
        *(literal_column(_TASK_PREFIX + name).asc().nulls_first() for name in _TASK_ORDER)
    )


_OF_TASK = select(_TASK.c.case_id).where(_TASK.c.id == bindparam("task_id")).scalar_subquery()
# per database: (by case id, by task id)
_READS = {
    postgres: (_case_and_tasks(bindparam("case_id"), postgres), _case_and_tasks(_OF_TASK, postgres))
    for postgres in (False, True)
}
# the ORM's way, for rows the session holds already: the objects it has, refreshed
_FRESH_CASE = (
    select(Case).where(Case.id == bindparam("case_id")).execution_options(populate_existing=True)
)
_FRESH_TASKS = (
    select(Task)
    .where(Task.case_id == bindparam("case_id"))
    .order_by(*(getattr(Task, name) for name in _TASK_ORDER))
    .execution_options(populate_existing=True)
)


def _read_case(session, lock, by_task: bool, params: dict) -> tuple[Case | None, list | None]:
    """The case locked by `lock`, as an object with its tasks (None: no such case), and
    its pending timers as read with it (None where they were not: SQLite).

    The lock and the read are two statements, so that the read's snapshot is
    taken once the lock is held: on PostgreSQL one statement would see the
    case's tasks as they were before a concurrent writer of the same case
    committed, even though the locked case row itself came back fresh. They
    still go to the server together, in one round trip (plain.select_rows)."""
    if session.autoflush:  # as an ORM query would: what the operation changed comes first
        session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    found = select_rows(session, _READS[postgres][by_task], params, first=lock)
    if not found:
        return None, None
    case_row, task_rows = found[0], found[1:]
    case = rows.loaded(session, Case, case_row)
    if case is None:
        case = session.scalar(_FRESH_CASE, {"case_id": case_row["id"]})
    else:
        attach_version(session, case)
    tasks = [rows.loaded(session, Task, row, _TASK_PREFIX) for row in task_rows]
    if None in tasks:
        tasks = list(session.scalars(_FRESH_TASKS, {"case_id": case.id}))
    for task in tasks:  # what an answer shows of a task's case, without a read
        set_committed_value(task, "case", case)
    set_committed_value(case, "tasks", tasks)
    rows.mark_locked(session, (case.id,))
    return case, (case_row["pending_timers"] if postgres else None)


def lock_case(session, case_id: int) -> tuple[Case, list | None]:
    """The case, locked, with its tasks (and its pending timers where read with it)."""
    case, pending = _read_case(session, _LOCK_CASE, False, {"case_id": case_id})
    if case is None:
        raise NotFound("no such case")
    return case, pending


def lock_case_of_task(session, task_id: int) -> tuple[Task | None, list | None]:
    """The task, its case locked and read with its tasks (`task.case`): one round
    trip, where looking the task up first would be two."""
    case, pending = _read_case(session, _LOCK_CASE_OF_TASK, True, {"task_id": task_id})
    if case is None:
        return None, None
    return next(t for t in case.tasks if t.id == task_id), pending


def lock_cases(session, case_ids: list[int]) -> None:
    """Lock many cases' rows, in id order (two callers with overlapping sets cannot
    deadlock), without reading them (timers fired in a batch)."""
    session.execute(
        select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id).with_for_update(of=Case)
    ).all()
    rows.mark_locked(session, case_ids)


def case_id_of(session, case_no: str) -> int:
    case_id = session.scalar(select(Case.id).where(Case.case_no == case_no))
    if case_id is None:
        raise NotFound(f"no case {case_no}")
    return case_id


def by_case_no(session, case_no: str) -> Case | None:
    return session.scalar(select(Case).where(Case.case_no == case_no))


def by_idempotency_key(session, key: str) -> Case | None:
    return session.scalar(select(Case).where(Case.idempotency_key == key))
