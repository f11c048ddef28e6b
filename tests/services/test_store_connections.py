"""Pooled PostgreSQL connections are checked before use only after being idle a
while (engine.db._ping_when_idle): one the server dropped meanwhile is replaced
before any operation sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.store import db


@pytest.fixture
def postgres(runtime):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pool (SQLite opens its file per connection)")
    return runtime


def _backend_pid(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _drop(runtime, pid: int) -> None:
    """The server ends that connection's backend, as a restart or an idle timeout would."""
    with runtime.engine.connect() as conn:  # another pooled connection (the first is in)
        other = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert other != pid
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def _in_use_together(runtime) -> None:
    """Two connections in the pool, so that dropping one leaves the other to drop it with."""
    with runtime.engine.connect() as one, runtime.engine.connect() as two:
        one.execute(text("SELECT 1")), two.execute(text("SELECT 1"))


@pytest.fixture
def pings(monkeypatch):
    seen = []
    real = db._ping

    def ping(dbapi_conn):
        seen.append(dbapi_conn)
        real(dbapi_conn)

    monkeypatch.setattr(db, "_ping", ping)
    return seen


def test_a_connection_dropped_while_idle_is_replaced_before_use(postgres, pings, monkeypatch):
    _in_use_together(postgres)
    pid = _backend_pid(postgres)
    _drop(postgres, pid)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle
    with postgres.uow() as uow:  # the dropped one is first out of the pool
        assert uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    assert pings  # it was asked, found dead and replaced


def test_a_connection_in_use_a_moment_ago_is_not_pinged(postgres, pings, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)
    for _ in range(3):
        with postgres.uow() as uow:
            uow.session.execute(text("SELECT 1"))
    assert pings == []


def test_a_connection_idle_longer_is_pinged(postgres, pings, monkeypatch):
    with postgres.uow() as uow:
        uow.session.execute(text("SELECT 1"))
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with postgres.uow() as uow:
        uow.session.execute(text("SELECT 1"))
    assert len(pings) == 1
