"""Warning timers fired many at a time: a burst of cards costs a few statements.

A warning timer says "the card of this case (or of this task) may move now".
On the first working day after a holiday thousands fall due in the same
second, so a batch is worked from plain rows: one read each for the cases,
their open tasks, their pending timers and their matters; each
target's level as of now (the same rule as `cards.refresh`); then one
statement per table for the changed cards, their events, and the timers the
targets want next. Only the fired timer's target is looked at: every other
target of the case has timers of its own.

A case whose clock is not running (ended, 补正, 特别程序), or that this unit
of work already holds as an object, goes through `cards.refresh`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import bindparam, select, update

from ..domain.statuses import OPEN, clock_running
from ..store import history
from ..store.models import Case, Matter, Task
from ..timers.book import TimerBook
from ..timers.schedule import Wanted, sync
from .cards import KIND, announce, change_record, refresh, target_outlook
from .specs import compiled


def fire(uow, fired: list) -> None:
    """The effect of warning timers (registered for their kind by engine.runtime)."""
    session = uow.session
    targets: dict[int, set] = defaultdict(set)  # case id -> {None (the case), task ids}
    for timer in fired:
        targets[timer.case_id].add(timer.task_id)
    cases = {
        row.id: row
        for row in session.execute(
            select(
                Case.id,
                Case.case_no,
                Case.status,
                Case.clock,
                Case.due_at,
                Case.warning,
                Case.matter_id,
            ).where(Case.id.in_(list(targets)))
        )
    }
    one_by_one = [
        case_id
        for case_id, row in cases.items()
        if not clock_running(row.status)
        or "stopped_at" in (row.clock or {})
        or session.identity_map.get(session.identity_key(Case, case_id)) is not None
    ]
    for case_id in one_by_one:
        refresh(uow, session.get(Case, case_id))
        del cases[case_id]
    if cases:
        _Batch(uow, cases).run(targets)


class _Batch:
    """The plain rows of a batch's cases and what firing their timers changes."""

    def __init__(self, uow, cases: dict):
        self.uow, self.session, self.now = uow, uow.session, uow.now()
        self.cases = cases
        ids = list(cases)
        self.open_tasks: dict[int, dict] = {}
        self.departments: dict[int, set] = defaultdict(set)
        for row in self.session.execute(
            select(
                Task.id,
                Task.case_id,
                Task.task,
                Task.name,
                Task.department,
                Task.due_at,
                Task.warning,
            ).where(Task.case_id.in_(ids), Task.state.in_(OPEN))
        ):
            self.open_tasks[row.id] = row
            self.departments[row.case_id].add(row.department)
        uow.book(TimerBook).read(self.session, ids)
        matter_ids = {row.matter_id for row in cases.values()}
        self.matters = {
            m.id: (m.key, compiled(m).settings)
            for m in self.session.scalars(select(Matter).where(Matter.id.in_(matter_ids)))
        }
        self.case_cards, self.task_cards = [], []

    def run(self, targets: dict[int, set]) -> None:
        for case_id, row in self.cases.items():
            for task_id in sorted(targets[case_id], key=lambda t: (t is not None, t)):
                self._target(row, task_id)
        self._write()

    def _target(self, case, task_id: int | None) -> None:
        """The card of one target as of now, and the timers it wants next."""
        matter_key, settings = self.matters[case.matter_id]
        if task_id is None:
            prefix, due_at, card, name = "case", case.due_at, case.warning, None
        else:
            task = self.open_tasks.get(task_id)
            if task is None:  # no longer open: nothing of it may fire any more
                sync(self.uow, case.id, KIND, {}, prefix=f"task:{task_id}:")
                return
            prefix, due_at, card, name = f"task:{task_id}", task.due_at, task.warning, task.task
        wanted: dict[str, Wanted] = {}
        if due_at is not None:
            level, wanted = target_outlook(self.now, settings, prefix, due_at, name, task_id)
            if level != card:
                self._change(case, matter_key, settings, task_id, card, level, due_at)
        sync(self.uow, case.id, KIND, wanted, prefix=f"{prefix}:")

    def _change(
        self, case, matter_key: str, settings, task_id, old: str, level: str, due_at: datetime
    ) -> None:
        task = self.open_tasks.get(task_id) if task_id is not None else None
        history.record(
            self.uow,
            case,
            task=task,
            **change_record(task.task if task else None, old, level, due_at),
        )
        if task is None:
            self.case_cards.append({"row_id": case.id, "card": level})
        else:
            self.task_cards.append({"row_id": task.id, "card": level})
        announce(
            self.uow,
            case.case_no,
            matter_key,
            task,
            {settings.lead_department} | self.departments[case.id],
            old,
            level,
            due_at,
        )

    def _write(self) -> None:
        """One statement per table for the whole batch (timers: see engine.timers.book)."""
        for model, cards in ((Case, self.case_cards), (Task, self.task_cards)):
            if cards:
                table = model.__table__
                values = {"warning": bindparam("card")}
                if model is Case:  # the version column: anything holding an old copy must see it
                    values["lock_version"] = table.c.lock_version + 1
                self.session.execute(
                    update(table).where(table.c.id == bindparam("row_id")).values(**values), cards
                )
