"""Fault test: 10,000 timers due over ~30 s, two schedulers, two workers; one worker is
SIGKILLed mid-run and Redis (a private server, so that nobody else's work is lost)
is killed and started again empty. Every timer fires, none twice in effect."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from engine.runtime import Runtime
from engine.store.models import Case, Event, Matter, Timer

from ..live import Processes, RedisServer, percentile, process_env, queue_name, wait_for  # noqa: F401

TIMERS = 10_000
SPREAD = 30.0  # seconds over which they fall due


def _insert(wall: Runtime, start) -> None:
    """Cases whose yellow card is due now (the retirement matter warns 2 workdays
    before; due in an hour), with their yellow timers spread over SPREAD seconds."""
    with wall.uow() as uow:
        matter_id = uow.session.scalar(
            select(Matter.id).where(Matter.key == "retirement").order_by(Matter.version).limit(1)
        )
        now = uow.now()
        uow.session.execute(
            insert(Case),
            [
                {
                    "case_no": f"F{i:012d}",
                    "code_salt": "0",
                    "matter_id": matter_id,
                    "status": "in_progress",
                    "applicant": {},
                    "form": {},
                    "results": {},
                    "missing_materials": [],
                    "submitted_at": now,
                    "accepted_at": now,
                    "due_at": now + timedelta(hours=1),
                    "warning": "none",
                    "clock": {},
                    "lock_version": 0,
                }
                for i in range(TIMERS)
            ],
        )
        ids = list(
            uow.session.scalars(
                select(Case.id).where(Case.case_no.like("F%")).order_by(Case.case_no)
            )
        )
        uow.session.execute(
            insert(Timer),
            [
                {
                    "kind": "warning",
                    "key": "case:yellow",
                    "case_id": case_id,
                    "due_at": start + timedelta(seconds=SPREAD * i / TIMERS),
                    "payload": {"level": "yellow"},
                    "created_at": now,
                }
                for i, case_id in enumerate(ids)
            ],
        )
        uow.commit()


def _fired(wall: Runtime) -> int:
    with wall.uow() as uow:
        return uow.session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.key == "case:yellow", Timer.fired_at.is_not(None))
        )


@pytest.mark.faults
def test_every_timer_fires_once_through_kills_and_a_redis_restart(runtime, queue_name, tmp_path):  # noqa: F811
    wall = Runtime(runtime.settings)
    server = RedisServer(tmp_path / "redis").start()
    processes = Processes(
        process_env(
            runtime.settings,
            server.url,
            queue_name,
            ONETHING_TIMER_REQUEUE_SECONDS=3,
            ONETHING_NOTIFIERS="log",
        ),
        tmp_path,
    )
    try:
        victim = processes.start("worker")
        processes.start("worker")
        processes.start("scheduler")
        processes.start("scheduler")
        processes.wait_ready(server.url, queue_name, workers=2)
        with wall.uow() as uow:
            start = uow.now() + timedelta(seconds=2)
        _insert(wall, start)
        began = time.monotonic()

        time.sleep(max(0.0, start.timestamp() + SPREAD / 3 - time.time()))
        victim.send_signal(signal.SIGKILL)  # a third of the way in, mid-batch
        killed_at = _fired(wall)
        time.sleep(max(0.0, start.timestamp() + 2 * SPREAD / 3 - time.time()))
        server.restart()  # Redis gone, queue and all, then back empty
        restarted_at = _fired(wall)

        wait_for(lambda: _fired(wall) >= TIMERS, 75, interval=0.5, what="every timer to fire")
        time.sleep(1.0)  # anything late (a double) would land now
        elapsed = time.monotonic() - began
    finally:
        processes.stop_all()
        server.stop()

    with wall.uow() as uow:
        fired = uow.session.execute(
            select(Timer.due_at, Timer.fired_at).where(Timer.key == "case:yellow")
        ).all()
        events = uow.session.execute(
            select(Event.case_id, func.count())
            .where(Event.kind == "warning")
            .group_by(Event.case_id)
        ).all()
        yellow = uow.session.scalar(
            select(func.count()).select_from(Case).where(Case.warning == "yellow")
        )
    wall.close()
    lags = [(f - d).total_seconds() for d, f in fired]
    print(
        f"\nfaults on {runtime.engine.dialect.name}: {TIMERS} timers over {SPREAD:.0f}s, "
        f"2 workers (1 SIGKILLed after {killed_at} fired), 2 schedulers, Redis killed and "
        f"restarted empty after {restarted_at} fired; all fired in {elapsed:.1f}s; lag "
        f"p50 {percentile(lags, 0.5):.2f}s p99 {percentile(lags, 0.99):.2f}s "
        f"max {max(lags):.2f}s"
    )
    assert len(fired) == TIMERS and all(f is not None for _, f in fired)
    assert len(events) == TIMERS and all(count == 1 for _, count in events)
    assert yellow == TIMERS
    assert min(lags) >= 0
