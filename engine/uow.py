"""Unit of work: one transaction per engine operation; nothing else commits.

What an operation appends (history entries, timers scheduled or cancelled) is
kept here and written, with its new and changed case and task rows, in one
batch just before the commit (see engine.db.WriteBatch, engine.rows)."""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from .db import WriteBatch
from .history import write_pending as write_history
from .now import SystemClock
from .rows import write_changed, write_new
from .timers import write_pending as write_timers


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker, clock=None, notifier=None):
        self._factory = session_factory
        self.clock = clock or SystemClock()
        self.notifier = notifier
        self.session: Session | None = None
        self._forget()

    def _forget(self) -> None:
        self._after_commit: list = []
        self.events: list[dict] = []  # history entries not yet written (see engine.history)
        # case id -> its pending timers, read once per unit of work, and the timers
        # scheduled and cancelled since, written at commit (see engine.timers)
        self.pending_timers: dict[int, list] = {}
        self.timers_new: list[dict] = []
        self.timers_cancelled: list[tuple[int, int]] = []  # (case id, timer id)
        self.timers_ended: set[int] = set()  # cases whose every pending timer goes

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        self._forget()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        with WriteBatch(self.session) as batch:
            # new rows first (what follows may refer to them), then changed ones; other
            # kinds of rows are the ORM's flush, which runs before the batch is sent
            write_new(self.session, batch)
            write_changed(self.session, batch)
            self.session.flush()
            write_history(self, batch)
            write_timers(self, batch)
            # the last write: the session has nothing left to flush at its commit
            batch.ends_transaction = not (self.session.new or self.session.dirty
                                          or self.session.deleted)
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        """Undo the transaction so far, and forget what was kept to write or run."""
        self.session.rollback()
        self._forget()

    def after_commit(self, callback) -> None:
        """Run `callback` once the transaction is durable (e.g. enqueue a job)."""
        self._after_commit.append(callback)

    def now(self):
        return self.clock.now()
