"""Durable timers scheduled: a case's pending timers of a kind made to match what it wants.

`sync` is called whenever a deadline may have moved (ready, acceptance,
stop, resume, extension, end); timers no longer wanted are cancelled, not
deleted. What it decides is kept in the unit of work's `TimerBook` and
written at commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from .book import Pending, TimerBook


class Wanted(NamedTuple):
    due_at: datetime
    task_id: int | None = None
    payload: dict | None = None


def book(uow) -> TimerBook:
    return uow.book(TimerBook)


def pending(uow, case_id: int, kind: str | None = None) -> list[Pending]:
    """A case's pending timers (of `kind`).

    Read once per unit of work, without flushing what the operation has
    changed so far; `sync` and `cancel_all` keep the list up to date."""
    timers = book(uow)
    known = timers.pending.get(case_id)
    if known is None:
        timers.read(uow.session, [case_id])
        known = timers.pending[case_id]
    return [timer for timer in known if kind is None or timer.kind == kind]


def none_pending(uow, case_id: int) -> None:
    """A case made in this unit of work has no timers yet: nothing to read."""
    book(uow).pending[case_id] = []


def sync(uow, case_id: int, kind: str, wanted: dict[str, Wanted], prefix: str = "") -> None:
    """Pending timers of `kind` for the case (those whose key starts with `prefix`)
    become exactly `wanted` (key -> due)."""
    timers = book(uow)
    have = set()
    for timer in pending(uow, case_id, kind):
        if not timer.key.startswith(prefix):
            continue
        want = wanted.get(timer.key)
        if want is None or want.due_at != timer.due_at or timer.key in have:
            _cancel(timers, case_id, timer)
        else:
            have.add(timer.key)
    for key, want in wanted.items():
        if key not in have:
            timers.new.append(
                {
                    "kind": kind,
                    "key": key,
                    "case_id": case_id,
                    "task_id": want.task_id,
                    "due_at": want.due_at,
                    "payload": want.payload or {},
                    "created_at": uow.now(),
                }
            )
            timers.pending[case_id].append(Pending(None, kind, key, want.due_at, want.task_id))


def _cancel(timers: TimerBook, case_id: int, timer: Pending) -> None:
    timers.pending[case_id].remove(timer)
    if timer.id is not None:
        timers.cancelled.append((case_id, timer.id))
    else:  # scheduled earlier in this unit of work: it is simply not written
        timers.new[:] = [
            row
            for row in timers.new
            if not (
                row["case_id"] == case_id
                and row["kind"] == timer.kind
                and row["key"] == timer.key
                and row["due_at"] == timer.due_at
            )
        ]


def cancel_all(uow, case_id: int) -> None:
    """The case ended: nothing of it may fire any more (written at commit)."""
    timers = book(uow)
    timers.ended.add(case_id)
    timers.new[:] = [row for row in timers.new if row["case_id"] != case_id]
    timers.pending[case_id] = []
