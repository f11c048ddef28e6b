"""An RQ worker process bound to the engine's Redis."""
from __future__ import annotations

from rq import Queue, Worker

from engine.config import load_settings
from engine.redis_conn import connect

QUEUES = ("onething",)


def run_worker(burst: bool = False) -> int:
    connection = connect(load_settings())
    worker = Worker([Queue(name, connection=connection) for name in QUEUES],
                    connection=connection)
    worker.work(burst=burst, with_scheduler=False)
    return 0
