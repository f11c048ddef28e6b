"""Database engine and sessions.

SQLite (the embedded default) gets WAL, a busy timeout and `BEGIN IMMEDIATE`
so that several processes writing the same case queue up instead of failing
on lock upgrade; PostgreSQL gets row locks (`SELECT ... FOR UPDATE`).
"""
from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import orjson
from sqlalchemy import JSON, Table, create_engine, event, func, insert, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session, sessionmaker

from . import pgconn


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
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    psycopg2 = url.startswith("postgresql+psycopg2")
    if psycopg2:
        # several rows updated at once (timers cancelled) go in one round trip
        kwargs.setdefault("executemany_mode", "values_plus_batch")
        # BEGIN with the first statement, COMMIT with the last write (engine.pgconn)
        kwargs["connect_args"] = {"connection_factory": pgconn.Connection,
                                  **kwargs.get("connect_args", {})}
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

    A connection of ours (engine.pgconn) takes them a block at a time and keeps
    what it did not hand out for its next units of work, so that most
    operations opening tasks, and most intakes, need no round trip for their
    ids: the sequence still hands every id out once, and one never used (a
    connection closed, a transaction rolled back) is a gap, as a rolled-back
    nextval always was. Ids are unique, not in time order across connections;
    nothing orders by them alone (a case's tasks go by when they started)."""
    pool = getattr(session.connection().connection.dbapi_connection, "id_pool", None)
    if pool is None:
        return _nextvals(session, counts)
    short = {table: max(count, ID_BLOCK) for table, count in counts.items()
             if len(pool.get(table.name, ())) < count}
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
        statement = _NEXTVALS[len(counts)] = text("SELECT " + ", ".join(
            f"ARRAY(SELECT nextval(pg_get_serial_sequence(:name{i}, 'id')) "
            f"FROM generate_series(1, :count{i})) AS ids{i}" for i in range(len(counts))))
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


@event.listens_for(Session, "after_rollback")
def _forget_reserved_ids(session) -> None:
    """SQLite's ids were counted inside the transaction that ended: another writer
    may take them now."""
    session.info.pop(_RESERVED, None)


class WriteBatch:
    """What a unit of work writes at commit (its new and changed case and task
    rows, history entries, timers scheduled and cancelled), sent to PostgreSQL in
    one round trip; elsewhere a statement each. Nothing is sent before `send`.

    psycopg2 quotes parameters itself (`mogrify`) and sends several statements
    in one `execute`, so on PostgreSQL each statement is rendered from a Core
    statement compiled once per process (SQLAlchemy cannot cache a statement
    whose multi-row VALUES vary, so it is not asked to) and the batch goes as
    one string. Errors still come back as SQLAlchemy's exceptions.
    Use as a context manager: the batch is sent when the block ends without error.
    """

    def __init__(self, session):
        self.session = session
        # set by the caller once nothing else will be written in this transaction: on
        # PostgreSQL its COMMIT then goes with the batch (see engine.pgconn)
        self.ends_transaction = False
        self.dialect = session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"
        self._sql: list[bytes] = []  # PostgreSQL: rendered, sent as one
        # elsewhere: (statement, parameters, the row's name if exactly one must match)
        self._statements: list[tuple] = []
        self._dbapi_cursor = None  # for mogrify only

    def __enter__(self) -> "WriteBatch":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.send()

    def insert(self, table: Table, rows: list[dict]) -> None:
        if not rows:
            return
        if not self.postgres:
            self._statements.append((insert(table), rows, None))
            return
        with_ids = any(c.primary_key and c.name in rows[0] for c in table.columns)
        prefix, row_sql, columns = _insert_template(table, self.dialect, with_ids)
        self._add(("insert", table, with_ids, len(rows)),
                  lambda: prefix + b", ".join([row_sql] * len(rows)),
                  [process(row[name] if name in row else default())
                   for row in rows for name, process, default in columns])

    def execute(self, statement, params: dict) -> None:
        """A statement whose expanding parameters (`IN`) are given as lists."""
        if not self.postgres:
            self._statements.append((statement, params, None))
            return
        sql, names, processors = _any_template(statement, self.dialect)
        self._add(("execute", statement), lambda: sql,
                  [params[name] if isinstance(params[name], list)
                   else processors[name](params[name]) for name in names])

    def update(self, table: Table, where: dict, values: dict, *, row: str | None = None) -> None:
        """UPDATE of the row(s) whose columns equal `where`. With `row` (its name for
        the error) exactly one row must match, else StaleDataError: the version in
        `where` was not the stored one."""
        if not self.postgres:
            statement = sql_update(table).where(*(table.c[k] == v for k, v in where.items()))
            self._statements.append((statement.values(values), None, row))
            return
        sql, processors = _update_template(table, tuple(values), tuple(where), row is not None,
                                           self.dialect)
        params = [processors[k](v) for k, v in values.items()]
        params += [processors[k](v) for k, v in where.items()]
        if row is not None:
            params.append(row)
        self._add(sql, lambda: sql, params)

    def _add(self, key, sql, params: list) -> None:
        """One statement (`sql()`: with a %s per parameter; `key` names its shape),
        rendered with its values. Where the connection keeps prepared statements,
        the statement is prepared on it once (its own round trip, the first time)
        and the batch carries `EXECUTE` with the values: the server then neither
        parses nor plans it again, most of its time for a case's UPDATE."""
        cursor = self._cursor()
        prepared = getattr(cursor.connection, "prepared", None)
        if prepared is not None and len(params) <= MAX_PREPARED_PARAMETERS:
            name, prepare, execute = _prepared_write(key, sql, len(params))
            _prepare_once(self.session.connection(), prepared, name, prepare)
            self._sql.append(cursor.mogrify(execute, params))
        else:
            self._sql.append(cursor.mogrify(sql(), params))

    def send(self) -> None:
        for statement, params, row in self._statements:
            result = self.session.execute(statement, params,
                                          execution_options={"synchronize_session": False})
            if row is not None and result.rowcount != 1:
                raise StaleDataError(f"{row} was changed by another transaction")
        self._statements = []
        if self._sql:
            sql, self._sql = b";\n".join(self._sql).decode(), []
            if self.ends_transaction and isinstance(
                    self.session.connection().connection.dbapi_connection, pgconn.Connection):
                sql += pgconn.COMMIT_WITH_IT
            try:
                run_plain(self.session, sql)
            except DataError as exc:
                if _STALE in str(exc.orig):  # a guarded update matched no row
                    name = str(exc.orig).split(_STALE, 1)[1].split('"', 1)[0]
                    raise StaleDataError(f"{name} was changed by another transaction") from None
                raise
            except DBAPIError as exc:
                _invalidate_if_prepared_lost(self.session.connection(), exc)
                raise

    def _cursor(self):
        if self._dbapi_cursor is None:
            self._dbapi_cursor = self.session.connection().connection.dbapi_connection.cursor()
        return self._dbapi_cursor


_TEMPLATES: dict = {}


_STALE = "changed by another transaction: "


def _update_template(table: Table, set_keys: tuple, where_keys: tuple, guarded: bool,
                     dialect) -> tuple[bytes, dict]:
    """`UPDATE t SET a=%s WHERE b=%s`; guarded, a statement that fails unless exactly
    one row was updated (PostgreSQL cannot say so of one statement among several)."""
    key = ("update", table, set_keys, where_keys, guarded, dialect)
    if key not in _TEMPLATES:
        quote = dialect.identifier_preparer
        cols = table.c
        sets = ", ".join(f"{quote.format_column(cols[k])} = {_placeholder(cols[k])}"
                         for k in set_keys)
        where = " AND ".join(f"{quote.format_column(cols[k])} = %s" for k in where_keys)
        sql = f"UPDATE {quote.format_table(table)} SET {sets} WHERE {where}"
        if guarded:  # not constant: the planner must not evaluate the CAST beforehand
            sql = (f"WITH changed AS ({sql} RETURNING 1) SELECT CAST(CASE WHEN count(*) = 1 "
                   f"THEN '1' ELSE '{_STALE}' || CAST(%s AS TEXT) END AS INTEGER) "
                   "FROM changed")
        _TEMPLATES[key] = (sql.encode(), {k: cols[k].type.bind_processor(dialect) or _same
                                          for k in set_keys + where_keys})
    return _TEMPLATES[key]


def _insert_template(table: Table, dialect, with_ids: bool) -> tuple[bytes, bytes, list]:
    """`INSERT INTO t (a, b) VALUES `, `(%s, %s)`, and per column its name, bind
    processor and default; the id column only for rows whose ids were taken first."""
    key = ("insert", table, dialect, with_ids)
    if key not in _TEMPLATES:
        columns = [c for c in table.columns
                   if with_ids or not (c.primary_key and c.autoincrement)]
        names = ", ".join(dialect.identifier_preparer.format_column(c) for c in columns)
        prefix = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES "
        row = "(" + ", ".join(_placeholder(c) for c in columns) + ")"
        _TEMPLATES[key] = (prefix.encode(), row.encode(),
                           [(c.name, c.type.bind_processor(dialect) or _same, column_default(c))
                            for c in columns])
    return _TEMPLATES[key]


def _any_template(statement, dialect) -> tuple[bytes, list[str], dict]:
    """The statement with a %s per parameter, in the order of `names`, and each
    `IN` of an expanding parameter written `= ANY(%s)`, given a list (an array):
    one statement, to prepare once, whatever the number of values."""
    key = ("any", statement, dialect)
    if key not in _TEMPLATES:
        sql, processors, _, _ = _template(statement, dialect)
        if re.search(r"NOT IN %\(\w+\)s", sql):
            raise ValueError("WriteBatch.execute takes no NOT IN")
        sql = re.sub(r" IN %\((\w+)\)s", r" = ANY(%(\1)s)", sql)
        names = re.findall(r"%\((\w+)\)s", sql)
        _TEMPLATES[key] = (re.sub(r"%\((\w+)\)s", "%s", sql).encode(), names, processors)
    return _TEMPLATES[key]


def _placeholder(column) -> str:
    """JSON typed as such: a list of VALUES does not take its types from the columns."""
    return "%s::JSON" if isinstance(column.type, JSON) else "%s"


def _same(value):
    return value


def column_default(column):
    """What the ORM would write for a column a row leaves out: its Python-side default."""
    default = column.default
    if default is None:
        return lambda: None
    if default.is_callable:
        return lambda: default.arg(None)
    if default.is_scalar:
        return lambda: default.arg
    raise ValueError(f"{column}: a default WriteBatch cannot compute")


def _template(statement, dialect) -> tuple[str, dict, dict, bool]:
    """The statement as psycopg2 SQL with %(name)s placeholders (an expanding `IN`
    becomes one placeholder, given a tuple), each parameter's bind processor, the
    values of its literal parameters, and whether it has expanding ones.
    Kept per statement object: callers pass statements built once (module constants)."""
    key = ("statement", statement, dialect)
    if key not in _TEMPLATES:
        compiled = statement.compile(dialect=dialect)
        sql = re.sub(r"\(__\[POSTCOMPILE_(\w+)\]\)", r"%(\1)s", compiled.string)
        processors = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) or _same
                      for name, bind in compiled.binds.items() if not bind.expanding}
        literals = {name: value for name, value in compiled.params.items()
                    if value is not None and name in processors}
        _TEMPLATES[key] = (sql, processors, literals,
                           any(bind.expanding for bind in compiled.binds.values()))
    return _TEMPLATES[key]


