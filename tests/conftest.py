"""Shared fixtures: a real database (SQLite, or PostgreSQL when DATABASE_URL is set),
migrated once per session and emptied between tests, a fixed clock, an HTTP client."""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.config import load_settings, normalise_database_url
from engine.domain.clock.now import FixedClock
from engine.store.models import Base

ROOT = Path(__file__).resolve().parent.parent
KEEP_TABLES = {"matter", "alembic_version"}
ADMIN_PASSWORD = "admin-secret-1"


def _postgres_database(url: str):
    """A throw-away database on the server DATABASE_URL points at."""
    server = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    name = f"onething_test_{secrets.token_hex(4)}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = normalise_database_url(url).rsplit("/", 1)[0]

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return f"{base}/{name}", drop


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: kills workers and restarts Redis (about a minute)")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres", "postgresql")):
        test_url, drop = _postgres_database(url)
        yield test_url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'onething.db'}"


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory):
    base = load_settings(
        {
            "ONETHING_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "ONETHING_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ONETHING_SECRET_KEY": "test-secret",
        }
    )
    return replace(
        base,
        database_url=normalise_database_url(database_url),
        redis_url=os.environ.get("REDIS_URL") or None,
    )


@pytest.fixture(scope="session")
def prepared(settings):
    from engine.runtime import Runtime

    runtime = Runtime(settings)
    runtime.prepare(load_examples=True)
    runtime.close()
    return settings


@pytest.fixture
def clock():
    # Monday 2026-11-23 10:00 Asia/Shanghai, a plain working day
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def runtime(prepared, clock):
    from engine.runtime import Runtime

    runtime = Runtime(prepared, clock=clock)
    _empty(runtime)
    with runtime.uow() as uow:
        from engine.services import accounts as staff

        staff.ensure_admin(uow, ADMIN_PASSWORD)
        uow.commit()
    _sample_organisation(runtime)
    yield runtime
    runtime.close()


def _sample_organisation(runtime) -> None:
    """Every test starts with the sample city (and the shipped matters' lanes in it)."""
    from engine.services import organisation, requests

    organisation.load(runtime, _sample_file())
    with runtime.uow() as uow:
        requests.replace_categories(uow, _categories())
        uow.commit()


@functools.cache
def _categories() -> list:
    from engine.services import organisation

    return organisation.read_file(ROOT / "processes" / "hotline" / "categories.yaml")["categories"]


@functools.cache
def _sample_file() -> dict:
    from engine.services import organisation

    return organisation.read_file(ROOT / "processes" / "organisation.yaml")


def _empty(runtime) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        # matters deployed by a test go; the shipped examples' first versions stay
        examples = [p.name for p in (ROOT / "processes").iterdir() if p.is_dir()]
        matter = Base.metadata.tables["matter"]
        conn.execute(matter.delete().where((matter.c.version > 1) | matter.c.key.not_in(examples)))


@pytest.fixture
def app(runtime):
    from api.app import create_app

    app = create_app(runtime)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
