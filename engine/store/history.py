"""The case's append-only history; the applicant's timeline is its public part.

An operation records several entries; they are written together, in the
order recorded, by one INSERT when its unit of work commits (or before
anything in it reads the history back).
"""

from __future__ import annotations

from typing import Any

from .batch import WriteBatch
from .models import Case, Event, Task


def record(
    uow,
    case: Case,
    kind: str,
    actor: str,
    *,
    task: Task | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    text: str | None = None,
    public: bool = False,
) -> None:
    uow.events.append(
        {
            "case_id": case.id,
            "at": uow.now(),
            "actor": actor,
            "kind": kind,
            "task_id": task.id if task is not None else None,
            "old": old,
            "new": new,
            "text": text,
            "public": public,
        }
    )


def write_pending(uow, batch: WriteBatch | None = None) -> None:
    """Write the recorded entries (one statement for all of them), in `batch` if
    given (the commit's), else at once (to read the history back)."""
    if not uow.events:
        return
    events, uow.events = uow.events, []
    if batch is not None:
        batch.insert(Event.__table__, events)
        return
    uow.session.flush()  # the entries may name tasks made in this unit of work
    with WriteBatch(uow.session) as now:
        now.insert(Event.__table__, events)
