"""A unit of work's timer bookkeeping: its cases' pending timers, and what changes.

Every operation on a case asks for its pending timers (warning cards, BPMN
timers) and decides which to keep, cancel or add. The book reads them once
per unit of work (or takes them from the case's read: engine.store.cases),
keeps what was decided, and writes it into the commit's batch: one UPDATE for
what is cancelled, one INSERT for what is new (see engine.store.uow).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select, update

from ..store.batch import WriteBatch
from ..store.models import PENDING_TIMER, PENDING_TIMER_COLUMNS, Timer


class Pending(NamedTuple):
    """A pending timer as the bookkeeping sees it (not an ORM object)."""

    id: int | None  # None: scheduled by this unit of work, written when it commits
    kind: str
    key: str
    due_at: datetime
    task_id: int | None


_PENDING_OF_CASES = select(Timer.case_id, *PENDING_TIMER_COLUMNS).where(
    Timer.case_id.in_(bindparam("case_ids", expanding=True)), *PENDING_TIMER
)
_CANCEL_OF_CASES = (
    update(Timer)
    .where(Timer.case_id.in_(bindparam("case_ids", expanding=True)), *PENDING_TIMER)
    .values(cancelled_at=bindparam("now"))
)
# by case too: the index of a case's pending timers finds them in any database
_CANCEL = (
    update(Timer)
    .where(
        Timer.case_id.in_(bindparam("case_ids", expanding=True)),
        Timer.id.in_(bindparam("ids", expanding=True)),
        *PENDING_TIMER,
    )
    .values(cancelled_at=bindparam("now"))
)


class TimerBook:
    def __init__(self):
        # case id -> its pending timers, as read and as changed since
        self.pending: dict[int, list[Pending]] = {}
        self.new: list[dict] = []
        self.cancelled: list[tuple[int, int]] = []  # (case id, timer id)
        self.ended: set[int] = set()  # cases whose every pending timer goes

    def read(self, session, case_ids: list[int]) -> None:
        """The pending timers of many cases in one query (a batch of fired timers)."""
        found: dict[int, list[Pending]] = {case_id: [] for case_id in case_ids}
        with session.no_autoflush:
            for row in session.execute(_PENDING_OF_CASES, {"case_ids": case_ids}):
                found[row.case_id].append(Pending(*row[1:]))
        self.pending.update(found)

    def take_json(self, case_id: int, found: list) -> None:
        """The case's pending timers as its read carried them (engine.store.cases), unless
        the book has them already (with what it changed since)."""
        if case_id in self.pending:
            return
        self.pending[case_id] = [
            Pending(timer_id, kind, key, datetime.fromisoformat(due_at), task_id)
            for timer_id, kind, key, due_at, task_id in found
        ]

    def write(self, uow, batch: WriteBatch) -> None:
        """What was decided, in a statement each of the commit's batch (a timer fired
        meanwhile stays fired)."""
        if self.ended:
            case_ids, self.ended = sorted(self.ended), set()
            batch.execute(_CANCEL_OF_CASES, {"case_ids": case_ids, "now": uow.now()})
        if self.cancelled:
            cancelled, self.cancelled = self.cancelled, []
            batch.execute(
                _CANCEL,
                {
                    "case_ids": sorted({case_id for case_id, _ in cancelled}),
                    "ids": [timer_id for _, timer_id in cancelled],
                    "now": uow.now(),
                },
            )
        if self.new:
            rows, self.new = self.new, []
            batch.insert(Timer.__table__, rows)
