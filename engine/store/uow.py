"""Unit of work: one transaction per service operation; nothing else commits.

What an operation appends (history entries, and what the books it was given
keep: timers scheduled or cancelled) is written, with its new and changed case
and task rows, in one batch just before the commit (see engine.store.batch,
engine.store.rows). The books are chosen by the composition root
(engine.runtime): the store knows only that a book writes itself into the
commit's batch.
"""

from __future__ import annotations

from typing import Callable, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from .batch import WriteBatch
from .history import write_pending as write_history
from .rows import LOCKED, write_changed, write_new


class Book(Protocol):
    """Bookkeeping of one unit of work, written into its commit's batch."""

    def write(self, uow: "UnitOfWork", batch: WriteBatch) -> None: ...


B = TypeVar("B")


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker,
        clock,
        notifier=None,
        books: tuple[Callable[[], Book], ...] = (),
    ):
        self._factory = session_factory
        self.clock = clock
        self.notifier = notifier
        self._book_types = books
        self.session: Session | None = None
        self._forget()

    def _forget(self) -> None:
        self._after_commit: list = []
        self.events: list[dict] = []  # history entries not yet written (engine.store.history)
        self.books = {kind: kind() for kind in self._book_types}
        # what the operation read once and may ask again (e.g. the active staff)
        self.cache: dict = {}

    def book(self, kind: type[B]) -> B:
        """This unit of work's book of `kind` (as the runtime gave it)."""
        return self.books[kind]

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
            for book in self.books.values():
                book.write(self, batch)
            # the last write: the session has nothing left to flush at its commit
            batch.ends_transaction = not (
                self.session.new or self.session.dirty or self.session.deleted
            )
        self.session.commit()
        self.session.info.pop(LOCKED, None)  # the transaction's row locks are gone
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
