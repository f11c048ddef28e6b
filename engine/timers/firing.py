"""Durable timers fired: handed out by the scheduler, fired at most once in effect.

- `claim_due` is the scheduler's poll: pending, due timers that are not already
  out with a worker (or were handed out long enough ago to be presumed lost).
  It reads the partial index of pending timers only.
- `fire_many` fires a batch: the cases are locked first (so no mutation of a
  case can run alongside), then `fired_at` is set by one guarded UPDATE in the
  same transaction as the timers' effects. A second delivery of the same timer
  finds `fired_at` set and does nothing. Each kind's effect gets all of the
  batch's timers of its kind at once, so that a burst (thousands of cards due
  the same second) costs a few statements per batch, not a few per timer.
  The effects are given by the caller (engine.runtime registers them): this
  layer knows no kind of timer.

Every function runs in its caller's unit of work; none commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Mapping

from sqlalchemy import or_, select, update

from ..store.cases import lock_cases
from ..store.models import PENDING_TIMER, Timer

log = logging.getLogger(__name__)

FAILED_BACKOFF = timedelta(seconds=60)
# kind -> effect(uow, fired: list of timer rows, in case order)
Effects = Mapping[str, Callable]


def claim_due(
    uow, now: datetime, limit: int = 1000, requeue_after: float = 5.0, requeue: bool = True
) -> list[int]:
    """Due timers not out with a worker, marked as handed out now.

    With `requeue`, timers handed out more than `requeue_after` seconds ago and
    still not fired are taken again (their job was lost). PostgreSQL: rows
    another scheduler is claiming are skipped (SKIP LOCKED); SQLite:
    `BEGIN IMMEDIATE` makes schedulers take turns.
    """
    stale = now - timedelta(seconds=requeue_after)
    not_out = Timer.enqueued_at.is_(None)
    query = (
        select(Timer.id)
        .where(
            *PENDING_TIMER,
            Timer.due_at <= now,
            or_(not_out, Timer.enqueued_at < stale) if requeue else not_out,
        )
        .order_by(Timer.due_at)
        .limit(limit)
    )
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(uow.session.scalars(query))
    if ids:
        uow.session.execute(
            update(Timer).where(Timer.id.in_(ids)).values(enqueued_at=now),
            execution_options={"synchronize_session": False},
        )
    return ids


def due_ids(uow, now: datetime, limit: int = 10000) -> list[int]:
    return list(
        uow.session.scalars(
            select(Timer.id)
            .where(*PENDING_TIMER, Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(limit)
        )
    )


def fire_many(uow, ids: list[int], effects: Effects) -> int:
    """Fire timers in the caller's transaction; returns how many fired.

    Their cases are locked first, in id order (two workers given overlapping
    batches cannot deadlock, and no case mutation runs alongside); then one
    guarded UPDATE claims the timers still pending, so a timer another worker
    fired meanwhile is left out; then each kind's effect has its timers.
    """
    rows = uow.session.execute(
        select(Timer.id, Timer.case_id).where(Timer.id.in_(ids), *PENDING_TIMER)
    ).all()
    if not rows:
        return 0
    lock_cases(uow.session, sorted({row.case_id for row in rows}))
    claimed = uow.session.execute(
        update(Timer)
        .where(Timer.id.in_([row.id for row in rows]), *PENDING_TIMER)
        .values(fired_at=uow.now())
        .returning(
            Timer.id,
            Timer.kind,
            Timer.key,
            Timer.case_id,
            Timer.task_id,
            Timer.due_at,
            Timer.payload,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    by_kind: dict[str, list] = {}
    for timer in sorted(claimed, key=lambda t: (t.case_id, t.due_at, t.id)):
        by_kind.setdefault(timer.kind, []).append(timer)
    for kind, fired in by_kind.items():
        effect = effects.get(kind)
        if effect is None:
            log.warning("%d timer(s) of unknown kind %r fired without effect", len(fired), kind)
        else:
            effect(uow, fired)
    return len(claimed)


def back_off(uow, timer_id: int) -> None:
    """A failing timer is handed out again only after a while, not at every poll."""
    uow.session.execute(
        update(Timer)
        .where(Timer.id == timer_id, *PENDING_TIMER)
        .values(enqueued_at=uow.now() + FAILED_BACKOFF)
    )