def select_rows(session, statement, params: dict, first=None) -> list[dict]:
    """The rows of a statement built once (a module constant), as dicts by column
    name, in the session's transaction (nothing is flushed first).

    Every operation on a case runs three or four small reads (the token's user,
    the case locked, its tasks); SQLAlchemy's execution and result set-up cost
    some 50 µs each beyond the statement's own work, and more per row. On
    PostgreSQL the statement goes straight to the connection's DBAPI cursor,
    compiled once, with the columns' own bind and result processors, so the
    values are what SQLAlchemy would give; a failure comes back as SQLAlchemy's
    exception, and a lost connection is invalidated as SQLAlchemy would. Where
    something listens to statements (tests count them) they go SQLAlchemy's way.

    Each statement is also prepared on the server once per connection
    (`PREPARE`, then `EXECUTE` with the values): PostgreSQL then neither parses
    nor plans it again, which was half of the server's time for reading a
    case's tasks (0.26-0.33 -> 0.12-0.18 ms). A connection that cannot keep
    prepared statements (behind PgBouncer's transaction pooling) is made with
    `make_engine(..., prepared_statements=False)`.

    `first`, if given, is a statement run just before, whose rows are not
    wanted (a `SELECT ... FOR UPDATE`): on PostgreSQL it goes in the same
    round trip, as a statement of its own, so the statement after it still
    reads with a snapshot taken once the lock is held. Both take `params`."""
    connection = session.connection()
    dialect = connection.dialect
    if not _plain(connection):
        if first is not None:
            connection.execute(first, params)
        return [dict(row._mapping) for row in connection.execute(statement, params)]
    prepared = getattr(connection.connection.dbapi_connection, "prepared", None)
    values, sqls = {}, []
    for one in (statement,) if first is None else (first, statement):
        sql, binds, literals, expanding = _template(one, dialect)
        if expanding:
            raise ValueError("select_rows takes no expanding parameters")
        mine = {name: binds[name](value)
                for name, value in {**literals, **params}.items() if name in binds}
        if any(name in values and values[name] != value for name, value in mine.items()):
            raise ValueError("the two statements give one literal parameter two values")
        values.update(mine)
        if prepared is not None:
            name, prepare, sql = _prepared_template(one, dialect)
            _prepare_once(connection, prepared, name, prepare)
        sqls.append(sql)
    sql = ";\n".join(sqls)
    try:
        found, description = _on_cursor(connection, sql, values, fetch=True)
    except DBAPIError as exc:
        _invalidate_if_prepared_lost(connection, exc)
        raise
    names, results = _result_columns(statement, dialect, description)
    if results:
        found = [[value if process is None else process(value)
                  for process, value in zip(results, row)] for row in found]
    return [dict(zip(names, row)) for row in found]


