"""Durable timers: scheduled in the database, handed out by the scheduler, fired once.

- `sync` makes a case's pending timers of one kind match what it wants now
  (called whenever a deadline moves: ready, acceptance, stop, resume, extension,
  end); timers no longer wanted are cancelled, not deleted.
- `claim_due` is the scheduler's poll: pending, due timers that are not already
  out with a worker (or were handed out long enough ago to be presumed lost).
  It reads the partial index of pending timers only.
- `fire_many` fires a batch: the cases are locked first (so no mutation of a
  case can run alongside), then `fired_at` is set by one guarded UPDATE in the
  same transaction as the timers' effects. A second delivery of the same timer
  finds `fired_at` set and does nothing: at most once in effect. Each kind's
  handler gets all of the batch's timers of its kind at once, so that a burst
  (thousands of cards due the same second) costs a few statements per batch,
  not a few per timer.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, NamedTuple

from sqlalchemy import bindparam, func, or_, select, text, update

from .db import WriteBatch
from .models import Case, Timer

log = logging.getLogger(__name__)

PENDING = (Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
FAILED_BACKOFF = timedelta(seconds=60)

# kind -> handler(uow, fired: list of timer rows, in case order); filled by the modules
# that own each kind
HANDLERS: dict[str, Callable] = {}


class Wanted(NamedTuple):
    due_at: datetime
    task_id: int | None = None
    payload: dict | None = None


def handler(kind: str):
    def register(func):
        HANDLERS[kind] = func
        return func
    return register


def _load_handlers() -> None:
    from . import process_timers, warning_timers  # noqa: F401 - they register their kinds


class Pending(NamedTuple):
    """A pending timer as the engine's bookkeeping sees it (not an ORM object)."""
    id: int | None  # None: scheduled by this unit of work, written when it commits
    kind: str
    key: str
    due_at: datetime
    task_id: int | None


def pending(uow, case_id: int, kind: str | None = None) -> list[Pending]:
    """A case's pending timers (of `kind`).

    Read once per unit of work, without flushing what the operation has
    changed so far; `sync` and `cancel_all` keep the list up to date."""
    known = uow.pending_timers.get(case_id)
    if known is None:
        read_pending(uow, [case_id])
        known = uow.pending_timers[case_id]
    return [timer for timer in known if kind is None or timer.kind == kind]


# a Pending's fields, in its order, as both reads of pending timers take them
_PENDING_COLUMNS = (Timer.id, Timer.kind, Timer.key, Timer.due_at, Timer.task_id)
_PENDING_OF_CASES = select(Timer.case_id, *_PENDING_COLUMNS).where(
    Timer.case_id.in_(bindparam("case_ids", expanding=True)), *PENDING)


def read_pending(uow, case_ids: list[int]) -> None:
    """The pending timers of many cases in one query (a batch of fired timers)."""
    found: dict[int, list[Pending]] = {case_id: [] for case_id in case_ids}
    with uow.session.no_autoflush:
        for row in uow.session.execute(_PENDING_OF_CASES, {"case_ids": case_ids}):
            found[row.case_id].append(Pending(*row[1:]))
    uow.pending_timers.update(found)


def pending_of_case_json(case_id):
    """The pending timers of one case (`case_id`: a parameter or a column expression)
    as a single JSON value, for a statement that reads something else of the case
    (its tasks, see engine.cases): PostgreSQL computes it once for the whole result,
    and it saves the statement and round trip of its own."""
    return (select(func.coalesce(func.json_agg(func.json_build_array(*_PENDING_COLUMNS)),
                                 text("'[]'::json")))
            .where(Timer.case_id == case_id, *PENDING).scalar_subquery())


def pending_from_json(uow, case_id: int, found: list) -> None:
    """What `pending_of_case_json` read: the case's pending timers for this unit of work,
    unless it has them already (with what it changed since: see `pending`)."""
    if case_id in uow.pending_timers:
        return
    uow.pending_timers[case_id] = [
        Pending(timer_id, kind, key, datetime.fromisoformat(due_at), task_id)
        for timer_id, kind, key, due_at, task_id in found]


