"""The 12345 line at scale: millions of requests over 36 months, 343 streets and 300
categories, made in SQL like the other clones (each a case with its tasks and events,
plus its request row); then the month's street ranking and the hot spots, p50 and p99,
and the intake of requests over HTTP against the floor, at each size.

The rankings read the visits per unit and day and the hot spots the requests per month,
category and region, which the engine keeps in the same transaction as the visit and the
intake (engine.services.request_facts, requests); here they are summed in SQL from the
generated requests, as the engine would have kept them.
"""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import func, select, text

from engine.services import handling, rankings
from engine.services import requests as request_services
from engine.store.models import Case, Department, Request, RequestStat

from . import phases, seed

STREETS, CATEGORIES, MONTHS = 343, 300, 36
FIRST_MONTH = (2023, 12)  # 36 months up to 2026-11
TZ = "Asia/Shanghai"


def street_codes() -> list[tuple[str, str]]:
    """(unit key, region code) of 343 streets in 16 districts."""
    codes = []
    for n in range(STREETS):
        district, street = n // 22 + 1, n % 22 + 1
        codes.append((f"bench-street-{n:03d}", f"9902{district:02d}{street:03d}"))
    return codes


def category_codes() -> list[str]:
    return [f"{a:02d}{b:02d}" for a in range(20, 35) for b in range(1, 21)][:CATEGORIES]


def _units(engine) -> None:
    with engine.begin() as conn:
        if conn.execute(select(Department.key).where(Department.key == "bench-city")).first():
            return
        rows = [
            {
                "key": "bench-city",
                "name": {"zh": "压测市"},
                "kind": "government",
                "region_code": "990200",
                "path": "/bench-city/",
                "active": True,
            }
        ]
        for key, code in street_codes():
            rows.append(
                {
                    "key": key,
                    "name": {"zh": f"压测街道{key[-3:]}"},
                    "kind": "street",
                    "parent": "bench-city",
                    "region_code": code,
                    "path": f"/bench-city/{key}/",
                    "active": True,
                }
            )
        conn.execute(Department.__table__.insert(), rows)


def make_template(runtime) -> int:
    """A request of the shipped hotline taken, replied and visited by the engine."""
    body = dict(seed.example_form("hotline"), caller={"phone": "13900000000"}, channel="web")
    with runtime.uow() as uow:
        case = request_services.submit_request(uow, body, None)
        uow.commit()
        case_id = case.id
    for _ in range(2):  # the unit's reply, the centre's visit
        with runtime.uow() as uow:
            task = next(t for t in uow.session.get(Case, case_id).tasks if t.state == "ready")
            handling.complete(
                uow, seed.BENCH_ADMIN, task.id, seed.example_outputs("hotline")[task.task]
            )
            uow.commit()
    return case_id


def grow(runtime, template: int, target: int) -> int:
    """Requests (cases with their tasks and events, and request rows) up to `target`."""
    engine = runtime.engine
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Request)).scalar_one()
    if have >= target:
        return 0
    with engine.connect() as conn:
        before = conn.execute(text('SELECT coalesce(max(id), 0) FROM "case"')).scalar_one()
    seed.clone_cases(
        engine, [template], seed.case_count(engine) + (target - have), chunk=5000, skip=("request",)
    )
    streets = street_codes()
    values = ", ".join(f"({i}, '{key}', '{code}')" for i, (key, code) in enumerate(streets))
    categories = ", ".join(f"({i}, '{c}')" for i, c in enumerate(category_codes()))
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_street (n int, key text, code text)"))
        conn.execute(text(f"INSERT INTO bench_street VALUES {values}"))
        conn.execute(text("CREATE TEMP TABLE bench_category (n int, code text)"))
        conn.execute(text(f"INSERT INTO bench_category VALUES {categories}"))
        # spread by a hash of the id: streets and categories skewed (a few hot), dates even
        conn.execute(
            text(f"""
            INSERT INTO request (case_id, channel, type, category, region, street, urgency,
                caller_phone, address, title, created_at, unit, replied_at, contacted_at,
                contact_late, resolved, visited_at, visit, reopens)
            SELECT c.id, 'phone', 'complaint', bc.code || '01', bs.code || '001', bs.key,
                'normal', '139' || lpad(CAST(c.id % 100000000 AS TEXT), 8, '0'), '压测地址',
                '压测诉求', t.at, bs.key, t.at + interval '2 days', t.at + interval '3 hours',
                false, (c.id % 10) < 8, t.at + interval '3 days',
                json_build_object('contacted', (c.id % 20) < 19, 'resolved', (c.id % 10) < 8,
                    'satisfaction', CASE WHEN c.id % 10 < 7 THEN 'satisfied'
                                         WHEN c.id % 10 < 9 THEN 'basically'
                                         ELSE 'unsatisfied' END), 0
            FROM "case" c
            CROSS JOIN LATERAL (SELECT timestamptz '{FIRST_MONTH[0]}-{FIRST_MONTH[1]:02d}-01
                00:00:00+08' + ((c.id * 2654435761) % ({MONTHS} * 30 * 86400 - 86400 * 4))
                * interval '1 second' AS at) t
            JOIN bench_street bs ON bs.n = floor(power(((c.id * 40503) % 1000) / 1000.0, 2)
                                               * {STREETS})
            JOIN bench_category bc ON bc.n = floor(power(((c.id * 7919) % 1000) / 1000.0, 2)
                                                   * {CATEGORIES})
            WHERE c.id > {before}""")
        )
        conn.execute(text("DROP TABLE bench_street"))
        conn.execute(text("DROP TABLE bench_category"))
        _rollups(conn)
    seed.analyze(engine)
    return target - have


