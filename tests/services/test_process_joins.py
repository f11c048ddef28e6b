"""engine.workflow.joins: a parallel join fires exactly when SpiffWorkflow's own
check says it may."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway

from engine.process.joins import ParallelJoin
from engine.store.models import Case

from ..helpers import complete_case
from .test_process_state import _submitted

_PICKS = {"first": lambda ready: ready[0], "last": lambda ready: ready[-1]}


@pytest.mark.parametrize(
    "key", ["retirement", "open-restaurant", "property-transfer", "timer-escalation"]
)
@pytest.mark.parametrize("pick", ["first", "last"])
def test_a_join_fires_when_spiffs_check_says_it_may(runtime, monkeypatch, key, pick):
    """At every step of every shipped matter (and of one whose review waits on a
    timer), with the parallel branches finished first-to-last and last-to-first,
    every join's answer is Spiff's; the instance is read from its stored state at
    every step, as after another worker's step."""
    from engine.process import kept

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
    complete_case(
        runtime, case_id, key, {} if key == "timer-escalation" else None, pick=_PICKS[pick]
    )
    with runtime.uow() as uow:
        assert uow.session.get(Case, case_id).status == "completed"
    if key != "timer-escalation":  # the shipped matters all join parallel departments
        assert True in answers and False in answers


def _steps(runtime, key: str, pick) -> list:
    """Each stored step of a case of `key`: its tasks in tree order (spec, state, data)."""
    from engine.process import runner

    steps, dump_state = [], runner.dump_state

    def seen(workflow):
        steps.append([(t.task_spec.name, t.state, t.data) for t in workflow.get_tasks()])
        return dump_state(workflow)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "dump_state", seen)
        case_id = _submitted(runtime, key)
        complete_case(runtime, case_id, key, {} if key == "timer-escalation" else None, pick=pick)
    return steps


@pytest.mark.parametrize(
    "key", ["retirement", "open-restaurant", "property-transfer", "timer-escalation"]
)
@pytest.mark.parametrize("pick", ["first", "last"])
def test_waiting_tasks_are_updated_as_spiff_updates_them(runtime, monkeypatch, key, pick):
    """ProcessInstance.update_waiting_tasks walks the tree its own way: every stored
    step of a case is the one Spiff's own iterator gives, task for task."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from engine.process import kept
    from engine.process.tree import ProcessInstance

    choose = _PICKS[pick]
    monkeypatch.setattr(kept, "take", lambda *_: None)
    ours = _steps(runtime, key, choose)
    monkeypatch.setattr(ProcessInstance, "update_waiting_tasks", BpmnWorkflow.update_waiting_tasks)
    assert _steps(runtime, key, choose) == ours
    assert len(ours) >= 3


def test_the_waiting_walk_is_spiffs_iterator_even_as_the_tree_changes(runtime):
    """`tree._waiting` against TaskIterator(state=WAITING) on the tree of a case with
    its departments open, many tasks made waiting, and each yielded task changing
    itself and a task further on (waiting, predicted, so not descended into, or done)
    as an update might: the same tasks in the same order."""
    from SpiffWorkflow.util.task import TaskIterator, TaskState

    from engine.process.tree import _waiting
    from engine.services import flow

    from ..helpers import complete_a_ready_task, submit_case

    case_id = submit_case(runtime, "open-restaurant")
    complete_a_ready_task(runtime, case_id, "open-restaurant")  # acceptance: the split
    with runtime.uow() as uow:
        workflow = flow.load_flow(flow.lock_case(uow, case_id)).workflow
    tasks = workflow.get_tasks()
    assert len(tasks) > 20
    cycle = [TaskState.WAITING, TaskState.COMPLETED, TaskState.LIKELY]

    def walk(iterate) -> list:
        for i, task in enumerate(tasks):
            task._state = TaskState.WAITING if i % 2 else TaskState.COMPLETED
        order = []
        for task in iterate():
            order.append(task.id)
            at = tasks.index(task)
            task._state = TaskState.READY
            if at + 3 < len(tasks):
                tasks[at + 3]._state = cycle[at % 3]
        return order

    ours = walk(lambda: _waiting(workflow))
    assert ours == walk(lambda: TaskIterator(workflow.task_tree, state=TaskState.WAITING))
    assert len(ours) > 5
