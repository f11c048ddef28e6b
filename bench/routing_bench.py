"""Resolving a routing table (派单目录) of 100,000 rows: 300 categories x 343 streets.

The rows are made in SQL; each resolution is what dispatching a task does
(engine.services.dispatch.resolve: the candidate rows by the index, the most
specific wins), timed one by one in-process for random requests (a category
code below one of the table's, a community below one of its streets).
"""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import delete, insert, text

from engine.services.dispatch import resolve
from engine.store.models import Department, RoutingRow

TABLE = "bench-routing"


def measure(runtime, categories: int = 300, streets: int = 343, lookups: int = 2000) -> dict:
    rnd = random.Random(7)
    street_codes = [f"9901{d:02d}{s:03d}" for d in range(1, 17) for s in range(1, 30)][:streets]
    category_codes = [f"{a:02d}{b:02d}" for a in range(1, 16) for b in range(1, 21)][:categories]
    rows = [
        {"table_key": TABLE, "category": c, "region": r, "department": "center-12345"}
        for c in category_codes
        for r in street_codes
    ]
    # district-level and catch-all rows, as a real catalogue has
    rows += [
        {"table_key": TABLE, "category": c[:2], "region": r[:6], "department": "center-12345"}
        for c in category_codes[::20]
        for r in sorted({s[:6] for s in street_codes})
    ]
    rows.append({"table_key": TABLE, "category": "*", "region": "*", "department": "center-12345"})
    with runtime.engine.begin() as conn:
        conn.execute(delete(RoutingRow).where(RoutingRow.table_key == TABLE))
        if (
            conn.execute(
                Department.__table__.select().where(Department.key == "center-12345")
            ).first()
            is None
        ):
            conn.execute(
                insert(Department),
                [{"key": "center-12345", "name": {"zh": "热线"}, "path": "/center-12345/"}],
            )
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(RoutingRow), rows[start : start + 10_000])
    if runtime.engine.dialect.name == "postgresql":  # as `PUT /api/routing` does (store)
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE routing_row"))
    timings, found = [], 0
    with runtime.uow() as uow:
        for n in range(lookups + 50):
            category = rnd.choice(category_codes) + f"{rnd.randrange(100):02d}"
            region = rnd.choice(street_codes) + f"{rnd.randrange(1, 30):03d}"
            started = time.perf_counter()
            row = resolve(uow, TABLE, category, region)
            elapsed = time.perf_counter() - started
            if n >= 50:  # the first are the connection's and the statement's warm-up
                timings.append(elapsed)
                found += row is not None and row.region != "*"
    timings.sort()
    with runtime.engine.begin() as conn:
        conn.execute(delete(RoutingRow).where(RoutingRow.table_key == TABLE))
    return {
        "rows": len(rows),
        "categories": categories,
        "streets": streets,
        "lookups": lookups,
        "found_specific": found,
        "p50_ms": statistics.median(timings) * 1000,
        "p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
    }
