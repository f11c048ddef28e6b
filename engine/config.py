"""Settings read once from the environment.

Everything an operator may change lives here so that the rest of the engine
takes a `Settings` object instead of reading `os.environ` at random places.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None  # None: the embedded Redis under data_dir is used
    admin_password: str | None
    secret_key: str
    token_ttl_hours: int = 12
    queue: str = "onething"  # the RQ queue name (one per installation)
    notifiers: str = "log"  # comma-separated: log, webhook, or dotted paths
    webhook_url: str | None = None  # where the webhook notifier POSTs
    timer_requeue_seconds: float = 5.0  # an enqueued timer not fired by then goes out again
    # PostgreSQL: reads and writes prepared once per connection (off behind PgBouncer's
    # transaction pooling)
    prepared_statements: bool = True
    examples_dirs: tuple[Path, Path] = field(
        default_factory=lambda: (ROOT / "processes", ROOT / "bpmn")
    )
    # 12345 rankings: the composite's weights of the response, resolution and satisfaction
    # rates (ONETHING_RANKING_WEIGHTS=10,45,45); a hot spot is `rising` when up more than
    # this share on the period before (ONETHING_HOTSPOT_RISING=0.5)
    ranking_weights: tuple[float, float, float] = (10, 45, 45)
    hotspot_rising: float = 0.5

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalise_database_url(url: str) -> str:
    """Accept the usual `postgresql://` form and pick our driver for it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def load_settings(env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = Path(env.get("ONETHING_DATA_DIR") or ROOT / "var").resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'onething.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=normalise_database_url(database_url),
        redis_url=env.get("REDIS_URL") or None,
        admin_password=env.get("ONETHING_ADMIN_PASSWORD") or None,
        secret_key=env.get("ONETHING_SECRET_KEY") or _local_secret(data_dir),
        token_ttl_hours=int(env.get("ONETHING_TOKEN_TTL_HOURS") or 12),
        queue=env.get("ONETHING_QUEUE") or "onething",
        notifiers=env.get("ONETHING_NOTIFIERS")
        or ("log,webhook" if env.get("ONETHING_WEBHOOK_URL") else "log"),
        webhook_url=env.get("ONETHING_WEBHOOK_URL") or None,
        timer_requeue_seconds=float(env.get("ONETHING_TIMER_REQUEUE_SECONDS") or 5),
        prepared_statements=(env.get("ONETHING_PG_PREPARED_STATEMENTS") or "1") != "0",
        ranking_weights=_weights(env.get("ONETHING_RANKING_WEIGHTS") or "10,45,45"),
        hotspot_rising=float(env.get("ONETHING_HOTSPOT_RISING") or 0.5),
    )


def _weights(text: str) -> tuple[float, float, float]:
    parts = [float(p) for p in text.split(",")]
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise ValueError("ONETHING_RANKING_WEIGHTS: three non-negative numbers, e.g. 10,45,45")
    return parts[0], parts[1], parts[2]


def _local_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data dir, made on first use."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        import secrets

        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
