"""engine.heap: a server process, once started, leaves what start-up made to the
collector no more, and collects its youngest generation less often."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _after_import(module: str, tmp_path) -> dict:
    code = (
        f"import gc, json, {module}; "
        "print(json.dumps({'frozen': gc.get_freeze_count(), "
        "'threshold': gc.get_threshold()}))"
    )
    env = {**os.environ, "ONETHING_DATA_DIR": str(tmp_path), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_worker_settles_once_started(tmp_path):
    """gunicorn imports api.wsgi in each worker: the app is built, then settled."""
    from engine.adapters.heap import YOUNGEST_THRESHOLD

    found = _after_import("api.wsgi", tmp_path)
    assert found["frozen"] > 10_000  # Flask, SQLAlchemy, the specs' modules
    assert found["threshold"][0] == YOUNGEST_THRESHOLD


def test_a_plain_import_of_the_engine_does_not_settle(tmp_path):
    """Settling is for a process's entry, not a side effect of the engine's import."""
    found = _after_import("engine.runtime", tmp_path)
    assert found["frozen"] == 0 and found["threshold"][0] == 700
