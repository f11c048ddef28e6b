"""The timer scheduler: polls the database for due timers and hands them to workers.

Its own process (`./onething scheduler`; `serve` starts one). Each tick reads
only the partial index of pending timers that are due, marks them handed out
and enqueues `workers.jobs.fire_timers` jobs in batches. The database stays
the source of truth: a timer handed out but not fired within
`timer_requeue_seconds` (worker killed, Redis flushed or restarted) is handed
out again, and firing is guarded, so several schedulers and workers at once
are safe.
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError
from rq.scheduler import RQScheduler

from engine.config import load_settings
from engine.runtime import Runtime
from engine.services import operations

log = logging.getLogger(__name__)
BATCH = 250  # timers per job: a batch costs a few statements, spread over workers
CLAIM_LIMIT = 5000  # timers per tick at most
INTERVAL = 0.2  # seconds between polls when nothing was due
BACKLOG = 4  # queued jobs beyond which stale timers are presumed late, not lost


class Scheduler:
    def __init__(self, runtime, interval: float = INTERVAL, batch: int = BATCH):
        self.runtime = runtime
        self.interval = interval
        self.batch = batch
        self.stopping = False
        self._rq_scheduler = None
        self._rq_checked = 0.0

    def tick(self) -> int:
        """One poll: returns how many timers were handed out."""
        queue = self.runtime.queue()
        # While jobs are still waiting in the queue, a timer handed out a while ago is
        # late, not lost: only hand it out again once the workers have caught up.
        caught_up = queue.count <= BACKLOG
        ids = operations.hand_out_due(self.runtime, CLAIM_LIMIT, requeue=caught_up)
        if ids:
            with queue.connection.pipeline() as pipe:
                for start in range(0, len(ids), self.batch):
                    queue.enqueue(
                        "workers.jobs.fire_timers",
                        ids[start : start + self.batch],
                        job_timeout=300,
                        result_ttl=60,
                        failure_ttl=24 * 3600,
                        pipeline=pipe,
                    )
                pipe.execute()
        return len(ids)

    def move_delayed_jobs(self) -> None:
        """RQ's own scheduling (retries with back-off), once a second, in this process."""
        if time.monotonic() - self._rq_checked < 1.0:
            return
        self._rq_checked = time.monotonic()
        queue = self.runtime.queue()
        if self._rq_scheduler is None:
            self._rq_scheduler = RQScheduler([queue.name], connection=queue.connection)
        self._rq_scheduler.acquire_locks()
        if self._rq_scheduler.acquired_locks:
            self._rq_scheduler.enqueue_scheduled_jobs()

    def run(self) -> None:
        log.info(
            "timer scheduler polling every %.1fs on queue %s",
            self.interval,
            self.runtime.settings.queue,
        )
        while not self.stopping:
            try:
                handed = self.tick()
                self.move_delayed_jobs()
            except RedisError as exc:  # the timers stay handed out; requeued once Redis is back
                log.warning("Redis unavailable (%s); retrying", exc)
                handed = 0
                time.sleep(1)
            except Exception:  # noqa: BLE001 - e.g. the database restarting: keep polling
                log.exception("scheduler tick failed")
                handed = 0
                time.sleep(1)
            if handed < CLAIM_LIMIT:
                time.sleep(self.interval)

    def stop(self, *_) -> None:
        self.stopping = True


def run_scheduler() -> int:
    runtime = Runtime(load_settings())
    scheduler = Scheduler(runtime)
    runtime.settle()  # start-up is done
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    scheduler.run()
    runtime.close()
    return 0
