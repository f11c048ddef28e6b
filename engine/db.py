"""Database engine and sessions.

SQLite (the embedded default) gets WAL, a busy timeout and `BEGIN IMMEDIATE`
so that several processes writing the same case queue up instead of failing
on lock upgrade; PostgreSQL gets row locks (`SELECT ... FOR UPDATE`).
"""
from __future__ import annotations

import time
from pathlib import Path

import orjson
from sqlalchemy import Table, create_engine, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import sessionmaker


def _json_dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs) -> Engine:
    # JSON columns (forms, matter files, events) are read and written on every
    # request: orjson instead of the standard library's json
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if url.startswith("postgresql+psycopg2"):
        # several rows updated at once (timers cancelled) go in one round trip
        kwargs.setdefault("executemany_mode", "values_plus_batch")
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


# a pooled connection used this recently is taken as alive without asking the server
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it has been idle a while.

    `pool_pre_ping` would cost every unit of work a round trip (`SELECT 1`),
    about a tenth of a busy operation's database time. A connection that was
    in use a moment ago is as good as checked; one idle longer (the server
    may have restarted or dropped it) is pinged, and a dead one is replaced
    before anyone sees it. If the server goes away in the last second, the
    operation that finds out fails and SQLAlchemy renews the whole pool."""
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # just opened, or in use a moment ago
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool closes this connection and checks out another
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def next_id(session, table: Table) -> int:
    """The id the next row of `table` will have, taken before the row is written.

    PostgreSQL: the next value of the id column's sequence. SQLite: one more
    than the largest id, which is safe because the transaction began with
    `BEGIN IMMEDIATE` (no other writer until it ends) and is what SQLite
    itself would choose."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT nextval(pg_get_serial_sequence(:name, 'id'))"),
                               {"name": f'"{table.name}"'}).scalar_one()
    return session.execute(select(func.coalesce(func.max(table.c.id), 0) + 1)).scalar_one()


# Session.info key of the deployed matter versions the sessions of one factory share
# (see engine.matters.version)
MATTER_VERSIONS = "matter_versions"


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True,
                        info={MATTER_VERSIONS: {}})