def none_pending(uow, case_id: int) -> None:
    """A case made in this unit of work has no timers yet: nothing to read."""
    uow.pending_timers[case_id] = []


def sync(uow, case_id: int, kind: str, wanted: dict[str, Wanted], prefix: str = "") -> None:
    """Pending timers of `kind` for the case (those whose key starts with `prefix`)
    become exactly `wanted` (key -> due).

    The changes are kept on the unit of work and written when it commits:
    one UPDATE for what is cancelled, one INSERT for what is new."""
    have = set()
    for timer in pending(uow, case_id, kind):
        if not timer.key.startswith(prefix):
            continue
        want = wanted.get(timer.key)
        if want is None or want.due_at != timer.due_at or timer.key in have:
            _cancel(uow, case_id, timer)
        else:
            have.add(timer.key)
    for key, want in wanted.items():
        if key not in have:
            uow.timers_new.append({"kind": kind, "key": key, "case_id": case_id,
                                   "task_id": want.task_id, "due_at": want.due_at,
                                   "payload": want.payload or {}, "created_at": uow.now()})
            uow.pending_timers[case_id].append(Pending(None, kind, key, want.due_at,
                                                       want.task_id))


def _cancel(uow, case_id: int, timer: Pending) -> None:
    uow.pending_timers[case_id].remove(timer)
    if timer.id is not None:
        uow.timers_cancelled.append((case_id, timer.id))
    else:  # scheduled earlier in this unit of work: it is simply not written
        uow.timers_new[:] = [row for row in uow.timers_new if not (
            row["case_id"] == case_id and row["kind"] == timer.kind and
            row["key"] == timer.key and row["due_at"] == timer.due_at)]


def cancel_all(uow, case: Case) -> None:
    """The case ended: nothing of it may fire any more (written at commit)."""
    uow.timers_ended.add(case.id)
    uow.timers_new[:] = [row for row in uow.timers_new if row["case_id"] != case.id]
    uow.pending_timers[case.id] = []


_CANCEL_OF_CASES = update(Timer).where(Timer.case_id.in_(bindparam("case_ids", expanding=True)),
                                       *PENDING).values(cancelled_at=bindparam("now"))
# by case too: the index of a case's pending timers finds them in any database
_CANCEL = update(Timer).where(Timer.case_id.in_(bindparam("case_ids", expanding=True)),
                              Timer.id.in_(bindparam("ids", expanding=True)),
                              *PENDING).values(cancelled_at=bindparam("now"))


def write_pending(uow, batch: WriteBatch) -> None:
    """What `sync` and `cancel_all` decided, in a statement each of the commit's
    batch (a timer fired meanwhile stays fired)."""
    if uow.timers_ended:
        case_ids, uow.timers_ended = sorted(uow.timers_ended), set()
        batch.execute(_CANCEL_OF_CASES, {"case_ids": case_ids, "now": uow.now()})
    if uow.timers_cancelled:
        cancelled, uow.timers_cancelled = uow.timers_cancelled, []
        batch.execute(_CANCEL, {"case_ids": sorted({case_id for case_id, _ in cancelled}),
                                "ids": [timer_id for _, timer_id in cancelled],
                                "now": uow.now()})
    if uow.timers_new:
        rows, uow.timers_new = uow.timers_new, []
        batch.insert(Timer.__table__, rows)


def claim_due(uow, now: datetime, limit: int = 1000, requeue_after: float = 5.0,
              requeue: bool = True) -> list[int]:
    """Due timers not out with a worker, marked as handed out now; the caller commits.

    With `requeue`, timers handed out more than `requeue_after` seconds ago and
    still not fired are taken again (their job was lost). PostgreSQL: rows
    another scheduler is claiming are skipped (SKIP LOCKED); SQLite:
    `BEGIN IMMEDIATE` makes schedulers take turns.
    """
    stale = now - timedelta(seconds=requeue_after)
    not_out = Timer.enqueued_at.is_(None)
    query = (select(Timer.id)
             .where(*PENDING, Timer.due_at <= now,
                    or_(not_out, Timer.enqueued_at < stale) if requeue else not_out)
             .order_by(Timer.due_at).limit(limit))
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(uow.session.scalars(query))
    if ids:
        uow.session.execute(update(Timer).where(Timer.id.in_(ids)).values(enqueued_at=now),
                            execution_options={"synchronize_session": False})
    return ids


