"""RQ jobs: thin calls into the engine, with one runtime per worker process."""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)
_runtime = None


def runtime():
    """The worker process's engine (database pool, settings), made on first use."""
    global _runtime
    if _runtime is None:
        from engine.config import load_settings
        from engine.runtime import Runtime
        _runtime = Runtime(load_settings())
    return _runtime


def warm_up() -> None:
    """Before the first job: connect, import the engine and parse the deployed matters,
    so that the first timer does not wait for them."""
    from sqlalchemy import func, select

    from engine import cases, timers  # noqa: F401
    from engine.models import Matter
    from engine.workflow.specs import compiled
    with runtime().uow() as uow:
        latest = select(func.max(Matter.id)).group_by(Matter.key)
        for matter in uow.session.scalars(select(Matter).where(Matter.id.in_(latest))):
            try:
                compiled(matter)
            except Exception:  # noqa: BLE001 - a broken old package must not stop the worker
                log.exception("could not parse matter %s v%s", matter.key, matter.version)


def fire_timers(ids: list[int]) -> dict[str, int]:
    """Fire a batch of due timers; each fires at most once whoever else tries."""
    from engine import timers
    counts = timers.fire_batch(runtime(), ids)
    log.info("timers: %s", counts)
    return counts


def deliver_webhook(url: str, message: dict) -> int:
    """One webhook delivery; an exception makes RQ retry with back-off."""
    from engine.notify import post_json
    return post_json(url, message)
