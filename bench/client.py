"""The load client: a separate process from the server, driven by a job file.

    python bench/client.py JOB.json  ->  JSON result on stdout

A job is `{port, concurrency, max_seconds, bodies: [...], requests: [[method,
path, headers, body_index|null], ...]}`. `concurrency` threads take requests in
order from the shared list until it is used up or `max_seconds` have passed
(both bound every run). Each request is a prebuilt HTTP/1.1 message on a new
loopback connection (gunicorn's sync workers close after every response), so
the client spends as little CPU as it can; what it does spend is measured
(getrusage of this process) and reported, because on a 2-core machine it
competes with the server for the same cores.
"""

from __future__ import annotations

import json
import resource
import socket
import sys
import threading
import time


def _message(method: str, path: str, headers: dict, body: bytes | None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        "Accept: application/json",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def _send(port: int, message: bytes, keep_body: bool) -> tuple[int, bytes | None]:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(message)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    response = b"".join(chunks)
    try:
        status = int(response[9:12])
    except ValueError:
        status = 0
    if not keep_body:
        return status, None
    return status, response.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in response else b""


def run(job: dict) -> dict:
    port, keep = job["port"], job.get("keep_bodies", False)
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in job.get("bodies", [])]
    messages = [
        _message(m, p, h or {}, None if b is None else bodies[b]) for m, p, h, b in job["requests"]
    ]
    latencies: list[float] = [0.0] * len(messages)
    statuses: list[int] = [0] * len(messages)
    kept: list = [None] * len(messages) if keep else []
    lock = threading.Lock()
    cursor = {"next": 0}
    deadline = time.monotonic() + job.get("max_seconds", 60)

    def worker():
        while time.monotonic() < deadline:
            with lock:
                i = cursor["next"]
                cursor["next"] += 1
            if i >= len(messages):
                return
            start = time.perf_counter()
            try:
                status, body = _send(port, messages[i], keep)
            except OSError:
                status, body = -1, None
            latencies[i] = (time.perf_counter() - start) * 1000
            statuses[i] = status
            if keep:
                kept[i] = body.decode("utf-8", "replace") if body else None

    threads = [
        threading.Thread(target=worker, daemon=True) for _ in range(job.get("concurrency", 8))
    ]
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=job.get("max_seconds", 60) + 90)
    wall = time.perf_counter() - start
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    done = min(cursor["next"], len(messages))
    counts: dict[str, int] = {}
    for s in statuses[:done]:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return {
        "n": done,
        "wall": wall,
        "ok": sum(1 for s in statuses[:done] if 200 <= s < 300),
        "statuses": counts,
        "latencies_ms": [round(x, 3) for x in latencies[:done]],
        "client_cpu": (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime),
        "bodies": kept[:done] if keep else None,
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        result = run(json.load(fh))
    json.dump(result, sys.stdout)
