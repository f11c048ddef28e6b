"""Database engine and sessions.

SQLite (the embedded default) gets WAL, a busy timeout and `BEGIN IMMEDIATE`
so that several processes writing the same case queue up instead of failing
on lock upgrade; PostgreSQL gets row locks (`SELECT ... FOR UPDATE`).
"""
from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Table, create_engine, event, func, select, text
from sqlalchemy.engine import Engine
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
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql+psycopg2"):
        # several rows updated at once (timers cancelled) go in one round trip
        kwargs.setdefault("executemany_mode", "values_plus_batch")
    return create_engine(url, **kwargs)


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
