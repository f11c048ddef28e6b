"""What a unit of work writes at commit besides the ORM flush goes as one batch
(engine.WriteBatch): on PostgreSQL one round trip of statements rendered by
psycopg2, elsewhere a statement each. Whatever the values hold, they must come
back exactly as they went in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from engine.services import flow, handling
from engine.store import history
from engine.store.batch import WriteBatch
from engine.store.models import Case, Event, Timer
from engine.timers import schedule as timers
from engine.timers.book import TimerBook

from ..helpers import (
    ADMIN_ACTOR,
    complete_a_ready_task,
    sent_to_database,
    sql_text,
    submit_case,
    task_output,
)

AWKWARD = {
    "percent": "100% %s %(x)s",
    "quote": 'it\'s "quoted" \\ back',
    "zh": "营业执照",
    "nested": {"list": [1, 2.5, None, True], "empty": {}},
    "null": None,
}


@pytest.fixture
def statements(runtime):
    """What goes to the database, on the path production takes (helpers.sent_to_database);
    statements prepared on a connection the first time it runs them are left out."""
    with sent_to_database(runtime) as seen:
        yield seen


def _messages(statements) -> list[str]:
    return [m for m in map(sql_text, statements) if not re.match(r"(BEGIN[^;]*;)?PREPARE ", m)]


def test_values_come_back_exactly_as_they_went_in(runtime):
    case_id = submit_case(runtime, "retirement")
    at = datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=timezone.utc)
    with runtime.uow() as uow:
        with WriteBatch(uow.session) as batch:
            batch.insert(
                Event.__table__,
                [
                    {
                        "case_id": case_id,
                        "at": at,
                        "actor": "a'b%",
                        "kind": "test",
                        "task_id": None,
                        "old": None,
                        "new": AWKWARD,
                        "public": True,
                        "text": "%s; DROP TABLE x --",
                    },
                    {
                        "case_id": case_id,
                        "at": at + timedelta(seconds=1),
                        "actor": "二",
                        "kind": "test",
                        "task_id": None,
                        "old": {"a": 1},
                        "new": None,
                        "public": False,
                        "text": None,
                    },
                ],
            )
        uow.commit()
    with runtime.uow() as uow:
        rows = [
            (r.actor, r.at, r.old, r.new, r.public, r.text)
            for r in uow.session.scalars(
                select(Event).where(Event.kind == "test").order_by(Event.id)
            )
        ]
    assert rows == [
        ("a'b%", at, None, AWKWARD, True, "%s; DROP TABLE x --"),
        ("二", at + timedelta(seconds=1), {"a": 1}, None, False, None),
    ]


def test_a_commit_sends_history_and_timers_together(runtime, statements):
    """History entries, a cancelled and a new timer: one statement on PostgreSQL."""
    case_id = submit_case(runtime, "retirement")
    due = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    with runtime.uow() as uow:
        timers.sync(uow, case_id, "test", {"one": timers.Wanted(due)})
        uow.commit()
    with runtime.uow() as uow:
        statements.clear()
        timers.sync(uow, case_id, "test", {"two": timers.Wanted(due + timedelta(days=1))})
        history.record(uow, SimpleNamespace(id=case_id), "test", "tester", new=AWKWARD)
        uow.commit()
    writes = _writes(statements)
    postgres = runtime.engine.dialect.name == "postgresql"
    assert len(writes) == (1 if postgres else 3)
    with runtime.uow() as uow:
        found = {
            (t.key, t.due_at, t.cancelled_at is not None)
            for t in uow.session.scalars(
                select(Timer).where(Timer.case_id == case_id, Timer.kind == "test")
            )
        }
        entry = uow.session.scalars(select(Event.new).where(Event.kind == "test")).one()
    assert found == {("one", due, True), ("two", due + timedelta(days=1), False)}
    assert entry == AWKWARD


def test_nothing_is_written_when_the_block_fails(runtime):
    case_id = submit_case(runtime, "retirement")
    with runtime.uow() as uow:
        with pytest.raises(RuntimeError):
            with WriteBatch(uow.session) as batch:
                batch.insert(
                    Event.__table__,
                    [
                        {
                            "case_id": case_id,
                            "at": uow.now(),
                            "actor": "x",
                            "kind": "test",
                            "public": False,
                        }
                    ],
                )
                raise RuntimeError("the operation failed")
        uow.commit()
    with runtime.uow() as uow:
        assert uow.session.scalars(select(Event).where(Event.kind == "test")).all() == []


def _writes(statements) -> list[str]:
    """What was sent to write: on PostgreSQL the round trips that end a transaction
    (the unit of work's writes go with its COMMIT), on SQLite each INSERT and UPDATE."""
    messages = _messages(statements)
    if messages and any(m.rstrip().endswith("COMMIT") for m in messages):
        return [m for m in messages if m.rstrip().endswith("COMMIT")]
    return [m for m in messages if m.lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_a_completion_writes_its_case_task_history_and_timers_together(runtime, statements):
    """The changed case and task rows join the batch (engine.rows), not the ORM's flush:
    one write on PostgreSQL for a department's task among parallel ones."""
    case_id = submit_case(runtime, "open-restaurant")
    complete_a_ready_task(runtime, case_id, "open-restaurant")  # acceptance: opens five
    statements.clear()
    complete_a_ready_task(runtime, case_id, "open-restaurant")  # one of the five
    writes = _writes(statements)
    if runtime.engine.dialect.name == "postgresql":
        assert len(writes) == 1, writes
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        assert [t.state for t in case.tasks].count("completed") == 2
        assert case.lock_version == 3  # submitted, accepted, one department's task done


def test_a_case_changed_behind_its_version_is_not_written(runtime):
    """As with the ORM's version check: a case read without its lock, whose stored
    version is no longer the one it was read at, fails the commit (its guarded UPDATE
    comes back with no row), and nothing of the operation is written."""
    case_id = submit_case(runtime, "retirement")
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        uow.session.execute(
            update(Case.__table__)
            .where(Case.__table__.c.id == case_id)
            .values(lock_version=Case.__table__.c.lock_version + 5)
        )
        case.status = "withdrawn"
        history.record(uow, case, "test", "tester")
        with pytest.raises(StaleDataError, match=f"case {case_id}"):
            uow.commit()
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).status == "submitted"
        assert uow.session.scalars(select(Event).where(Event.kind == "test")).all() == []


def test_a_locked_case_is_written_without_a_guard(runtime, statements):
    """The row lock holds the case from its read to the commit: its UPDATE goes with
    the rest of the batch, matched by id (one round trip on PostgreSQL), and moves its
    version on."""
    case_id = submit_case(runtime, "retirement")
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        version = case.lock_version
        statements.clear()
        case.warning = "yellow"
        uow.commit()
    if runtime.engine.dialect.name == "postgresql":
        assert len(_messages(statements)) == 1 and "RETURNING" not in statements[0]
    with runtime.uow() as uow:
        stored = uow.session.get(Case, case_id)
        assert (stored.warning, stored.lock_version) == ("yellow", version + 1)


def test_new_rows_are_written_before_a_flush_that_would_update_them(runtime):
    """A task made with its id taken first (engine.rows.add_new) and changed before a
    query autoflushes is INSERTed first, then updated: nothing lost, nothing doubled."""
    from engine.store import rows
    from engine.store.db import next_ids
    from engine.store.models import Task

    case_id = submit_case(runtime, "retirement")
    with runtime.uow() as uow:
        case = flow.lock_case(uow, case_id)
        first, second = next_ids(uow.session, Task.__table__, 2)
        for task_id in (first, second):
            rows.add_new(
                uow.session,
                Task(
                    id=task_id,
                    case_id=case.id,
                    spiff_id=f"s{task_id}",
                    task="extra",
                    name="extra",
                    department="x",
                    state="ready",
                    started_at=uow.now(),
                ),
            )
        uow.session.get(Task, first).warning = "yellow"
        assert uow.session.scalar(select(Task.warning).where(Task.id == first)) == "yellow"
        uow.session.get(Task, second).state = "claimed"
        uow.commit()
    with runtime.uow() as uow:
        found = uow.session.execute(
            select(Task.id, Task.warning, Task.state, Task.clock)
            .where(Task.task == "extra")
            .order_by(Task.id)
        ).all()
    assert [tuple(r) for r in found] == [
        (first, "yellow", "ready", {}),
        (second, "none", "claimed", {}),
    ]


def test_a_locked_case_brings_its_pending_timers_with_its_tasks(runtime, statements):
    """On PostgreSQL the tasks' statement carries the case's pending timers (one value):
    the same timers, due instants and all, as their own query reads; a completion's
    reads are the lock and that statement."""
    case_id = submit_case(runtime, "open-restaurant")
    complete_a_ready_task(runtime, case_id, "open-restaurant")
    with runtime.uow() as uow:
        uow.book(TimerBook).read(uow.session, [case_id])
        expected = sorted(uow.book(TimerBook).pending[case_id])
    assert len(expected) >= 6  # the case's and each open task's warning cards
    with runtime.uow() as uow:
        flow.lock_case(uow, case_id)
        assert sorted(timers.pending(uow, case_id)) == expected
    with runtime.uow() as uow:
        task_id, task = next(
            (t.id, t.task) for t in flow.lock_case(uow, case_id).tasks if t.state == "ready"
        )
    statements.clear()
    with runtime.uow() as uow:
        handling.complete(uow, ADMIN_ACTOR, task_id, task_output("open-restaurant", task))
        uow.commit()
    reads = [m for m in _messages(statements) if m not in _writes(statements)]
    if runtime.engine.dialect.name == "postgresql":
        assert len(reads) == 1, reads  # the lock and the read, in one round trip


def test_timers_a_unit_of_work_changed_stay_as_it_changed_them(runtime):
    """Locking the case again in the same unit of work does not read its timers anew
    over what the unit of work has scheduled and not yet written."""
    case_id = submit_case(runtime, "retirement")
    due = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    with runtime.uow() as uow:
        flow.lock_case(uow, case_id)
        timers.sync(uow, case_id, "test", {"one": timers.Wanted(due)})
        flow.lock_case(uow, case_id)
        assert [t.key for t in timers.pending(uow, case_id, "test")] == ["one"]
        uow.commit()


def test_an_intake_takes_its_case_and_task_ids_in_one_statement(runtime, statements):
    """The process starts first, so the case's id and those of the tasks it opens are
    taken together (db.reserve_ids): one statement on PostgreSQL."""
    case_id = submit_case(runtime, "open-restaurant")
    taking = [m for m in _messages(statements) if "nextval" in m]
    if runtime.engine.dialect.name == "postgresql":
        assert len(taking) == 1, taking
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert [t.task for t in case.tasks] == ["accept"] and case.case_no.endswith(
            f"{case_id:08d}"
        )


def test_reserved_ids_are_handed_out_first(runtime, statements):
    from engine.store.db import next_ids, reserve_ids
    from engine.store.models import Task

    with runtime.uow() as uow:
        reserve_ids(uow.session, {Case.__table__: 1, Task.__table__: 3})
        statements.clear()
        first = next_ids(uow.session, Task.__table__, 2)
        third = next_ids(uow.session, Task.__table__, 1)
        assert statements == []  # handed out from what was reserved
        assert third[0] > first[1] > first[0]
        more = next_ids(uow.session, Task.__table__, 2)  # none left: taken anew
        assert min(more) > third[0]
        # PostgreSQL: from what the connection's block has left; SQLite: max + 1
        assert len(statements) == (0 if runtime.engine.dialect.name == "postgresql" else 1)


def test_ids_come_a_block_at_a_time_and_once_each(runtime, statements):
    """PostgreSQL: a connection takes a table's ids from its sequence a block at a
    time and hands them out over its units of work, so that intakes and completions
    that open tasks mostly take no statement for their ids; every id is handed out
    once, across connections."""
    from engine.store.db import ID_BLOCK, next_ids
    from engine.store.models import Task

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's ids are max + 1 under the database lock")
    runtime.engine.dispose()  # one connection from here on
    submit_case(runtime, "open-restaurant")  # the first intake takes the blocks
    statements.clear()
    case_id = submit_case(runtime, "open-restaurant")
    complete_a_ready_task(runtime, case_id, "open-restaurant")  # acceptance opens five
    assert [m for m in _messages(statements) if "nextval" in m] == []
    with runtime.uow() as one, runtime.uow() as other:  # two connections
        taken = next_ids(one.session, Task.__table__, ID_BLOCK + 3)
        taken += next_ids(other.session, Task.__table__, 5)
        taken += next_ids(one.session, Task.__table__, 2)
    with runtime.uow() as uow:
        stored = set(uow.session.scalars(select(Task.id)))
    assert len(set(taken)) == len(taken) == ID_BLOCK + 10 and not stored & set(taken)


def test_a_cases_tasks_are_in_the_order_they_opened(runtime, clock, monkeypatch):
    """Ids from a connection's block are not in time order across connections: a
    task opened later may have a lower id. A case's tasks still come in the order
    they opened, from its read under lock and from the ORM's relationship alike."""
    from sqlalchemy import text

    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's ids are max + 1 under the database lock")
    with runtime.engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('task', 'id'), 5000)"))
    case_id = submit_case(runtime, "open-restaurant")  # its acceptance task: 5001
    lower = iter(range(100, 0, -1))
    monkeypatch.setattr(
        flow, "next_ids", lambda _session, _table, count: [next(lower) for _ in range(count)]
    )
    clock.advance(minutes=5)
    complete_a_ready_task(runtime, case_id, "open-restaurant")  # five more, ids 96-100
    with runtime.uow() as uow:
        locked = [(t.task, t.id) for t in flow.lock_case(uow, case_id).tasks]
    with runtime.uow() as uow:
        related = [(t.task, t.id) for t in uow.session.get(Case, case_id).tasks]
    assert locked == related and locked[0] == ("accept", 5001)
    assert [task_id for _, task_id in locked[1:]] == [96, 97, 98, 99, 100]