def due_ids(uow, now: datetime, limit: int = 10000) -> list[int]:
    return list(uow.session.scalars(select(Timer.id).where(*PENDING, Timer.due_at <= now)
                                    .order_by(Timer.due_at).limit(limit)))


def fire(uow, timer_id: int) -> bool:
    """Fire one timer in the caller's transaction; False if it had fired or was cancelled."""
    return fire_many(uow, [timer_id]) == 1


def fire_many(uow, ids: list[int]) -> int:
    """Fire timers in the caller's transaction; returns how many fired.

    Their cases are locked first, in id order (two workers given overlapping
    batches cannot deadlock, and no case mutation runs alongside); then one
    guarded UPDATE claims the timers still pending, so a timer another worker
    fired meanwhile is left out; then each kind's handler has its timers.
    """
    rows = uow.session.execute(select(Timer.id, Timer.case_id)
                               .where(Timer.id.in_(ids), *PENDING)).all()
    if not rows:
        return 0
    case_ids = sorted({row.case_id for row in rows})
    uow.session.execute(select(Case.id).where(Case.id.in_(case_ids)).order_by(Case.id)
                        .with_for_update(of=Case)).all()
    claimed = uow.session.execute(
        update(Timer).where(Timer.id.in_([row.id for row in rows]), *PENDING)
        .values(fired_at=uow.now())
        .returning(Timer.id, Timer.kind, Timer.key, Timer.case_id, Timer.task_id,
                   Timer.due_at, Timer.payload),
        execution_options={"synchronize_session": False}).all()
    _load_handlers()
    by_kind: dict[str, list] = {}
    for timer in sorted(claimed, key=lambda t: (t.case_id, t.due_at, t.id)):
        by_kind.setdefault(timer.kind, []).append(timer)
    for kind, fired in by_kind.items():
        effect = HANDLERS.get(kind)
        if effect is None:
            log.warning("%d timer(s) of unknown kind %r fired without effect", len(fired), kind)
        else:
            effect(uow, fired)
    return len(claimed)


def fire_batch(runtime, ids: list[int]) -> dict[str, int]:
    """Fire a batch of timers in one transaction; cases are locked in id order, so two
    workers given overlapping batches (a batch handed out again) cannot deadlock.

    If any timer fails, the batch is rolled back and fired again one timer per
    transaction, so that only the failing one is left (and backed off)."""
    try:
        with runtime.uow() as uow:
            fired = fire_many(uow, ids)
            uow.commit()
        return {"fired": fired, "skipped": len(ids) - fired, "failed": 0}
    except Exception:  # noqa: BLE001 - find the bad one below
        log.warning("a batch of %d timers failed; firing them one at a time", len(ids))
    counts = {"fired": 0, "skipped": 0, "failed": 0}
    for timer_id in ids:
        try:
            with runtime.uow() as uow:
                fired = fire(uow, timer_id)
                uow.commit()
            counts["fired" if fired else "skipped"] += 1
        except Exception:  # noqa: BLE001 - one bad timer must not stop the others
            log.exception("timer %s failed; it will be retried later", timer_id)
            counts["failed"] += 1
            _back_off(runtime, timer_id)
    return counts


def _back_off(runtime, timer_id: int) -> None:
    """A failing timer is handed out again only after a while, not at every poll."""
    try:
        with runtime.uow() as uow:
            uow.session.execute(update(Timer).where(Timer.id == timer_id, *PENDING)
                                .values(enqueued_at=uow.now() + FAILED_BACKOFF))
            uow.commit()
    except Exception:  # noqa: BLE001
        log.exception("could not back off timer %s", timer_id)


def fire_due(runtime, now: datetime | None = None) -> int:
    """Fire every timer due by `now` (default: the runtime's clock) in this process.

    What the scheduler and workers do, without Redis: for tests with a fixed
    clock, and for operators (`./onething scheduler --once --inline`)."""
    with runtime.uow() as uow:
        ids = due_ids(uow, now or uow.now())
    return fire_batch(runtime, ids)["fired"]
