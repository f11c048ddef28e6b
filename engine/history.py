"""The case's append-only history; the applicant's timeline is its public part.

An operation records several entries; they are written together, in the
order recorded, by one INSERT when its unit of work commits (or before
anything in it reads the history back).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from .models import Case, Event, Task


def record(uow, case: Case, kind: str, actor: str, *, task: Task | None = None,
           old: dict[str, Any] | None = None, new: dict[str, Any] | None = None,
           text: str | None = None, public: bool = False) -> None:
    uow.events.append({"case_id": case.id, "at": uow.now(), "actor": actor, "kind": kind,
                       "task_id": task.id if task is not None else None,
                       "old": old, "new": new, "text": text, "public": public})


def pending_writes(uow) -> list[tuple]:
    """(statement, rows) that writes the recorded entries (one for all of them),
    taken off the unit of work; the caller executes it."""
    if not uow.events:
        return []
    events, uow.events = uow.events, []
    return [(insert(Event.__table__), events)]


def write_pending(uow) -> None:
    """Write the recorded entries now (before this unit of work reads them back)."""
    for statement, rows in pending_writes(uow):
        uow.session.execute(statement, rows)
