"""Operator figures, read from the source of truth when asked (Prometheus scrapes them).

The database and Redis are shared by every API process, worker and
scheduler, so the figures that matter to operators (pending and overdue
timers, how late timers fired, queue depth) are computed from them, and
agree whichever process answers.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select

from ..store.models import PENDING_TIMER, Timer

log = logging.getLogger(__name__)
LAG_WINDOW = timedelta(minutes=15)
LATE = timedelta(seconds=2)


def timer_figures(rt) -> dict:
    """{pending: {kind: n}, overdue: n, lags: [seconds of timers fired in the window],
    queue: (name, depth or None when Redis is away)}."""
    with rt.uow() as uow:
        now = uow.now()
        pending = dict(
            uow.session.execute(
                select(Timer.kind, func.count()).where(*PENDING_TIMER).group_by(Timer.kind)
            ).all()
        )
        overdue = uow.session.scalar(
            select(func.count()).select_from(Timer).where(*PENDING_TIMER, Timer.due_at < now - LATE)
        )
        lags = [
            (fired - due).total_seconds()
            for due, fired in uow.session.execute(
                select(Timer.due_at, Timer.fired_at)
                .where(Timer.fired_at >= now - LAG_WINDOW)
                .limit(100_000)
            )
        ]
    try:
        depth = rt.queue().count
    except Exception as exc:  # noqa: BLE001 - Redis down: report what we can
        log.warning("queue depth unavailable: %s", exc)
        depth = None
    return {
        "pending": pending,
        "overdue": overdue,
        "lags": lags,
        "queue": (rt.settings.queue, depth),
    }
