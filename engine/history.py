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


def write_pending(uow) -> None:
    """Write the recorded entries (one statement for all of them)."""
    if uow.events:
        events, uow.events = uow.events, []
        uow.session.execute(insert(Event.__table__), events)
