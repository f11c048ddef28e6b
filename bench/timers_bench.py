"""Timer lag: many pending timers, a burst of them due in the same second.

Driven through the pipeline's public parts only: rows in `timer` (what
`engine.timers.schedule.sync` writes), the scheduler process (`cli.py scheduler`,
`workers.scheduler`) and RQ workers running `workers.jobs.fire_timers`.
Lag is `fired_at - due_at` of every timer of the burst.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text

from engine.store.models import Timer

from . import phases

BURST = (Timer.kind == "warning", Timer.key == "case:yellow")


def _pending_count(conn) -> int:
    return conn.execute(
        select(func.count())
        .select_from(Timer)
        .where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None))
    ).scalar_one()


def _insert_timers(
    conn, case_ids: list[int], kind: str, key: str, due_at: datetime, now: datetime
) -> None:
    rows = [
        {
            "kind": kind,
            "key": key,
            "case_id": cid,
            "due_at": due_at,
            "payload": {},
            "created_at": now,
        }
        for cid in case_ids
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(Timer.__table__), rows[start : start + 5000])


def measure(stack, runtime, plan) -> dict:
    quick = plan.large < 100_000
    pending_target, burst = (1_000, 100) if quick else (100_000, 10_000)
    wait_s = 30 if quick else 180
    engine = runtime.engine
    with engine.begin() as conn:
        open_cases = list(
            conn.execute(
                text(
                    "SELECT id FROM \"case\" WHERE status IN ('submitted', 'in_progress') "
                    "ORDER BY id"
                )
            ).scalars()
        )
        if len(open_cases) < burst:
            return {"measured": False, "reason": f"only {len(open_cases)} open cases"}
        before = _pending_count(conn)
        now = datetime.now(timezone.utc)
        filler = max(0, pending_target - burst - before)
        far = now + timedelta(days=30)
        ids = (open_cases * (filler // len(open_cases) + 1))[:filler]
        _insert_timers(conn, ids, "bench-filler", "bench:filler", far, now)
    # the burst: one timer per case (a yellow-card check), all due in the same second
    step = max(1, len(open_cases) // burst)
    chosen = open_cases[::step][:burst]
    due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=4)
    with engine.begin() as conn:
        _insert_timers(conn, chosen, "warning", "case:yellow", due, datetime.now(timezone.utc))
        pending = _pending_count(conn)
    deadline = time.monotonic() + wait_s + 4
    fired = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        with engine.connect() as conn:
            fired = conn.execute(
                select(func.count())
                .select_from(Timer)
                .where(*BURST, Timer.due_at == due, Timer.fired_at.is_not(None))
            ).scalar_one()
        if fired >= burst:
            break
    with engine.connect() as conn:
        rows = conn.execute(
            select(Timer.fired_at, Timer.due_at).where(*BURST, Timer.due_at == due)
        ).all()
    lags = [
        (fired_at - due_at).total_seconds() for fired_at, due_at in rows if fired_at is not None
    ]
    not_fired = burst - len(lags)
    result = {
        "measured": True,
        "pending": pending,
        "burst": burst,
        "fired": len(lags),
        "not_fired_within_s": {"count": not_fired, "s": wait_s} if not_fired else None,
        "p50_s": phases.percentile(lags, 50),
        "p99_s": phases.percentile(lags, 99),
        "max_s": max(lags) if lags else None,
        "fired_per_s": len(lags) / max(lags) if lags and max(lags) > 0 else None,
    }
    if not_fired:  # what did not fire in time is at least that late
        result["p99_s"] = (
            max(result["p99_s"] or 0, wait_s) if not_fired > burst / 100 else result["p99_s"]
        )
    return result
