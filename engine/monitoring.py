"""Operator metrics for Prometheus, read from the source of truth at scrape time.

The database and Redis are shared by every API process, worker and
scheduler, so the figures that matter to operators (pending and overdue
timers, how late timers fired, queue depth) are computed from them when
Prometheus scrapes, and agree whichever process answers.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select

from .models import Timer

log = logging.getLogger(__name__)
LAG_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
LAG_WINDOW = timedelta(minutes=15)
LATE = timedelta(seconds=2)


class EngineCollector:
    """A prometheus_client collector over one runtime."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        with self.runtime.uow() as uow:
            now = uow.now()
            pending = GaugeMetricFamily("onething_timers_pending",
                                        "Timers not yet fired nor cancelled", labels=["kind"])
            for kind, count in uow.session.execute(
                    select(Timer.kind, func.count()).where(Timer.fired_at.is_(None),
                                                           Timer.cancelled_at.is_(None))
                    .group_by(Timer.kind)):
                pending.add_metric([kind], count)
            yield pending
            overdue = uow.session.scalar(select(func.count()).select_from(Timer).where(
                Timer.fired_at.is_(None), Timer.cancelled_at.is_(None),
                Timer.due_at < now - LATE))
            yield GaugeMetricFamily("onething_timers_overdue",
                                    "Pending timers more than 2 s past their due time",
                                    value=overdue)
            lags = [(fired - due).total_seconds() for due, fired in uow.session.execute(
                select(Timer.due_at, Timer.fired_at).where(Timer.fired_at >= now - LAG_WINDOW)
                .limit(100_000))]
        yield _histogram("onething_timer_lag_seconds",
                         "fired_at - due_at of timers fired in the last 15 minutes", lags)
        yield self._queue_depth()

    def _queue_depth(self):
        depth = GaugeMetricFamily("onething_queue_depth", "Jobs waiting in the RQ queue",
                                  labels=["queue"])
        try:
            queue = self.runtime.queue()
            depth.add_metric([queue.name], queue.count)
        except Exception as exc:  # noqa: BLE001 - Redis down: report what we can
            log.warning("queue depth unavailable: %s", exc)
        return depth


def _histogram(name: str, documentation: str, values: list[float]):
    buckets, total = [], 0
    for bound in LAG_BUCKETS:
        buckets.append((str(bound), sum(1 for v in values if v <= bound)))
    buckets.append(("+Inf", len(values)))
    total = sum(values)
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=total)