def run_plain(session, sql: str) -> None:
    """SQL with no parameters (its % signs are data), in the session's transaction:
    on PostgreSQL straight on the DBAPI cursor, as `select_rows` reads."""
    connection = session.connection()
    if _plain(connection):
        _on_cursor(connection, sql, None, fetch=False)
    else:
        connection.exec_driver_sql(sql, execution_options={"no_parameters": True})


def _plain(connection) -> bool:
    """Whether statements go straight to the DBAPI cursor: on PostgreSQL, unless
    something listens to statements (tests count them)."""
    return connection.dialect.name == "postgresql" and \
        not connection.dispatch.before_cursor_execute


def _on_cursor(connection, sql: str, params: dict | None, fetch: bool) -> tuple:
    """(rows, description) of `sql` run on a cursor of the connection's DBAPI
    connection; a failure raised as SQLAlchemy would (its exception class, the
    connection invalidated if the server is gone)."""
    dialect = connection.dialect
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
        return (cursor.fetchall(), cursor.description) if fetch else (None, None)
    except dialect.loaded_dbapi.Error as exc:
        invalidated = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if invalidated:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=invalidated, dialect=dialect) from exc
    finally:
        cursor.close()


# the server no longer has the statement (DEALLOCATE, DISCARD ALL), or a schema
# change altered its result's columns
_PREPARED_LOST = ("26000", "0A000")
# a write with more values than this is sent as it is (one prepared statement
# per number of rows of an INSERT: many rows would make many statements)
MAX_PREPARED_PARAMETERS = 256


