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

from . import pgconn
from .plain import select_rows


def _json_dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, prepared_statements: bool = True, **kwargs) -> Engine:
    # JSON columns (forms, matter files, events) are read and written on every
    # request: orjson instead of the standard library's json
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    psycopg2 = url.startswith("postgresql+psycopg2")
    if psycopg2:
        # several rows updated at once (timers cancelled) go in one round trip
        kwargs.setdefault("executemany_mode", "values_plus_batch")
        # BEGIN with the first statement, COMMIT with the last write (engine.store.pgconn)
        kwargs["connect_args"] = {
            "connection_factory": pgconn.Connection,
            **kwargs.get("connect_args", {}),
        }
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    if psycopg2 and not prepared_statements:  # e.g. behind PgBouncer's transaction pooling

        @event.listens_for(engine, "connect")
        def _no_prepared_statements(dbapi_conn, _record):
            dbapi_conn.prepared = None

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
            _ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool closes this connection and checks out another
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


def _ping(dbapi_conn) -> None:
    """`SELECT 1` outside any transaction (the connection is checked out idle)."""
    autocommit, dbapi_conn.autocommit = dbapi_conn.autocommit, True
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()
        if not dbapi_conn.closed:
            dbapi_conn.autocommit = autocommit


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
    """The id the next row of `table` will have, taken before the row is written."""
    return next_ids(session, table, 1)[0]


_RESERVED = "ids_reserved"  # Session.info key: table name -> ids taken ahead (`reserve_ids`)
_NEXTVALS: dict[int, object] = {}  # number of tables -> the statement taking their ids


# ids a connection takes from a table's sequence at a time, to hand out later
ID_BLOCK = 32


def _sequence_ids(session, counts: dict[Table, int]) -> dict[Table, list[int]]:
    """PostgreSQL: `count` values of each table's id sequence.

    A connection of ours (engine.store.pgconn) takes them a block at a time and keeps
    what it did not hand out for its next units of work, so that most
    operations opening tasks, and most intakes, need no round trip for their
    ids: the sequence still hands every id out once, and one never used (a
    connection closed, a transaction rolled back) is a gap, as a rolled-back
    nextval always was. Ids are unique, not in time order across connections;
    nothing orders by them alone (a case's tasks go by when they started)."""
    pool = getattr(session.connection().connection.dbapi_connection, "id_pool", None)
    if pool is None:
        return _nextvals(session, counts)
    short = {
        table: max(count, ID_BLOCK)
        for table, count in counts.items()
        if len(pool.get(table.name, ())) < count
    }
    if short:
        for table, ids in _nextvals(session, short).items():
            pool.setdefault(table.name, []).extend(ids)
    taken = {}
    for table, count in counts.items():
        ids = pool[table.name]
        taken[table], ids[:count] = ids[:count], []
    return taken


def _nextvals(session, counts: dict[Table, int]) -> dict[Table, list[int]]:
    """PostgreSQL: `count` values of each table's id sequence, in one statement."""
    statement = _NEXTVALS.get(len(counts))
    if statement is None:
        statement = _NEXTVALS[len(counts)] = text(
            "SELECT "
            + ", ".join(
                f"ARRAY(SELECT nextval(pg_get_serial_sequence(:name{i}, 'id')) "
                f"FROM generate_series(1, :count{i})) AS ids{i}"
                for i in range(len(counts))
            )
        )
    params = {}
    for i, (table, count) in enumerate(counts.items()):
        params[f"name{i}"], params[f"count{i}"] = f'"{table.name}"', count
    # the rows come later; nothing need be written first (select_rows does not flush)
    row = select_rows(session, statement, params)[0]
    return {table: row[f"ids{i}"] for i, table in enumerate(counts)}


def next_ids(session, table: Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, taken before the rows are written.

    PostgreSQL: values of the id column's sequence, one round trip for all
    (none if `reserve_ids` took them ahead).
    SQLite: one more than the largest id, and on from there; safe because the
    transaction began with `BEGIN IMMEDIATE` (no other writer until it ends),
    and the session remembers what it handed out, for rows not written yet."""
    reserved = session.info.get(_RESERVED, {}).get(table.name)
    if reserved and len(reserved) >= count:
        taken, reserved[:] = reserved[:count], reserved[count:]
        return taken
    if session.get_bind().dialect.name == "postgresql":
        return _sequence_ids(session, {table: count})[table]
    with session.no_autoflush:  # the rows come later; nothing need be written first
        taken = session.info.setdefault("ids_taken", {})
        stored = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    first = max(stored, taken.get(table.name, 0)) + 1
    taken[table.name] = first + count - 1
    return list(range(first, first + count))


def reserve_ids(session, counts: dict[Table, int]) -> None:
    """Take ids of several tables at once, for the `next_ids` calls of this unit of
    work to hand out (an intake: its case and its first tasks, one round trip on
    PostgreSQL where it was two). Ids not handed out are simply never used."""
    counts = {table: count for table, count in counts.items() if count > 0}
    if session.get_bind().dialect.name == "postgresql":
        found = _sequence_ids(session, counts)
    else:
        found = {table: next_ids(session, table, count) for table, count in counts.items()}
    reserved = session.info.setdefault(_RESERVED, {})
    for table, ids in found.items():
        reserved.setdefault(table.name, []).extend(ids)


def forget_reserved_ids(session) -> None:
    """SQLite's ids were counted inside the transaction that ended: another writer
    may take them now."""
    session.info.pop(_RESERVED, None)


# Session.info key of the deployed matter versions the sessions of one factory share
# (see engine.store.matters.version)
MATTER_VERSIONS = "matter_versions"


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions of one engine; engine.store.hooks.install gives them the store's hooks."""
    return sessionmaker(
        bind=engine, expire_on_commit=False, autoflush=True, info={MATTER_VERSIONS: {}}
    )
