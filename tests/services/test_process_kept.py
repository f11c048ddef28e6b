"""Process instances kept in memory between operations (engine.workflow.kept):
used only while the stored case is still at the version they were committed
with, and never after an operation that failed."""

from __future__ import annotations

import pytest

from engine.process import kept
from engine.process.runner import CaseWorkflow
from engine.services import handling
from engine.store import history
from engine.store.models import Case, Event

from ..helpers import ADMIN_ACTOR as ADMIN
from ..helpers import submit_case, task_output

KEY = "retirement"


@pytest.fixture
def loads(monkeypatch):
    """How many times an instance was read back from its stored state."""
    calls = []
    original = CaseWorkflow.load.__func__
    monkeypatch.setattr(
        CaseWorkflow, "load", classmethod(lambda cls, *a: calls.append(1) or original(cls, *a))
    )
    return calls


def _ready(runtime, case_id) -> list[tuple[int, str]]:
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        return [(t.id, t.task) for t in case.tasks if t.state == "ready"]


def _complete(runtime, task_id, task) -> None:
    with runtime.uow() as uow:
        handling.complete(uow, ADMIN, task_id, task_output(KEY, task))
        uow.commit()


def test_the_next_operation_uses_the_kept_instance(runtime, loads):
    case_id = submit_case(runtime, KEY)
    ((task_id, task),) = _ready(runtime, case_id)
    _complete(runtime, task_id, task)
    assert loads == []
    (task_id, task), *others = _ready(runtime, case_id)
    assert others
    _complete(runtime, task_id, task)  # and the one after: the case's version moved on
    assert loads == []


def test_an_instance_older_than_the_stored_case_is_not_used(runtime, loads):
    """Another process moved the case on: what this one kept is stale."""
    case_id = submit_case(runtime, KEY)
    with runtime.uow() as uow:
        case = uow.session.get(Case, case_id)
        stamp = (case.code_salt, case.lock_version)
    stale = kept.take(case_id, stamp)  # this process's copy, held while "another" works
    ((task_id, task),) = _ready(runtime, case_id)
    _complete(runtime, task_id, task)  # read from the database: nothing kept
    assert len(loads) == 1
    kept.keep(case_id, stamp, stale)  # the stale copy comes back under its old version
    first, *_ = _ready(runtime, case_id)
    _complete(runtime, *first)
    assert len(loads) == 2  # the stored case was newer: read again
    with runtime.uow() as uow:
        states = [t.state for t in uow.session.get(Case, case_id).tasks if t.task == task]
    assert states == ["completed"]


def test_a_failed_operation_leaves_nothing_in_memory(runtime, loads, monkeypatch):
    case_id = submit_case(runtime, KEY)
    ((task_id, task),) = _ready(runtime, case_id)
    original = history.record

    def failing(uow, case, kind, *args, **kwargs):
        if kind == "task_ready":  # after the instance has moved on
            raise RuntimeError("the database went away")
        return original(uow, case, kind, *args, **kwargs)

    monkeypatch.setattr(history, "record", failing)
    with pytest.raises(RuntimeError):
        _complete(runtime, task_id, task)
    monkeypatch.setattr(history, "record", original)
    assert _ready(runtime, case_id) == [(task_id, task)]
    _complete(runtime, task_id, task)
    assert len(loads) == 1  # the instance the failed attempt moved on was dropped
    with runtime.uow() as uow:
        completed = [
            e for e in uow.session.query(Event).filter_by(case_id=case_id, kind="task_completed")
        ]
    assert len(completed) == 1
    assert len(_ready(runtime, case_id)) > 1
