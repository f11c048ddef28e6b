"""An RQ worker process bound to the engine's Redis.

A `SimpleWorker` runs jobs in this process, so the engine (database pool,
parsed specs, calendars) is built once, not once per job. It runs without
RQ's forked scheduler: a child forked while a database connection is open
would keep that socket alive after a SIGKILL of the worker, and with it the
dead worker's transaction and row locks. Delayed jobs (webhook retries) are
moved to the queue by the timer scheduler instead (workers/scheduler.py). If Redis goes away
the worker waits for it and starts again; what was in flight is not lost
because timers are in the database (see workers/scheduler.py).
"""

from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError
from rq import SimpleWorker

from engine.config import load_settings
from engine.runtime import Runtime
from engine.services.catalogue import warm_up

from . import jobs

log = logging.getLogger(__name__)


def run_worker(burst: bool = False) -> int:
    runtime = Runtime(load_settings())
    jobs.bind(runtime)
    warm_up(runtime)  # the first timer does not wait for the matters to be parsed
    runtime.settle()  # start-up is done
    stop = _StopFlag()
    while not stop.requested:
        worker = None
        try:
            runtime.reconnect_redis()
            queue = runtime.queue()
            worker = SimpleWorker([queue], connection=queue.connection)
            worker.work(burst=burst, with_scheduler=False)
            if burst or _asked_to_stop(worker):
                return 0
            log.warning(
                "the worker stopped without being asked to (Redis lost?); starting again in 1 s"
            )
        except RedisError as exc:
            log.warning("Redis unavailable (%s); the worker starts again in 1 s", exc)
        if worker is not None and _asked_to_stop(worker):
            return 0
        stop.install()  # RQ's handlers stay behind after work(); ours listen between runs
        time.sleep(1)
    return 0


def _asked_to_stop(worker) -> bool:
    """RQ took a SIGTERM (even if Redis vanished while it was shutting down)."""
    return bool(worker._stop_requested or worker._shutdown_requested_date)


class _StopFlag:
    """SIGTERM / SIGINT between two runs of the RQ worker (e.g. while Redis is down)."""

    def __init__(self):
        self.requested = False
        self.install()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, *_):
        self.requested = True
