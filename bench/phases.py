"""The HTTP measurements: floor, intake, handoff, progress.

Each `*_once` function makes one bounded client run (a separate process, see
`client.py`) and returns its figures, with the server's and the client's own
CPU and the machine's CPU use over the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.store.models import Case, Matter, Task

from . import seed

HERE = Path(__file__).resolve().parent


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@dataclass
class Target:
    port: int
    server: object  # stack.Server


def run_client(
    target: Target,
    requests: list,
    bodies: list,
    concurrency: int,
    max_seconds: float,
    keep_bodies: bool = False,
) -> dict:
    job = {
        "port": target.port,
        "concurrency": concurrency,
        "max_seconds": max_seconds,
        "bodies": bodies,
        "requests": requests,
        "keep_bodies": keep_bodies,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(job, fh, ensure_ascii=False)
        path = fh.name
    try:
        server_cpu0, machine0 = target.server.cpu(), _machine_cpu()
        done = subprocess.run(
            [sys.executable, str(HERE / "client.py"), path],
            capture_output=True,
            text=True,
            timeout=max_seconds + 180,
        )
        server_cpu1, machine1 = target.server.cpu(), _machine_cpu()
    finally:
        os.unlink(path)
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    lat = result["latencies_ms"]
    busy = (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1])
    n = max(1, result["n"])
    result.update(
        p50_ms=percentile(lat, 50),
        p99_ms=percentile(lat, 99),
        per_s=result["ok"] / result["wall"] if result["wall"] else 0.0,
        server_cpu_ms=(server_cpu1 - server_cpu0) * 1000 / n,
        client_cpu_ms=result["client_cpu"] * 1000 / n,
        client_cpu_share=result["client_cpu"] / result["wall"] / (os.cpu_count() or 1),
        machine_busy=busy,
    )
    return result


def summary(result: dict) -> dict:
    """What a run is reported by (the raw latencies stay out of results.json)."""
    keys = (
        "n",
        "ok",
        "statuses",
        "wall",
        "per_s",
        "p50_ms",
        "p99_ms",
        "server_cpu_ms",
        "client_cpu_ms",
        "client_cpu_share",
        "machine_busy",
    )
    return {k: result.get(k) for k in keys}


def check_ok(result: dict, what: str) -> None:
    bad = {k: v for k, v in result["statuses"].items() if not k.startswith("2")}
    if bad:
        raise RuntimeError(f"{what}: non-2xx answers {bad}; see the server log")


# -- floor ---------------------------------------------------------------------


def floor_once(target: Target, n: int, concurrency: int, max_seconds: float) -> dict:
    body = {"note": "one insert, one commit"}
    requests = [["POST", "/floor", None, 0]] * n
    result = run_client(target, requests, [body], concurrency, max_seconds)
    check_ok(result, "floor")
    return result


# -- intake --------------------------------------------------------------------


def intake_requests(key: str, n: int) -> tuple[list, list]:
    body = {"applicant": seed.APPLICANT, "form": seed.example_form(key)}
    return [["POST", f"/api/matters/{key}/cases", None, 0]] * n, [body]


def intake_once(
    target: Target, key: str, n: int, concurrency: int, max_seconds: float
) -> tuple[dict, list[str]]:
    requests, bodies = intake_requests(key, n)
    result = run_client(target, requests, bodies, concurrency, max_seconds, keep_bodies=True)
    check_ok(result, "intake")
    case_nos = [json.loads(b)["case_no"] for b in result.pop("bodies") if b]
    return result, case_nos


# -- handoff -------------------------------------------------------------------


def handoff_once(
    target: Target,
    engine,
    tokens: dict[str, str],
    case_nos: list[str],
    concurrency: int,
    max_seconds: float,
    collide: bool = False,
    max_waves: int = 12,
) -> dict:
    """Complete every ready task of the given cases, wave after wave, until they end.

    Within a wave each case's parallel branches are completed by different
    clients and the last of them passes the join. As departments work, the
    branches of a case come apart in time: a wave takes the first ready task of
    every case, then the second of every case, and so on. With `collide` a
    wave is ordered by case instead, so that a case's branches are completed
    at the same moment and queue on its lock: the worst case for the join.
    """
    with engine.connect() as conn:
        case_ids = list(conn.execute(select(Case.id).where(Case.case_no.in_(case_nos))).scalars())
        keys = dict(conn.execute(select(Matter.id, Matter.key)).all())
    outputs: dict[str, dict] = {}  # by matter key, read when a case of it comes up
    latencies, ok, wall, server_cpu, client_cpu, busy_w, statuses = [], 0, 0.0, 0.0, 0.0, 0.0, {}
    waves = 0
    started = time.monotonic()
    while waves < max_waves and time.monotonic() - started < max_seconds:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Task.id, Task.task, Task.department, Case.matter_id, Task.case_id)
                .join(Case, Case.id == Task.case_id)
                .where(Task.case_id.in_(case_ids), Task.state == "ready")
                .order_by(Task.case_id, Task.id)
            ).all()
        if not rows:
            break
        if not collide:
            rows = _spread_over_cases(rows)
        bodies, index, requests = [], {}, []
        for r in rows:
            slot = (r.matter_id, r.task)
            if slot not in index:
                index[slot] = len(bodies)
                key = keys[r.matter_id]
                if key not in outputs:
                    outputs[key] = seed.example_outputs(key)
                bodies.append({"data": outputs[key][r.task]})
            requests.append(
                [
                    "POST",
                    f"/api/tasks/{r.id}/complete",
                    {"Authorization": f"Bearer {tokens[r.department]}"},
                    index[slot],
                ]
            )
        result = run_client(
            target,
            requests,
            bodies,
            concurrency,
            max(1.0, max_seconds - (time.monotonic() - started)),
        )
        check_ok(result, "handoff")
        waves += 1
        latencies += result["latencies_ms"]
        ok += result["ok"]
        wall += result["wall"]
        server_cpu += result["server_cpu_ms"] * result["n"]
        client_cpu += result["client_cpu"]
        busy_w += result["machine_busy"] * result["wall"]
        for k, v in result["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    n = max(1, len(latencies))
    return {
        "n": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "wall": wall,
        "waves": waves,
        "per_s": ok / wall if wall else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "server_cpu_ms": server_cpu / n,
        "client_cpu_ms": client_cpu * 1000 / n,
        "client_cpu_share": client_cpu / wall / (os.cpu_count() or 1) if wall else 0.0,
        "machine_busy": busy_w / wall if wall else 0.0,
    }


def _spread_over_cases(rows: list) -> list:
    """Rows ordered by case, reordered by their rank within their case, then case."""
    rank, ranked = {}, []
    for row in rows:
        rank[row.case_id] = rank.get(row.case_id, -1) + 1
        ranked.append((rank[row.case_id], row.case_id, row))
    return [row for *_, row in sorted(ranked, key=lambda r: r[:2])]


# -- progress ------------------------------------------------------------------


def progress_once(
    target: Target,
    engine,
    secret: str,
    n: int,
    concurrency: int,
    max_seconds: float,
    seed_value: int,
) -> dict:
    pairs = seed.progress_targets(engine, secret, n, seed_value)
    requests = [
        ["GET", f"/api/cases/{case_no}/progress?code={code}", None, None] for case_no, code in pairs
    ]
    result = run_client(target, requests, [], concurrency, max_seconds)
    check_ok(result, "progress")
    return result
