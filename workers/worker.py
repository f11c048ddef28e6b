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
import time

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from engine.config import load_settings
from engine.redis_conn import connect

log = logging.getLogger(__name__)


def run_worker(burst: bool = False) -> int:
    from .jobs import warm_up
    settings = load_settings()
    warm_up()
    while True:
        try:
            connection = connect(settings)
            worker = SimpleWorker([Queue(settings.queue, connection=connection)],
                                  connection=connection)
            worker.work(burst=burst, with_scheduler=False)
            if burst or worker._stop_requested:
                return 0
            log.warning("the worker stopped without being asked to (Redis lost?); "
                        "starting again in 1 s")
        except RedisError as exc:
            log.warning("Redis unavailable (%s); the worker starts again in 1 s", exc)
        time.sleep(1)
