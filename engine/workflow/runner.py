"""One case's process instance, loaded for one engine operation.

The form and earlier task outputs are given to SpiffWorkflow as sandbox
variables, never written into task data, so the stored state stays small
whatever the form's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.sandbox import make_script_engine

from .specs import CompiledMatter
from .state import dump_state, load_state


@dataclass(frozen=True)
class ReadyTask:
    spiff_id: str
    task: str
    name: str
    department: str


class CaseWorkflow:
    def __init__(self, compiled: CompiledMatter, workflow: BpmnWorkflow):
        self.compiled = compiled
        self.workflow = workflow

    @classmethod
    def start(cls, compiled: CompiledMatter, variables: Mapping[str, Any]) -> "CaseWorkflow":
        workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs,
                                script_engine=make_script_engine(variables))
        workflow.do_engine_steps()
        return cls(compiled, workflow)

    @classmethod
    def load(cls, compiled: CompiledMatter, blob: bytes,
             variables: Mapping[str, Any]) -> "CaseWorkflow":
        workflow = load_state(blob, compiled.spec, compiled.subprocess_specs,
                              make_script_engine(variables))
        return cls(compiled, workflow)

    def dump(self) -> bytes:
        return dump_state(self.workflow)

    @property
    def completed(self) -> bool:
        return self.workflow.completed

    def ready_user_tasks(self) -> list[ReadyTask]:
        tasks = []
        user_tasks = self.compiled.package.user_tasks
        for spiff_task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            info = user_tasks[spiff_task.task_spec.bpmn_id]
            tasks.append(ReadyTask(str(spiff_task.id), info.id, info.name, info.department))
        return tasks

    def complete(self, spiff_id: str, variables: Mapping[str, Any]) -> None:
        """Finish a user task; `variables` already hold the task's output."""
        spiff_task = self.workflow.get_task_from_id(UUID(spiff_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise LookupError(f"process task {spiff_id} is not ready")
        self.workflow.script_engine = make_script_engine(variables)
        spiff_task.run()
        self.workflow.do_engine_steps()

    def cancel(self) -> None:
        self.workflow.cancel()
