"""psycopg2 connections whose BEGIN rides with the transaction's first statement.

psycopg2 opens every transaction with a `BEGIN` of its own, a round trip to
the server before the statement that needed it, and `commit()` is another.
An operation on a case is four or five statements, so those two are a third
of its round trips, and a sync web worker waits through each of them.

`Connection` keeps the same transactions with fewer round trips. The driver
runs in autocommit mode underneath, and the connection begins transactions
itself: when a statement is sent while no transaction is open, "BEGIN;" goes
in front of it, in the same message (psycopg2 sends a string of several
statements as one). `commit()` and `rollback()` send COMMIT or ROLLBACK only
if the server says a transaction is open, so a caller that ended the
transaction inside its last statement (`COMMIT_WITH_IT`, used by
engine.store.WriteBatch for the unit of work's final write) saves that round
trip too. To SQLAlchemy and everything above it the connection behaves as
psycopg2's own: a transaction from the first statement until commit or
rollback, and `autocommit` (SQLAlchemy's AUTOCOMMIT isolation level, e.g.
for VACUUM) still means no transaction at all. Server-side (named) cursors,
which psycopg2 only opens inside a transaction it began itself, are not
supported; nothing here uses them (SQLAlchemy's `stream_results` would).
"""

from __future__ import annotations

import psycopg2.extensions as ext

_IDLE = ext.TRANSACTION_STATUS_IDLE
_BEGIN = {
    ext.ISOLATION_LEVEL_READ_COMMITTED: "BEGIN;",
    None: "BEGIN;",
    ext.ISOLATION_LEVEL_READ_UNCOMMITTED: "BEGIN ISOLATION LEVEL READ UNCOMMITTED;",
    ext.ISOLATION_LEVEL_REPEATABLE_READ: "BEGIN ISOLATION LEVEL REPEATABLE READ;",
    ext.ISOLATION_LEVEL_SERIALIZABLE: "BEGIN ISOLATION LEVEL SERIALIZABLE;",
}
# what a caller appends to the last statement of its transaction to commit it there
COMMIT_WITH_IT = ";\nCOMMIT"


class Cursor(ext.cursor):
    """psycopg2's cursor, sending the connection's BEGIN ahead of a statement
    that opens a transaction."""

    def execute(self, query, vars=None):
        begin = self.connection.begin_needed()
        if begin:
            query = begin + query if isinstance(query, str) else begin.encode() + query
        if self.connection.sent is not None:
            self.connection.sent.append(query)
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        begin = self.connection.begin_needed()
        if begin:
            super().execute(begin)
        if self.connection.sent is not None:
            self.connection.sent.extend([query] * len(vars_list))
        return super().executemany(query, vars_list)


class Connection(ext.connection):
    """psycopg2's connection (the `connection_factory` of engine.store.make_engine),
    beginning its transactions itself: see the module's docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ext.connection.autocommit.__set__(self, True)  # the driver never begins by itself
        self.cursor_factory = Cursor
        self._autocommit = False  # what the connection's user asked for
        self._begin = _BEGIN[None]
        # names of the statements prepared on this connection (engine.store.select_rows);
        # None: the connection does not use prepared statements
        self.prepared: set[str] | None = set()
        # table name -> ids taken from its sequence, not yet handed out (engine.store.db)
        self.id_pool: dict[str, list[int]] = {}
        # None, or a list every message sent to the server is appended to (each a round
        # trip; tests count them on the path production takes)
        self.sent: list | None = None

    def begin_needed(self) -> str | None:
        """The BEGIN to send ahead of a statement, if it must open a transaction."""
        if self._autocommit or self.get_transaction_status() != _IDLE:
            return None
        return self._begin

    def commit(self):
        self._end("COMMIT")

    def rollback(self):
        self._end("ROLLBACK")

    def _end(self, command: str) -> None:
        if self.get_transaction_status() != _IDLE:
            cursor = ext.cursor(self)  # the plain cursor: nothing goes in front
            if self.sent is not None:
                self.sent.append(command)
            try:
                cursor.execute(command)
            finally:
                cursor.close()

    @property
    def autocommit(self) -> bool:
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._autocommit = bool(value)

    def set_isolation_level(self, level) -> None:
        """How SQLAlchemy's psycopg2 dialect sets the isolation level (and autocommit)."""
        if level == ext.ISOLATION_LEVEL_AUTOCOMMIT:
            self._autocommit = True
        else:
            self._autocommit, self._begin = False, _BEGIN[level]

    @property
    def isolation_level(self):
        if self._autocommit:
            return ext.ISOLATION_LEVEL_AUTOCOMMIT
        return next(level for level, begin in _BEGIN.items() if begin == self._begin)
