"""engine.workflow.joins: a parallel join fires exactly when SpiffWorkflow's own
check says it may."""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway

from engine.models import Case
from engine.workflow.joins import ParallelJoin

from .test_state_size import _submitted


def _finish(runtime, case_id: int, key: str, pick, data) -> None:
    """Complete the case's ready tasks one at a time, `pick` choosing which."""
    from engine import cases, handling

    from .helpers import ADMIN_ACTOR, task_output
    for _ in range(30):
        with runtime.uow() as uow:
            ready = [t for t in cases.lock_case(uow, case_id).tasks if t.state == "ready"]
            if not ready:
                return
            task = pick(ready)
            handling.complete(uow, ADMIN_ACTOR, task.id,
                              task_output(key, task.task) if data is None else data)
            uow.commit()
    raise AssertionError("the case did not end")


@pytest.mark.parametrize("key", ["retirement", "open-restaurant", "property-transfer",
                                 "timer-escalation"])
@pytest.mark.parametrize("pick", ["first", "last"])
def test_a_join_fires_when_spiffs_check_says_it_may(runtime, monkeypatch, key, pick):
    """At every step of every shipped matter (and of one whose review waits on a
    timer), with the parallel branches finished first-to-last and last-to-first,
    every join's answer is Spiff's; the instance is read from its stored state at
    every step, as after another worker's step."""
    from engine.workflow import kept
    answers = []
    ours = ParallelJoin._check_threshold_unstructured

    def compared(self, my_task):
        assert type(self) is ParallelJoin
        answer = ours(self, my_task)
        assert answer == ParallelGateway._check_threshold_unstructured(self, my_task)
        answers.append(answer)
        return answer
    monkeypatch.setattr(ParallelJoin, "_check_threshold_unstructured", compared)
    monkeypatch.setattr(kept, "take", lambda *_: None)
    case_id = _submitted(runtime, key)
    _finish(runtime, case_id, key, (lambda ready: ready[0]) if pick == "first" else
            (lambda ready: ready[-1]), {} if key == "timer-escalation" else None)
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).status == "completed"
    if key != "timer-escalation":  # the shipped matters all join parallel departments
        assert True in answers and False in answers
