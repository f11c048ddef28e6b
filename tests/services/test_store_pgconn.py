"""engine.pgconn: BEGIN goes with a transaction's first statement and the unit of
work's COMMIT with its last write; the transactions are the same as psycopg2's
own (atomic, isolated, rolled back on failure, none under autocommit)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from engine.store import pgconn
from engine.store.models import Case, Event

from ..helpers import complete_a_ready_task, submit_case

KEY = "open-restaurant"


@pytest.fixture
def postgres(runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the connection class is PostgreSQL's")
    return runtime


@pytest.fixture
def sent(monkeypatch):
    """Every statement the connections send (with what rode in front of it), and every
    COMMIT or ROLLBACK sent on its own."""
    log = []
    execute, end = pgconn.Cursor.execute, pgconn.Connection._end

    def logged_execute(self, query, vars=None):
        log.append(("statement", self.connection.begin_needed(), query))
        return execute(self, query, vars)

    def logged_end(self, command):
        if self.get_transaction_status() != pgconn._IDLE:
            log.append((command, None, None))
        return end(self, command)

    monkeypatch.setattr(pgconn.Cursor, "execute", logged_execute)
    monkeypatch.setattr(pgconn.Connection, "_end", logged_end)
    return log


def test_an_operation_is_three_round_trips_with_begin_and_commit_inside(postgres, sent):
    case_id = submit_case(postgres, KEY)
    sent.clear()
    complete_a_ready_task(postgres, case_id, KEY)
    assert [kind for kind, *_ in sent] == ["statement"] * len(sent)  # no COMMIT of its own
    assert sent[0][1] == "BEGIN;" and all(begin is None for _, begin, _ in sent[1:])
    last = sent[-1][2]
    assert (last if isinstance(last, str) else last.decode()).endswith(pgconn.COMMIT_WITH_IT)
    with postgres.engine.connect() as conn:  # committed: another connection sees it
        assert (
            conn.execute(
                text("SELECT count(*) FROM task WHERE case_id = :c AND state = 'completed'"),
                {"c": case_id},
            ).scalar_one()
            == 1
        )


def test_uncommitted_work_is_invisible_to_others_and_gone_after_rollback(postgres):
    case_id = submit_case(postgres, KEY)
    with postgres.uow() as uow:
        uow.session.execute(
            text("UPDATE \"case\" SET warning = 'red' WHERE id = :c"), {"c": case_id}
        )
        raw = uow.session.connection().connection.dbapi_connection
        assert raw.get_transaction_status() != pgconn._IDLE
        with postgres.engine.connect() as other:
            assert (
                other.execute(
                    text('SELECT warning FROM "case" WHERE id = :c'), {"c": case_id}
                ).scalar_one()
                == "none"
            )
        uow.rollback()
        assert raw.get_transaction_status() == pgconn._IDLE
    with postgres.uow() as uow:
        assert uow.session.get(Case, case_id).warning == "none"


def test_a_failing_final_write_commits_nothing(postgres):
    """The version guard fails inside the batch that carries the COMMIT: the COMMIT
    never runs, nothing of the operation is stored, and the connection is usable."""
    case_id = submit_case(postgres, KEY)
    with postgres.uow() as uow:
        events_before = uow.session.query(Event).filter_by(case_id=case_id).count()
    with postgres.uow() as uow:
        case = uow.session.get(Case, case_id)  # read without the lock
        with postgres.engine.begin() as other:  # a writer that slipped past it
            other.execute(
                text('UPDATE "case" SET lock_version = lock_version + 1 WHERE id = :c'),
                {"c": case_id},
            )
        case.warning = "yellow"
        uow.session.add(
            Event(case_id=case_id, actor="t", kind="note", at=uow.now(), public=False)
        )  # flushed by the ORM before the batch
        with pytest.raises(StaleDataError):
            uow.commit()
    with postgres.uow() as uow:
        assert uow.session.get(Case, case_id).warning == "none"
        assert uow.session.query(Event).filter_by(case_id=case_id).count() == events_before
        complete_a_ready_task(postgres, case_id, KEY)  # the pool's connections still work


def test_autocommit_runs_outside_any_transaction(postgres):
    """VACUUM refuses to run in a transaction block: SQLAlchemy's AUTOCOMMIT level
    must mean none was begun; the connection begins them again afterwards."""
    with postgres.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('VACUUM "case"'))
    with postgres.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        raw = conn.connection.dbapi_connection
        assert raw.get_transaction_status() != pgconn._IDLE and not raw.autocommit


def test_other_isolation_levels_begin_with_that_level(postgres):
    with postgres.engine.connect().execution_options(isolation_level="SERIALIZABLE") as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one() == "serializable"
    with postgres.engine.connect() as conn:
        assert conn.execute(text("SHOW transaction_isolation")).scalar_one() == "read committed"


def test_a_connection_returned_in_a_transaction_is_rolled_back(postgres):
    with postgres.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        conn.execute(text("SELECT 1"))
        assert raw.get_transaction_status() != pgconn._IDLE
    assert raw.get_transaction_status() == pgconn._IDLE  # the pool's reset sent ROLLBACK


def test_errors_still_come_back_as_sqlalchemys(postgres):
    with postgres.engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT CAST('x' AS INTEGER)"))
        conn.rollback()
        assert conn.execute(text("SELECT 2")).scalar_one() == 2


def _prepares(sent) -> list[str]:
    return [
        q
        for kind, _, q in sent
        if kind == "statement" and (q if isinstance(q, str) else q.decode()).startswith("PREPARE")
    ]


def test_reads_are_prepared_once_per_connection(postgres, sent):
    case_id = submit_case(postgres, KEY)
    complete_a_ready_task(postgres, case_id, KEY)  # every read of an operation prepared
    sent.clear()
    complete_a_ready_task(postgres, case_id, KEY)
    assert [q for q in _prepares(sent) if " AS SELECT " in q or " AS (SELECT " in q] == []
    assert any(
        (q if isinstance(q, str) else q.decode()).startswith("EXECUTE onething_")
        for kind, _, q in sent
        if kind == "statement"
    )
    with postgres.engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM pg_prepared_statements")).scalars().all()
        assert names and all(name.startswith("onething_") for name in names)


def test_writes_are_prepared_once_per_connection(postgres, sent):
    """A completion's batch (its case, task, history and timers) is EXECUTEs of
    statements prepared on the connection, sent together with its COMMIT."""
    case_id = submit_case(postgres, KEY)
    complete_a_ready_task(postgres, case_id, KEY)  # acceptance: opens five
    complete_a_ready_task(postgres, case_id, KEY)  # one of them: every shape prepared
    sent.clear()
    complete_a_ready_task(postgres, case_id, KEY)
    assert _prepares(sent) == []
    batch = sent[-1][2] if isinstance(sent[-1][2], str) else sent[-1][2].decode()
    statements = batch.split(";\n")
    assert statements[-1] == "COMMIT" and len(statements) >= 4
    assert all(s.startswith("EXECUTE onething_") for s in statements[:-1]), statements


def test_a_write_whose_statement_was_dropped_fails_and_its_connection_goes(postgres):
    from engine.store.batch import WriteBatch

    postgres.engine.dispose()
    row = {"case_id": submit_case(postgres, KEY), "actor": "x", "kind": "test", "public": False}
    with postgres.uow() as uow:
        with WriteBatch(uow.session) as batch:
            batch.insert(Event.__table__, [{**row, "at": uow.now()}])
        raw = uow.session.connection().connection.dbapi_connection
        uow.session.connection().exec_driver_sql("DEALLOCATE ALL")
        with pytest.raises(DBAPIError):
            with WriteBatch(uow.session) as batch:
                batch.insert(Event.__table__, [{**row, "at": uow.now()}])
    with postgres.uow() as uow:
        with WriteBatch(uow.session) as batch:  # on a new connection, prepared anew
            batch.insert(Event.__table__, [{**row, "at": uow.now()}])
        assert uow.session.connection().connection.dbapi_connection is not raw
        uow.commit()
    with postgres.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM event WHERE kind = 'test'")).scalar_one() == 1
        )


def test_a_connection_whose_statements_were_dropped_is_replaced(postgres):
    """DEALLOCATE ALL (or DISCARD ALL) behind the engine's back: the operation that
    finds out fails, its connection leaves the pool, and the next one works."""
    postgres.engine.dispose()  # one pooled connection from here on
    case_id = submit_case(postgres, KEY)
    complete_a_ready_task(postgres, case_id, KEY)  # its reads are prepared now
    with postgres.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.prepared
        conn.exec_driver_sql("DEALLOCATE ALL")
        conn.commit()
    with pytest.raises(DBAPIError):
        complete_a_ready_task(postgres, case_id, KEY)
    complete_a_ready_task(postgres, case_id, KEY)  # on a new connection
    with postgres.engine.connect() as conn:
        assert conn.connection.dbapi_connection is not raw


def test_without_prepared_statements_the_reads_are_plain(prepared, clock):
    from dataclasses import replace

    from engine.config import load_settings
    from engine.runtime import Runtime

    assert load_settings({"ONETHING_PG_PREPARED_STATEMENTS": "0"}).prepared_statements is False
    runtime = Runtime(replace(prepared, prepared_statements=False), clock=clock)
    if runtime.engine.dialect.name != "postgresql":
        with runtime.engine.connect() as conn:  # the setting is PostgreSQL's: ignored
            conn.execute(text("SELECT 1"))
        runtime.close()
        pytest.skip("the connection class is PostgreSQL's")
    try:
        case_id = submit_case(runtime, KEY)
        complete_a_ready_task(runtime, case_id, KEY)
        with runtime.engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepared is None
            assert (
                conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one() == 0
            )
            assert (
                conn.execute(
                    text("SELECT count(*) FROM task WHERE case_id = :c AND state = 'completed'"),
                    {"c": case_id},
                ).scalar_one()
                == 1
            )
    finally:
        runtime.close()
