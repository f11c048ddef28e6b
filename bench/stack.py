"""The stack under test: a throw-away database, gunicorn servers, RQ workers.

Everything started here is registered and torn down by `Stack.close()`, which
also runs on Ctrl-C, SIGTERM and at interpreter exit: every child runs in its
own process group and the whole group is killed.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key"
BENCH_REDIS_DB = 14  # not the developers' db 0: our RQ worker must not eat their jobs


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes and their reaped children (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _signal(process: subprocess.Popen, sig: int) -> None:
    """The whole process group when the child leads one (gunicorn and its workers)."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    except ProcessLookupError:
        pass


class Server:
    """One gunicorn (master + workers) in its own process group."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process, self.port, self.log = process, port, log

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *_children(self.process.pid)]

    def cpu(self) -> float:
        return cpu_seconds(self.pids)


class Stack:
    def __init__(
        self, database_url: str | None, redis_url: str | None, workers: int, threads: int = 1
    ):
        self.workers = workers
        self.threads = threads
        self.data_dir = Path(tempfile.mkdtemp(prefix="onething_bench_"))
        self.children: list[subprocess.Popen] = []
        self._drop_database = None
        self._closed = False
        self.postgres = bool(database_url and database_url.startswith("postgres"))
        if self.postgres:
            self.database_url = self._create_database(database_url)
        else:
            self.database_url = f"sqlite:///{self.data_dir / 'onething.db'}"
        self.redis_url = self._redis(redis_url)
        atexit.register(self.close)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    # -- database and redis ---------------------------------------------------
    def _create_database(self, url: str) -> str:
        from sqlalchemy import create_engine, text

        from engine.config import normalise_database_url

        server = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
        name = f"onething_bench_{secrets.token_hex(4)}"
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop():
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()

        self._drop_database = drop
        self.database_name = name
        return url.rsplit("/", 1)[0] + f"/{name}"

    def _redis(self, redis_url: str | None) -> str:
        if redis_url:
            return (
                redis_url.rsplit("/", 1)[0] + f"/{BENCH_REDIS_DB}"
                if redis_url.count("/") >= 3
                else f"{redis_url}/{BENCH_REDIS_DB}"
            )
        from engine.adapters.redis_conn import embedded_socket, start_embedded
        from engine.config import load_settings

        settings = load_settings(self.env())
        self.children.append(start_embedded(settings))
        return f"unix://{embedded_socket(settings)}"

    def env(self) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "ONETHING_DATA_DIR")
        }
        env.update(
            ONETHING_DATA_DIR=str(self.data_dir),
            ONETHING_SECRET_KEY=SECRET,
            ONETHING_QUEUE=f"onething-bench-{self.data_dir.name}",
            DATABASE_URL=self.database_url,
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        if getattr(self, "redis_url", None):
            env["REDIS_URL"] = self.redis_url
        return env

    def settings(self):
        from engine.config import load_settings, normalise_database_url

        settings = load_settings(self.env())
        return replace(settings, database_url=normalise_database_url(self.database_url))

    # -- processes ------------------------------------------------------------
    def spawn(self, argv: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        out = open(log, "ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env or self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        self.children.append(process)
        return process

    def gunicorn(
        self, app: str, name: str, env: dict | None = None, ready_path: str = "/api/matters"
    ) -> Server:
        port = _free_port()
        log = self.data_dir / f"{name}.log"
        process = self.spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--backlog",
                "2048",
                "--graceful-timeout",
                "5",
                "--timeout",
                "120",
                app,
            ],
            log,
            env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {log}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}{ready_path}", timeout=2
                ) as res:
                    if res.status < 500:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{name} did not answer within 60 s; see {log}")
        # every worker should be up before we measure
        time.sleep(0.5)
        return Server(process, port, log)

    def background(self, workers: int) -> None:
        """`workers` RQ workers and one timer scheduler."""
        for n in range(workers):
            self.spawn(
                [sys.executable, str(ROOT / "cli.py"), "worker"], self.data_dir / f"worker{n}.log"
            )
        self.spawn(
            [sys.executable, str(ROOT / "cli.py"), "scheduler"], self.data_dir / "scheduler.log"
        )

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            _signal(process, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                process.wait(timeout=10)
        if process in self.children:
            self.children.remove(process)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for process in reversed(list(self.children)):
            try:
                self.stop(process)
            except Exception as exc:  # noqa: BLE001 - keep tearing down
                print(f"bench: could not stop {process.pid}: {exc}", file=sys.stderr)
        self._clean_redis()
        if self._drop_database is not None:
            try:
                from sqlalchemy.orm import close_all_sessions

                close_all_sessions()
                self._drop_database()
            except Exception as exc:  # noqa: BLE001
                print(f"bench: could not drop {self.database_name}: {exc}", file=sys.stderr)
        if os.environ.get("BENCH_KEEP_DATA"):
            print(f"bench: data kept in {self.data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _clean_redis(self) -> None:
        """What RQ left under our queue's name in the shared Redis (the jobs expire)."""
        if not self.redis_url.startswith("redis"):
            return
        try:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            for key in client.scan_iter(match=f"*{self.env()['ONETHING_QUEUE']}*", count=500):
                client.delete(key)
        except Exception as exc:  # noqa: BLE001
            print(f"bench: could not clean Redis: {exc}", file=sys.stderr)

    def _on_signal(self, signum, _frame):
        print(f"bench: signal {signum}, stopping everything", file=sys.stderr)
        self.close()
        sys.exit(128 + signum)
