"""Reads and writes straight on the DBAPI cursor, prepared once per connection.

Every operation on a case runs a few small reads (the token's user, the case
locked, its tasks) and one write; SQLAlchemy's execution and result set-up
cost some 50 µs a statement beyond the statement's own work. On PostgreSQL
these go to the connection's psycopg2 cursor, compiled once per process, with
the columns' own bind and result processors, each statement prepared on the
server once per connection (`PREPARE`, then `EXECUTE`). Elsewhere (SQLite)
they go SQLAlchemy's way. Nothing outside engine.store calls into this.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy.exc import DBAPIError

_TEMPLATES: dict = {}


def _same(value):
    return value


def _template(statement, dialect) -> tuple[str, dict, dict, bool]:
    """The statement as psycopg2 SQL with %(name)s placeholders (an expanding `IN`
    becomes one placeholder, given a tuple), each parameter's bind processor, the
    values of its literal parameters, and whether it has expanding ones.
    Kept per statement object: callers pass statements built once (module constants)."""
    key = ("statement", statement, dialect)
    if key not in _TEMPLATES:
        compiled = statement.compile(dialect=dialect)
        sql = re.sub(r"\(__\[POSTCOMPILE_(\w+)\]\)", r"%(\1)s", compiled.string)
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect) or _same
            for name, bind in compiled.binds.items()
            if not bind.expanding
        }
        literals = {
            name: value
            for name, value in compiled.params.items()
            if value is not None and name in processors
        }
        _TEMPLATES[key] = (
            sql,
            processors,
            literals,
            any(bind.expanding for bind in compiled.binds.values()),
        )
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
    SQLite they go SQLAlchemy's way.

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
        mine = {
            name: binds[name](value)
            for name, value in {**literals, **params}.items()
            if name in binds
        }
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
        found = [
            [value if process is None else process(value) for process, value in zip(results, row)]
            for row in found
        ]
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
    """Whether statements go straight to the DBAPI cursor: on PostgreSQL (its
    connections are engine.store.pgconn's, which count what they send for tests)."""
    return connection.dialect.name == "postgresql"


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
        raise DBAPIError.instance(
            sql,
            params,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=dialect,
        ) from exc
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
    if (
        getattr(connection.connection.dbapi_connection, "prepared", None) is not None
        and getattr(exc.orig, "pgcode", None) in _PREPARED_LOST
    ):
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
        _TEMPLATES[key] = (
            name,
            prepare,
            f"EXECUTE {name}({arguments})" if order else f"EXECUTE {name}",
        )
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
            results = [
                c.type.dialect_impl(dialect).result_processor(dialect, d[1])
                for c, d in zip(columns, description)
            ]
            _TEMPLATES[key] = ([c.name for c in columns], results if any(results) else None)
    return _TEMPLATES[key]
