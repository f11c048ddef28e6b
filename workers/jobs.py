"""RQ jobs: thin calls into the engine's services, with the worker process's runtime.

The worker process (workers.worker) builds the runtime at start and binds it
here; RQ then runs these functions by their dotted names.
"""

from __future__ import annotations

import logging

from engine.services import operations

log = logging.getLogger(__name__)
_runtime = None


def bind(runtime) -> None:
    """The worker process's engine (database pool, settings), used by every job."""
    global _runtime
    _runtime = runtime


def fire_timers(ids: list[int]) -> dict[str, int]:
    """Fire a batch of due timers; each fires at most once whoever else tries."""
    counts = operations.fire_timers(_runtime, ids)
    log.info("timers: %s", counts)
    return counts


def deliver_webhook(url: str, message: dict) -> int:
    """One webhook delivery; an exception makes RQ retry with back-off."""
    return operations.deliver_webhook(url, message)
