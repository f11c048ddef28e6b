"""onething's benchmarks: the engine against the limit of its own stack.

    ./onething bench            full run (PostgreSQL + Redis when DATABASE_URL /
                                REDIS_URL are set, else SQLite + embedded Redis)
    ./onething bench --quick    small and fast: checks that the harness runs

Prints a table and writes bench/results.json. Every server and worker it
starts is killed at the end (also on Ctrl-C or error); it works in its own
throw-away PostgreSQL database or its own SQLite data dir, never ./var.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import engine_bench, phases, report, requests_bench, routing_bench, seed  # noqa: E402
from bench.stack import SECRET, Stack  # noqa: E402

MATTER = "open-restaurant"  # acceptance, then 4-5 parallel departments, a join, a result


@dataclass
class Plan:
    repeats: int
    concurrency: int
    floor_n: int
    intake_n: int
    handoff_cases: int
    progress_n: int
    small: int
    large: int
    engine_cases: int
    engine_repeats: int
    bytes_cases: int
    max_seconds: float


FULL = Plan(
    repeats=3,
    concurrency=8,
    floor_n=3000,
    intake_n=800,
    handoff_cases=300,
    progress_n=3000,
    small=1_000,
    large=100_000,
    engine_cases=10,
    engine_repeats=8,
    bytes_cases=20,
    max_seconds=30,
)
QUICK = Plan(
    repeats=2,
    concurrency=4,
    floor_n=60,
    intake_n=30,
    handoff_cases=6,
    progress_n=60,
    small=100,
    large=500,
    engine_cases=1,
    engine_repeats=1,
    bytes_cases=2,
    max_seconds=10,
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="onething bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI (< 1 min)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn workers (default: one per core)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="phases: http engine bytes timers routing requests (default: all)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        nargs="*",
        default=[1_000_000, 3_000_000],
        help="12345 requests: the sizes to measure at (PostgreSQL; default 1,000,000 and "
        "3,000,000)",
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    only = set(args.only or ("http", "engine", "bytes", "timers", "routing", "requests"))
    started = time.monotonic()
    stack = Stack(
        os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL"), args.workers, args.threads
    )
    try:
        results = run(stack, plan, only, args)
    finally:
        stack.close()
    results["wall_s"] = time.monotonic() - started
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    Path(args.output).write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(report.table(results))
    print(f"\nresults written to {args.output} ({results['wall_s']:.0f} s)")
    return 0


def run(stack: Stack, plan: Plan, only: set[str], args) -> dict:
    from engine.runtime import Runtime

    runtime = Runtime(stack.settings())
    runtime.prepare(load_examples=True)
    results = {
        "mode": "quick" if args.quick else "full",
        "plan": plan.__dict__,
        "machine": machine(),
        "commit": commit(),
        "database": database(runtime),
        "workers": args.workers,
    }
    print(
        f"bench: {results['database']['name']}, {args.workers} gunicorn workers, "
        f"{results['machine']['cpus']} cores, {results['mode']} run",
        flush=True,
    )
    stack.background(args.workers)  # RQ workers and the timer scheduler, as in production
    try:
        if "engine" in only:
            # first, while both engines' stores are as small: the naive engine's table
            # never grows with the cases the HTTP phases add, onething's do
            print("bench: engine in-process, onething vs naive SpiffWorkflow", flush=True)
            results["engine"] = engine_bench.measure(
                runtime, MATTER, plan.engine_cases, plan.engine_repeats
            )
            results["engine_wide"] = engine_bench.measure_wide(
                runtime, 1000, plan.engine_cases, plan.engine_repeats
            )
        if "http" in only:
            results["http"] = http_phases(stack, runtime, plan)
        if "timers" in only:
            results["timers"] = timers_phase(stack, runtime, plan)
        if "engine" in only and "http" in only:
            print("bench: engine in-process again, onething's tables now full", flush=True)
            results["engine_loaded"] = engine_bench.measure(
                runtime, MATTER, plan.engine_cases, plan.engine_repeats
            )
            results["engine_loaded"]["cases_in_database"] = seed.case_count(runtime.engine)
        if "requests" in only:
            if runtime.engine.dialect.name != "postgresql" or plan is not FULL:
                results["requests"] = {
                    "measured": False,
                    "reason": "a full run on PostgreSQL measures it",
                }
            else:
                print("bench: 12345 requests at scale", flush=True)
                results["requests"] = requests_bench.measure(
                    stack,
                    runtime,
                    sorted(args.requests),
                    repeats=50,
                    intake_n=plan.intake_n,
                    concurrency=plan.concurrency,
                    max_seconds=plan.max_seconds,
                )
        if "routing" in only:
            print("bench: routing table resolution", flush=True)
            results["routing"] = (
                routing_bench.measure(runtime)
                if plan is FULL
                else routing_bench.measure(runtime, categories=30, streets=34, lookups=100)
            )
        if "bytes" in only:
            print("bench: stored bytes per case, 10 vs 1,000 form fields", flush=True)
            results["bytes"] = engine_bench.stored_bytes(runtime, cases=plan.bytes_cases)
    finally:
        runtime.close()
    return results


def http_phases(stack: Stack, runtime, plan: Plan) -> dict:
    from bench.floor_app import metadata

    metadata.create_all(runtime.engine)
    tokens = seed.department_tokens(runtime)
    templates = seed.make_templates(runtime)
    server = stack.gunicorn("api.wsgi:app", "onething")
    app = phases.Target(server.port, server)
    floor_server = stack.gunicorn("bench.floor_app:app", "floor", ready_path="/floor")
    floor = phases.Target(floor_server.port, floor_server)
    # warm every worker: parsed specs, validators, connection pools
    phases.floor_once(floor, 20, plan.concurrency, plan.max_seconds)
    phases.intake_once(app, MATTER, 20, plan.concurrency, plan.max_seconds)
    out = {"sizes": {}}
    for label, size in (("small", plan.small), ("large", plan.large)):
        t0 = time.monotonic()
        added = seed.clone_cases(runtime.engine, templates, size)
        print(
            f"bench: {seed.case_count(runtime.engine):,} cases in the database "
            f"({added:,} cloned in {time.monotonic() - t0:.1f} s)",
            flush=True,
        )
        out["sizes"][label] = size_phase(runtime, plan, app, floor, tokens, size, stack.workers)
    out["floor"] = out["sizes"]["large"].pop("floor")
    out["sizes"]["small"].pop("floor")
    stack.stop(server.process)
    stack.stop(floor_server.process)
    return out


def size_phase(runtime, plan: Plan, app, floor, tokens, size: int, workers: int) -> dict:
    """Floor, intake, handoff and progress, `plan.repeats` times, at this many cases.

    Intake and handoff run with `plan.concurrency` clients (more than the workers:
    saturation, so their latencies include queueing); progress runs with one
    client per worker, so its latencies are service times at full throughput."""
    runs = {
        "floor": [],
        "intake": [],
        "handoff": [],
        "handoff_collide": [],
        "progress": [],
        "ratio": [],
        "handoff_ratio": [],
    }
    counts = []
    for rep in range(plan.repeats):
        counts.append(seed.case_count(runtime.engine))
        f = phases.floor_once(floor, plan.floor_n, plan.concurrency, plan.max_seconds)
        i, case_nos = phases.intake_once(
            app, MATTER, plan.intake_n, plan.concurrency, plan.max_seconds
        )
        h = phases.handoff_once(
            app,
            runtime.engine,
            tokens,
            case_nos[: plan.handoff_cases],
            plan.concurrency,
            plan.max_seconds * 2,
        )
        hc = phases.handoff_once(
            app,
            runtime.engine,
            tokens,
            case_nos[plan.handoff_cases : 2 * plan.handoff_cases],
            plan.concurrency,
            plan.max_seconds * 2,
            collide=True,
        )
        p = phases.progress_once(
            app, runtime.engine, SECRET, plan.progress_n, workers, plan.max_seconds, seed_value=rep
        )
        for name, result in (
            ("floor", f),
            ("intake", i),
            ("handoff", h),
            ("handoff_collide", hc),
            ("progress", p),
        ):
            runs[name].append(phases.summary(result))
        runs["ratio"].append(i["per_s"] / f["per_s"])
        runs["handoff_ratio"].append(h["per_s"] / f["per_s"])
        print(
            f"bench: [{size:,}] rep {rep + 1}: floor {f['per_s']:.0f}/s, intake "
            f"{i['per_s']:.0f}/s (p99 {i['p99_ms']:.0f} ms), handoff {h['per_s']:.0f}/s "
            f"(p99 {h['p99_ms']:.0f} ms; branches at once {hc['per_s']:.0f}/s), progress "
            f"p99 {p['p99_ms']:.1f} ms",
            flush=True,
        )
    result = {
        name: medians(runs[name])
        for name in ("floor", "intake", "handoff", "handoff_collide", "progress")
    }
    result["intake_over_floor"] = statistics.median(runs["ratio"])
    # not a target: the handoff rate as a share of what the machine gave the floor then
    result["handoff_over_floor"] = statistics.median(runs["handoff_ratio"])
    result["cases_at_start"] = counts
    result["runs"] = {k: v for k, v in runs.items() if k not in ("ratio", "handoff_ratio")}
    return result


def medians(runs: list[dict]) -> dict:
    keys = (
        "per_s",
        "p50_ms",
        "p99_ms",
        "server_cpu_ms",
        "client_cpu_ms",
        "client_cpu_share",
        "machine_busy",
    )
    out = {k: statistics.median(r[k] for r in runs) for k in keys}
    out["n_per_run"] = [r["n"] for r in runs]
    return out


def timers_phase(stack: Stack, runtime, plan: Plan) -> dict:
    """The timer pipeline (engine.timers, workers/scheduler.py): 10,000 cards due in
    the same second over the large table's pending timers."""
    if seed.case_count(runtime.engine) < plan.large:  # run alone (--only timers)
        seed.clone_cases(runtime.engine, seed.make_templates(runtime), plan.large)
    from bench import timers_bench

    return timers_bench.measure(stack, runtime, plan)


def machine() -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "mem_gb": round(int(mem) / 2**20, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
    }


def commit() -> dict:
    def git(*a):
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "sha": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def database(runtime) -> dict:
    from sqlalchemy import text

    with runtime.engine.connect() as conn:
        if runtime.engine.dialect.name == "postgresql":
            version = conn.execute(text("SHOW server_version")).scalar_one()
            return {"name": f"PostgreSQL {version}", "dialect": "postgresql"}
        version = conn.execute(text("SELECT sqlite_version()")).scalar_one()
        return {"name": f"SQLite {version}", "dialect": "sqlite"}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
