"""What the workers and the scheduler run, off the request path; each function owns its
units of work."""

from __future__ import annotations

import logging
from datetime import datetime

from ..adapters.notify import post_json
from ..timers import firing

log = logging.getLogger(__name__)


def hand_out_due(rt, limit: int, requeue: bool) -> list[int]:
    """The scheduler's poll: due timers not out with a worker, marked as handed out."""
    with rt.uow() as uow:
        ids = firing.claim_due(
            uow, uow.now(), limit, rt.settings.timer_requeue_seconds, requeue=requeue
        )
        uow.commit()
        return ids


def fire_timers(rt, ids: list[int]) -> dict[str, int]:
    """Fire a batch of timers in one transaction; cases are locked in id order, so two
    workers given overlapping batches (a batch handed out again) cannot deadlock.

    If any timer fails, the batch is rolled back and fired again one timer per
    transaction, so that only the failing one is left (and backed off)."""
    try:
        with rt.uow() as uow:
            fired = firing.fire_many(uow, ids, rt.timer_effects)
            uow.commit()
        return {"fired": fired, "skipped": len(ids) - fired, "failed": 0}
    except Exception:  # noqa: BLE001 - find the bad one below
        log.warning("a batch of %d timers failed; firing them one at a time", len(ids))
    counts = {"fired": 0, "skipped": 0, "failed": 0}
    for timer_id in ids:
        try:
            with rt.uow() as uow:
                fired = firing.fire_many(uow, [timer_id], rt.timer_effects)
                uow.commit()
            counts["fired" if fired else "skipped"] += 1
        except Exception:  # noqa: BLE001 - one bad timer must not stop the others
            log.exception("timer %s failed; it will be retried later", timer_id)
            counts["failed"] += 1
            _back_off(rt, timer_id)
    return counts


def _back_off(rt, timer_id: int) -> None:
    try:
        with rt.uow() as uow:
            firing.back_off(uow, timer_id)
            uow.commit()
    except Exception:  # noqa: BLE001
        log.exception("could not back off timer %s", timer_id)


def fire_due(rt, now: datetime | None = None) -> int:
    """Fire every timer due by `now` (default: the runtime's clock) in this process.

    What the scheduler and workers do, without Redis: for tests with a fixed
    clock, and for operators (`./onething scheduler --once`)."""
    with rt.uow() as uow:
        ids = firing.due_ids(uow, now or uow.now())
    return fire_timers(rt, ids)["fired"]


def deliver_webhook(url: str, message: dict) -> int:
    """One webhook delivery (an RQ job); an exception makes RQ retry with back-off."""
    return post_json(url, message)
