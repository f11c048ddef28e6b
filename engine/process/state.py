"""Compact workflow state: the instance without its spec, as compressed orjson bytes.

SpiffWorkflow's serializer writes the whole process spec into every saved
instance and parses it back on every load. Specs never change for a deployed
matter version, so we keep them parsed in memory (see `specs.py`) and store
only the task tree and its (small) data: smaller rows, less work per step.

The task tree is mostly repeated keys and ids, so it is deflated (level 1)
before it is stored: about 12 KB become 2 KB for a seven-task matter, which
PostgreSQL then neither compresses again nor rewrites in its TOAST table on
every step (an UPDATE of the case row: 550 -> 165 us of server CPU, measured
here). State stored before that (plain JSON, starting with "{") still loads.

The task tree is written and read by loops of our own that make the very
dictionaries and tasks Spiff's converters do, without a registry call per task
(see `_tasks_dict`, `_tasks_from_dict`; tests/test_state_size.py compares them).
"""

from __future__ import annotations

import zlib
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from .tree import ProcessInstance


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Like Spiff's converter, but the specs come from our cache, not the row,
    and the task tree is written by `_tasks_dict` (the same dictionaries)."""

    def to_dict(self, workflow):
        dct = {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self._tasks_dict(workflow.tasks),
            "root": str(workflow.task_tree.id),
        }
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def _tasks_dict(self, tasks: dict) -> dict:
        """What Spiff's `TaskConverter.to_dict` writes for each task, typename included,
        without going through the registry for each task, and each id made a string
        once, not up to four times: together most of the cost of storing a step
        (196 -> 80 us for a 34-task instance, measured here). A test compares the
        result with Spiff's own on every shipped matter.

        Ids are looked up by the identity of their UUID objects (a task's parent and
        children refer to the very objects that key the tasks), since a UUID hashes
        in Python, six times per task; an id met as another object is named anew
        (a 36-task instance: 143 -> 101 us)."""
        names = {id(task_id): str(task_id) for task_id in tasks}
        by_id = {id(task_id): task for task_id, task in tasks.items()}
        return {
            names[id(task_id)]: self._task_dict(task, names, by_id)
            for task_id, task in tasks.items()
        }

    def _task_dict(self, task, names: dict, by_id: dict) -> dict:
        if task.__class__ is not _FAST_TASK_CLASS:
            return self.registry.convert(task)  # not the task class this was written for
        parent_id = task._parent
        parent = None if parent_id is None else (by_id.get(id(parent_id)) or task.parent)
        if parent is None:
            data, delta = task.data, {}
        else:
            data, delta = (
                {},
                {
                    "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                    "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
                },
            )
        internal = task.internal_data
        return {
            "id": names.get(id(task.id)) or str(task.id),
            "parent": names.get(id(parent_id)) or str(parent_id) if parent is not None else None,
            "children": [names.get(id(child)) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(internal) if internal else {},
            "data": data,
            "delta": delta,
            "typename": "Task",
        }

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        workflow = self.target_class(
            spec, subprocess_specs, script_engine=script_engine, deserializing=True
        )
        workflow.tasks = self._tasks_from_dict(dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def _tasks_from_dict(self, tasks: dict, workflow) -> dict:
        """The task tree back, as Spiff's `TaskConverter.from_dict` restores each task,
        without the registry's lookup and copy per task, and each id parsed once, not
        up to four times: a process instance read back from its stored state is most
        of what an operation on a case pays when it was not kept in memory (334 ->
        215 us for a 34-task instance, measured here). A test compares the result
        with Spiff's own on every shipped matter."""
        ids: dict[str, UUID] = {}

        def uuid(text: str) -> UUID:
            found = ids.get(text)
            if found is None:
                found = ids[text] = UUID(text)
            return found

        restored = {}
        for key, task in tasks.items():
            if _FAST_TASK_CLASS is None or task.get("typename") != "Task":
                restored[uuid(key)] = self.registry.restore(task, workflow=workflow)
            else:
                restored[uuid(key)] = self._task_from_dict(task, workflow, uuid)
        return restored

    def _task_from_dict(self, dct: dict, workflow, uuid):
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = _FAST_TASK_CLASS(workflow, task_spec, state=dct["state"], id=uuid(dct["id"]))
        task._parent = uuid(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            workflow.top_workflow.event_manager.add_task(task)
        delta, parent = dct.get("delta"), task.parent
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpeclessWorkflowConverter
_registry = BpmnWorkflowSerializer.configure(_config)
# onething's instances (engine.workflow.tree) are stored as Spiff's BpmnWorkflow, and
# every stored BpmnWorkflow comes back as one of them (this converter replaces the
# one above for that name)
_SpeclessWorkflowConverter(ProcessInstance, _registry, typename="BpmnWorkflow")


def _fast_task_class():
    """Spiff's task class, if the registry converts and restores it with Spiff's own
    `TaskConverter` (what `_task_dict` and `_task_from_dict` copy); else None, and
    every task goes through the registry."""
    typename = _registry.typenames.get(Task)
    to_dict = _registry.convert_to_dict.get(typename)
    from_dict = _registry.convert_from_dict.get(typename)
    ours = (
        to_dict is not None
        and len(to_dict.args) > 1
        and from_dict is not None
        and len(from_dict.args) > 0
        and getattr(to_dict.args[1], "__func__", None) is TaskConverter.to_dict
        and getattr(from_dict.args[0], "__func__", None) is TaskConverter.from_dict
    )
    return Task if ours and typename == "Task" else None


_FAST_TASK_CLASS = _fast_task_class()


def dump_state(workflow: BpmnWorkflow) -> bytes:
    return zlib.compress(orjson.dumps(_registry.convert(workflow)), 1)


def load_state(blob: bytes, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
    text = blob if blob[:1] == b"{" else zlib.decompress(blob)
    return _registry.restore(
        orjson.loads(text),
        spec=spec,
        subprocess_specs=subprocess_specs,
        script_engine=script_engine,
    )
