"""A locked case and its tasks are read by Core statements and made into objects
by engine.rows.loaded: they must be what the ORM would have loaded, and fresh
even where the unit of work held the rows already."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text, update

from engine.services import flow
from engine.store import cases as stored_cases
from engine.store import matters, plain
from engine.store.models import Case, Task

from ..helpers import complete_a_ready_task, complete_case, sent_to_database, submit_case

KEY = "open-restaurant"


def _columns(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def test_locked_rows_are_the_objects_the_orm_would_load(runtime):
    case_id = submit_case(runtime, KEY)
    complete_a_ready_task(runtime, case_id, KEY)
    with runtime.uow() as uow:
        orm_case = uow.session.get(Case, case_id)
        expected = (
            _columns(orm_case),
            orm_case.matter.id,
            [_columns(task) for task in orm_case.tasks],
        )
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        with sent_to_database(runtime, uow.session) as seen:
            got = (_columns(case), case.matter.id, [_columns(task) for task in case.tasks])
            assert all(task.case is case for task in case.tasks)
        assert got == expected
        assert seen == []  # matter, tasks and each task's case are set, not lazily read
        assert not uow.session.dirty and inspect(case).persistent


def test_a_case_the_unit_of_work_held_is_read_fresh_when_locked(runtime):
    """The session had the case and its tasks before another unit of work changed them:
    the lock gives what is stored now, on the objects the session has. (SQLite: the
    other writer could not run while this unit of work holds the database.)"""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("a concurrent writer needs PostgreSQL")
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        held = uow.session.get(Case, case_id)
        held_task = held.tasks[0]
        with runtime.uow() as other:
            other.session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(warning="yellow", lock_version=Case.lock_version + 1)
            )
            other.session.execute(update(Task).where(Task.id == held_task.id).values(warning="red"))
            other.commit()
        assert held.warning == "none"
        case = flow.lock_case(uow, case_id)
        assert case is held and case.warning == "yellow"
        assert case.tasks[0] is held_task and held_task.warning == "red"


def test_changes_to_loaded_rows_are_written(runtime):
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        case.missing_materials = ["x"]
        case.tasks[0].assignee = "someone"
        uow.commit()
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case.missing_materials == ["x"] and case.tasks[0].assignee == "someone"


def test_a_case_the_unit_of_work_held_keeps_its_objects_when_locked(runtime):
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        held = uow.session.get(Case, case_id)
        held_tasks = list(held.tasks)
        case = flow.lock_case(uow, case_id)
        assert case is held and case.tasks == held_tasks
        case.tasks[0].assignee = "someone"
        uow.commit()
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).tasks[0].assignee == "someone"


def test_plain_rows_are_what_sqlalchemy_gives(runtime):
    """db.select_rows (straight to the DBAPI cursor on PostgreSQL) against SQLAlchemy's
    own execution of the same statements, on a completed case: every kind of column
    (times with their zone, JSON, bytes, floats) and the timers' JSON value."""
    case_id = submit_case(runtime, KEY)
    complete_case(runtime, case_id, KEY)
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        assert case.status == "completed" and case.working_seconds is not None
        task_id = min(t.id for t in case.tasks)
    statements = [
        (stored_cases._LOCK_CASE_OF_TASK, {"task_id": task_id}),
        (matters._LATEST, {"key": KEY}),
    ]
    by_case, by_task = stored_cases._READS[runtime.engine.dialect.name == "postgresql"]
    statements += [(by_case, {"case_id": case_id}), (by_task, {"task_id": task_id})]
    for statement, params in statements:
        with runtime.uow() as uow:
            direct = plain.select_rows(uow.session, statement, params)
            sqlalchemy = [
                dict(r._mapping) for r in uow.session.connection().execute(statement, params)
            ]
        assert direct == sqlalchemy and direct
        assert [list(map(type, r.values())) for r in direct] == [
            list(map(type, r.values())) for r in sqlalchemy
        ]


def test_a_failing_plain_read_raises_sqlalchemys_error(runtime):
    """(SQLite's reads are SQLAlchemy's own, and take 'x' as the integer 0.)"""
    from sqlalchemy.exc import DBAPIError

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the plain path is PostgreSQL's")
    with runtime.uow() as uow:
        with pytest.raises(DBAPIError):
            plain.select_rows(uow.session, text("SELECT CAST(:v AS INTEGER) AS n"), {"v": "x"})


def _wait_until_blocked(runtime, timeout_s: float = 10.0) -> None:
    """Until some session of this database waits for a row lock."""
    import time

    deadline = time.monotonic() + timeout_s
    with runtime.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("nobody waited for the lock")


@pytest.mark.parametrize("by_task", [False, True])
def test_a_lock_that_waited_reads_what_the_holder_committed(runtime, by_task):
    """The lock and the read of the case go to PostgreSQL in one round trip, as two
    statements: the read's snapshot is taken once the lock is held. A holder of the
    lock that changed only a task (the case row untouched, as a claim does) commits
    while the other waits: the waiter sees the task as committed."""
    import threading

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("a concurrent writer needs PostgreSQL")
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        task_id = flow.lock_case(uow, case_id).tasks[0].id
    seen = {}

    def waiter():
        with runtime.uow() as uow:
            if by_task:
                case = flow.lock_case_of_task(uow, task_id).case
            else:
                case = flow.lock_case(uow, case_id)
            seen["assignee"] = next(t.assignee for t in case.tasks if t.id == task_id)

    with runtime.uow() as holder:
        flow.lock_case(holder, case_id)
        holder.session.execute(update(Task).where(Task.id == task_id).values(assignee="holder"))
        thread = threading.Thread(target=waiter)
        thread.start()
        _wait_until_blocked(runtime)
        holder.commit()
    thread.join(10)
    assert seen == {"assignee": "holder"}


def test_the_lock_and_the_read_are_one_round_trip(runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the plain path is PostgreSQL's")
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        flow.lock_case(uow, case_id)  # prepared on this connection from here on
    with runtime.uow() as uow, sent_to_database(runtime, uow.session) as sent:
        case = flow.lock_case(uow, case_id)
        assert case.tasks and case.id == case_id
    assert len(sent) == 1 and sent[0].count("EXECUTE onething_") == 2
