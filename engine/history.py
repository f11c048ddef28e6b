"""The case's append-only history; the applicant's timeline is its public part."""
from __future__ import annotations

from typing import Any

from .models import Case, Event, Task


def record(uow, case: Case, kind: str, actor: str, *, task: Task | None = None,
           old: dict[str, Any] | None = None, new: dict[str, Any] | None = None,
           text: str | None = None, public: bool = False) -> Event:
    event = Event(case_id=case.id, at=uow.now(), actor=actor, kind=kind,
                  task_id=task.id if task is not None else None,
                  old=old, new=new, text=text, public=public)
    uow.session.add(event)
    return event
