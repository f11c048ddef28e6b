"""The commit's writes, in one round trip on PostgreSQL (`WriteBatch`).

A guarded UPDATE (exactly one row must match: a row written at the version it
was read at) is sent before the rest of the batch, on its own, and its
`RETURNING` tells whether it matched; a row held by its lock since it was read
needs no guard (engine.store.rows writes a locked case without one), so the
common path stays one round trip.
"""

from __future__ import annotations

import re

from sqlalchemy import JSON, Table, insert
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from . import pgconn
from .plain import (
    _TEMPLATES,
    MAX_PREPARED_PARAMETERS,
    _invalidate_if_prepared_lost,
    _on_cursor,
    _prepare_once,
    _prepared_write,
    _same,
    _template,
    run_plain,
)


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
        # PostgreSQL its COMMIT then goes with the batch (see engine.store.pgconn)
        self.ends_transaction = False
        self.dialect = session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"
        self._sql: list[bytes] = []  # PostgreSQL: rendered, sent as one
        # elsewhere: (statement, parameters, the row's name if exactly one must match)
        self._statements: list[tuple] = []
        # PostgreSQL: guarded UPDATEs (sql, values, the row's name), sent first, each alone
        self._guarded: list[tuple[bytes, list, str]] = []
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
        self._add(
            ("insert", table, with_ids, len(rows)),
            lambda: prefix + b", ".join([row_sql] * len(rows)),
            [
                process(row[name] if name in row else default())
                for row in rows
                for name, process, default in columns
            ],
        )

    def execute(self, statement, params: dict) -> None:
        """A statement whose expanding parameters (`IN`) are given as lists."""
        if not self.postgres:
            self._statements.append((statement, params, None))
            return
        sql, names, processors = _any_template(statement, self.dialect)
        self._add(
            ("execute", statement),
            lambda: sql,
            [
                params[name] if isinstance(params[name], list) else processors[name](params[name])
                for name in names
            ],
        )

    def update(self, table: Table, where: dict, values: dict, *, row: str | None = None) -> None:
        """UPDATE of the row(s) whose columns equal `where`. With `row` (its name for
        the error) exactly one row must match, else StaleDataError: the version in
        `where` was not the stored one."""
        if not self.postgres:
            statement = sql_update(table).where(*(table.c[k] == v for k, v in where.items()))
            self._statements.append((statement.values(values), None, row))
            return
        sql, processors = _update_template(
            table, tuple(values), tuple(where), row is not None, self.dialect
        )
        params = [processors[k](v) for k, v in values.items()]
        params += [processors[k](v) for k, v in where.items()]
        if row is not None:
            self._guarded.append((sql, params, row))
        else:
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
            result = self.session.execute(
                statement, params, execution_options={"synchronize_session": False}
            )
            if row is not None and result.rowcount != 1:
                raise StaleDataError(f"{row} was changed by another transaction")
        self._statements = []
        guarded, self._guarded = self._guarded, []
        for sql, params, row in guarded:
            connection = self.session.connection()
            found, _ = _on_cursor(
                connection, self._cursor().mogrify(sql, params).decode(), None, fetch=True
            )
            if len(found) != 1:
                raise StaleDataError(f"{row} was changed by another transaction")
        if self._sql:
            sql, self._sql = b";\n".join(self._sql).decode(), []
            if self.ends_transaction and isinstance(
                self.session.connection().connection.dbapi_connection, pgconn.Connection
            ):
                sql += pgconn.COMMIT_WITH_IT
            try:
                run_plain(self.session, sql)
            except DBAPIError as exc:
                _invalidate_if_prepared_lost(self.session.connection(), exc)
                raise

    def _cursor(self):
        if self._dbapi_cursor is None:
            self._dbapi_cursor = self.session.connection().connection.dbapi_connection.cursor()
        return self._dbapi_cursor


def _update_template(
    table: Table, set_keys: tuple, where_keys: tuple, guarded: bool, dialect
) -> tuple[bytes, dict]:
    """`UPDATE t SET a=%s WHERE b=%s`; guarded, with `RETURNING 1` (one row back:
    it matched)."""
    key = ("update", table, set_keys, where_keys, guarded, dialect)
    if key not in _TEMPLATES:
        quote = dialect.identifier_preparer
        cols = table.c
        sets = ", ".join(
            f"{quote.format_column(cols[k])} = {_placeholder(cols[k])}" for k in set_keys
        )
        where = " AND ".join(f"{quote.format_column(cols[k])} = %s" for k in where_keys)
        sql = f"UPDATE {quote.format_table(table)} SET {sets} WHERE {where}"
        if guarded:
            sql += " RETURNING 1"
        _TEMPLATES[key] = (
            sql.encode(),
            {k: cols[k].type.bind_processor(dialect) or _same for k in set_keys + where_keys},
        )
    return _TEMPLATES[key]


def _insert_template(table: Table, dialect, with_ids: bool) -> tuple[bytes, bytes, list]:
    """`INSERT INTO t (a, b) VALUES `, `(%s, %s)`, and per column its name, bind
    processor and default; the id column only for rows whose ids were taken first."""
    key = ("insert", table, dialect, with_ids)
    if key not in _TEMPLATES:
        columns = [c for c in table.columns if with_ids or not (c.primary_key and c.autoincrement)]
        names = ", ".join(dialect.identifier_preparer.format_column(c) for c in columns)
        prefix = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES "
        row = "(" + ", ".join(_placeholder(c) for c in columns) + ")"
        _TEMPLATES[key] = (
            prefix.encode(),
            row.encode(),
            [(c.name, c.type.bind_processor(dialect) or _same, column_default(c)) for c in columns],
        )
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