def _rollups(conn) -> None:
    """The counts the engine keeps in the visit's and the intake's transactions."""
    conn.execute(text("TRUNCATE request_stat, request_count"))
    conn.execute(
        text(f"""
        INSERT INTO request_stat (day, unit, visited, contacted, resolved, satisfied, basically)
        SELECT CAST(visited_at AT TIME ZONE '{TZ}' AS date), unit, count(*),
            sum(CASE WHEN CAST(visit->>'contacted' AS boolean) THEN 1 ELSE 0 END),
            sum(CASE WHEN CAST(visit->>'resolved' AS boolean) THEN 1 ELSE 0 END),
            sum(CASE WHEN visit->>'satisfaction' = 'satisfied' THEN 1 ELSE 0 END),
            sum(CASE WHEN visit->>'satisfaction' = 'basically' THEN 1 ELSE 0 END)
        FROM request WHERE visited_at IS NOT NULL AND unit IS NOT NULL
        GROUP BY 1, 2""")
    )
    conn.execute(
        text(f"""
        INSERT INTO request_count (month, category, region, n)
        SELECT to_char(created_at AT TIME ZONE '{TZ}', 'YYYY-MM'), category, region, count(*)
        FROM request GROUP BY 1, 2, 3""")
    )


def _timed(call, repeats: int) -> dict:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "p50_ms": statistics.median(timings) * 1000,
        "p99_ms": timings[max(0, int(len(timings) * 0.99) - 1)] * 1000,
        "n": repeats,
    }


def queries(runtime, token: str, repeats: int) -> dict:
    """The month's street ranking and the hot spots, for months drawn at random."""
    rnd = random.Random(11)
    months = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(0, 35)]

    def ranking():
        rankings.request_ranking(runtime, token, "street", rnd.choice(months))

    def by_category():
        rankings.hotspots(runtime, token, rnd.choice(months), "category", 10)

    def by_region():
        rankings.hotspots(
            runtime, token, rnd.choice(months), "region", 10, f"9902{rnd.randrange(1, 16):02d}"
        )

    def by_week():
        week = f"2025-W{rnd.randrange(1, 52):02d}"
        rankings.hotspots(runtime, token, week, "category", 10)

    return {
        "ranking_month_street": _timed(ranking, repeats),
        "hotspots_month_category": _timed(by_category, repeats),
        "hotspots_month_region": _timed(by_region, repeats),
        "hotspots_week_category": _timed(by_week, max(5, repeats // 5)),
    }


def intake(stack, runtime, token: str, n: int, concurrency: int, max_seconds: float) -> dict:
    """POST /api/requests by an agent, against the floor measured just before."""
    app = phases.Target(*_server(stack, "api.wsgi:app", "requests-api"))
    floor = phases.Target(*_server(stack, "bench.floor_app:app", "requests-floor", "/floor"))
    try:
        body = dict(seed.example_form("hotline"), caller={"phone": "13900000001"})
        headers = {"Authorization": f"Bearer {token}"}
        f = phases.floor_once(floor, n, concurrency, max_seconds)
        requests = [["POST", "/api/requests", headers, 0]] * n
        result = phases.run_client(app, requests, [body], concurrency, max_seconds)
        phases.check_ok(result, "request intake")
        summary = phases.summary(result)
        summary["over_floor"] = summary["per_s"] / f["per_s"]
        summary["floor_rate"] = f["per_s"]
        return summary
    finally:
        stack.stop(app.server.process)
        stack.stop(floor.server.process)


def _server(stack, app: str, name: str, ready: str = "/api/matters"):
    server = stack.gunicorn(app, name, ready_path=ready)
    return server.port, server


def measure(
    stack,
    runtime,
    sizes: list[int],
    repeats: int,
    intake_n: int,
    concurrency: int,
    max_seconds: float,
) -> dict:
    from bench.floor_app import metadata

    metadata.create_all(runtime.engine)
    _units(runtime.engine)
    token = seed.agent_token(runtime)
    template = make_template(runtime)
    out = {}
    for size in sizes:
        started = time.monotonic()
        added = grow(runtime, template, size)
        with runtime.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(Request)).scalar_one()
            stats = conn.execute(select(func.count()).select_from(RequestStat)).scalar_one()
            size_bytes = conn.execute(
                text("SELECT pg_database_size(current_database())")
            ).scalar_one()
        print(
            f"bench: {count:,} requests ({added:,} made in {time.monotonic() - started:.0f} s; "
            f"database {size_bytes / 2**30:.1f} GiB)",
            flush=True,
        )
        figures = queries(runtime, token, repeats)
        figures["intake"] = intake(stack, runtime, token, intake_n, concurrency, max_seconds)
        figures.update(
            requests=count, request_stat_rows=stats, database_gib=round(size_bytes / 2**30, 2)
        )
        out[str(size)] = figures
    return out