def _invalidate_if_prepared_lost(connection, exc: DBAPIError) -> None:
    """A connection whose prepared statements are gone leaves the pool: the next
    one prepares afresh."""
    if getattr(connection.connection.dbapi_connection, "prepared", None) is not None and \
            getattr(exc.orig, "pgcode", None) in _PREPARED_LOST:
        connection.invalidate(exc)


def _prepare_once(connection, prepared: set[str], name: str, prepare: str) -> None:
    """`prepare` (a PREPARE of `name`) run on the connection, unless `prepared`, the
    names the connection has, holds it already."""
    if name not in prepared:
        _on_cursor(connection, prepare, None, fetch=False)
        prepared.add(name)  # PREPARE outlives a rollback: the name stays taken


def _named(body: str) -> tuple[str, str]:
    """A statement's name, from its text ($1, $2, ... for its parameters), and its
    PREPARE: the same statement gets the same name in every process."""
    name = "onething_" + hashlib.sha1(body.encode()).hexdigest()[:16]
    return name, f"PREPARE {name} AS {body}"


def _prepared_write(key, sql, count: int) -> tuple[str, str, bytes]:
    """(name, `PREPARE name AS ...` with the %s placeholders numbered, `EXECUTE
    name(%s, ...)`) of a write of shape `key`, whose SQL `sql()` gives."""
    cache_key = ("prepared write", key)
    if cache_key not in _TEMPLATES:
        numbers = iter(range(1, count + 1))
        text_ = sql().decode()
        if "%%" in text_:
            raise ValueError("a write to prepare has a literal % sign")
        name, prepare = _named(re.sub(r"%s", lambda _: f"${next(numbers)}", text_))
        arguments = ", ".join(["%s"] * count)
        _TEMPLATES[cache_key] = (name, prepare, f"EXECUTE {name}({arguments})".encode())
    return _TEMPLATES[cache_key]


