"""The process instance class onething runs: SpiffWorkflow's, with its common task
queries answered by a plain walk of the task tree.

SpiffWorkflow finds tasks with a general iterator (filters as objects, depth
bookkeeping, properties on every step): some 5 µs a task, and a case's tree has
30-50 tasks. Spiff itself asks `get_tasks` over and over in one operation (the
engine steps look for ready tasks after every task they run; a parallel join
looks up every task of its spec), and so does onething (the ready user tasks,
the waiting timers). `ProcessInstance.get_tasks` answers the queries that filter
only by state, manual and spec name with a loop that visits the same tasks in
the same order (depth first, children in order, not into a branch below the
state the filter needs) and returns the same list; any other query, a workflow
with subprocesses (whose trees Spiff's iterator descends into), or a tree of
as many tasks as Spiff's iterator goes deep (so perhaps that deep) is Spiff's
own. A test compares the two on every query at every step of every shipped
matter.

After every task a step completes, Spiff updates every waiting task, found by
the same iterator walking the whole tree; `update_waiting_tasks` walks it as
`_waiting` does, as lazily (3 % fewer instructions per case through the API).

Stored states are unchanged: the class is serialised as Spiff's BpmnWorkflow
(engine.workflow.state registers it under that name).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_PLAIN_FILTERS = frozenset({"state", "manual", "spec_name"})
_SPIFF_MAX_DEPTH = 1000  # TaskIterator's default: it descends no further


class ProcessInstance(BpmnWorkflow):
    def get_tasks(self, first_task=None, **kwargs):
        if (
            first_task is None
            and not self.subprocesses
            and kwargs.keys() <= _PLAIN_FILTERS
            and len(self.tasks) < _SPIFF_MAX_DEPTH
        ):  # then no path is as deep
            return _walk(
                self,
                kwargs.get("state", TaskState.ANY_MASK),
                kwargs.get("manual"),
                kwargs.get("spec_name"),
            )
        return super().get_tasks(first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        """Spiff's, with its iterator replaced by `_waiting` (after every task a step
        completes, every waiting task is updated: a join asks if it may fire)."""
        if len(self.tasks) >= _SPIFF_MAX_DEPTH:
            return super().update_waiting_tasks()
        for task in _waiting(self):
            task.task_spec._update(task)


def _lowest_state_descended(state: int) -> int:
    """Below which state TaskIterator does not look at a task's children."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def _walk(workflow, state: int, manual, spec_name) -> list:
    """The tasks TaskIterator(state=..., manual=..., spec_name=...) yields, in its
    order, for a tree no path of which reaches Spiff's depth limit."""
    lowest = _lowest_state_descended(state)
    child = workflow.tasks.__getitem__
    found, stack = [], [workflow.task_tree]
    while stack:
        task = stack.pop()
        task_state, spec = task._state, task.task_spec
        if (
            task_state & state
            and (manual is None or spec.manual == manual)
            and (spec_name is None or spec.name == spec_name)
        ):
            found.append(task)
        if task._children and task_state >= lowest:
            stack.extend(map(child, reversed(task._children)))
    return found


def _waiting(workflow):
    """What TaskIterator(workflow.task_tree, state=WAITING) yields, and as lazily: a
    task's children are taken when it is reached, before it is yielded and updated,
    and a task is tested when it is reached, so what updating one task changes
    further on is seen. The tree holds fewer tasks than Spiff's depth limit, so no
    path reaches it."""
    lowest = _lowest_state_descended(TaskState.WAITING)
    pending = [workflow.task_tree]
    while pending:
        task = pending.pop()
        if task._children and task._state >= lowest:
            tasks = task.workflow.tasks
            pending.extend(tasks.get(child) for child in reversed(task._children))
        if task._state & TaskState.WAITING:
            yield task