def _prepared_template(statement, dialect) -> tuple[str, str, str]:
    """(a name for the statement, `PREPARE name AS ...` with its parameters
    numbered, `EXECUTE name(...)` taking them by name, in the same order)."""
    key = ("prepared", statement, dialect)
    if key not in _TEMPLATES:
        sql = _template(statement, dialect)[0]
        order: list[str] = []

        def numbered(match) -> str:
            if match.group(1) not in order:
                order.append(match.group(1))
            return f"${order.index(match.group(1)) + 1}"
        name, prepare = _named(re.sub(r"%\((\w+)\)s", numbered, sql).replace("%%", "%"))
        arguments = ", ".join(f"%({p})s" for p in order)
        _TEMPLATES[key] = (name, prepare,
                           f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}")
    return _TEMPLATES[key]


def _result_columns(statement, dialect, description) -> tuple[list[str], list | None]:
    """The result's column names and each column's result processor (None if no
    column has one), from the statement's columns and the driver's type codes
    (known once the statement has run)."""
    key = ("results", statement, dialect)
    if key not in _TEMPLATES:
        columns = list(getattr(statement, "selected_columns", ()))
        if not columns:  # text: names as the driver gives them, values as they come
            _TEMPLATES[key] = ([d[0] for d in description], None)
        else:
            results = [c.type.dialect_impl(dialect).result_processor(dialect, d[1])
                       for c, d in zip(columns, description)]
            _TEMPLATES[key] = ([c.name for c in columns], results if any(results) else None)
    return _TEMPLATES[key]


# Session.info key of the deployed matter versions the sessions of one factory share
# (see engine.matters.version)
MATTER_VERSIONS = "matter_versions"


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True,
                        info={MATTER_VERSIONS: {}})
