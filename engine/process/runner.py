"""One case's process instance, loaded for one engine operation.

The form and earlier task outputs are given to SpiffWorkflow as sandbox
variables, never written into task data, so the stored state stays small
whatever the form's size.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from ..errors import ProcessFailed
from ..sandbox import SandboxError, make_script_engine
from .calendar_functions import timer_functions
from .compiled import CompiledProcess
from .state import dump_state, load_state
from .tree import ProcessInstance


def quiet_spiff_loggers() -> None:
    """SpiffWorkflow builds the extras of a log record on every task state change
    whether or not the record is emitted, and while its loggers' own level is
    unset (below INFO) it adds each task's data and, for a workflow, walks every
    task of the tree: 9 % of starting a process. Its loggers are set to WARNING
    unless something configured them already."""
    for name in ("spiff.task", "spiff.workflow"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


@dataclass(frozen=True)
class ReadyTask:
    spiff_id: str
    task: str
    name: str
    department: str


def _engine(compiled: CompiledProcess, variables: Mapping[str, Any]):
    """The sandbox, with the working-day helpers of the matter's calendar."""
    return make_script_engine(variables, functions=timer_functions(compiled.calendar))


class CaseWorkflow:
    def __init__(self, compiled: CompiledProcess, workflow: BpmnWorkflow):
        self.compiled = compiled
        self.workflow = workflow

    @classmethod
    def start(cls, compiled: CompiledProcess, variables: Mapping[str, Any]) -> "CaseWorkflow":
        workflow = ProcessInstance(
            compiled.spec, compiled.subprocess_specs, script_engine=_engine(compiled, variables)
        )
        with _process_errors():
            workflow.do_engine_steps()
        return cls(compiled, workflow)

    @classmethod
    def load(
        cls, compiled: CompiledProcess, blob: bytes, variables: Mapping[str, Any]
    ) -> "CaseWorkflow":
        workflow = load_state(
            blob, compiled.spec, compiled.subprocess_specs, _engine(compiled, variables)
        )
        return cls(compiled, workflow)

    @classmethod
    def resume(
        cls, compiled: CompiledProcess, workflow: BpmnWorkflow, variables: Mapping[str, Any]
    ) -> "CaseWorkflow":
        """An instance kept in memory since it was last stored (see `kept`)."""
        workflow.script_engine = _engine(compiled, variables)
        return cls(compiled, workflow)

    def dump(self) -> bytes:
        return dump_state(self.workflow)

    @property
    def completed(self) -> bool:
        return self.workflow.completed

    def ready_user_tasks(self) -> list[ReadyTask]:
        tasks = []
        user_tasks = self.compiled.user_tasks
        for spiff_task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            info = user_tasks[spiff_task.task_spec.bpmn_id]
            tasks.append(ReadyTask(str(spiff_task.id), info.id, info.name, info.department))
        return tasks

    def complete(self, spiff_id: str, variables: Mapping[str, Any]) -> None:
        """Finish a user task; `variables` already hold the task's output."""
        spiff_task = self.workflow.get_task_from_id(UUID(spiff_id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            raise LookupError(f"process task {spiff_id} is not ready")
        self.workflow.script_engine = _engine(self.compiled, variables)
        with _process_errors():
            spiff_task.run()
            self.workflow.do_engine_steps()

    def cancel(self) -> None:
        self.workflow.cancel()

    def waiting_timers(self) -> dict[str, datetime]:
        """Timer events the process waits on: spiff task id -> when it is due (UTC).

        SpiffWorkflow only compares a timer with the wall clock when asked
        (`refresh_waiting_tasks`); these are the instants to ask it at."""
        found = {}
        for spiff_task in self.workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(spiff_task.task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition):
                continue
            value = spiff_task._get_internal_data("event_value")
            if isinstance(value, dict):  # a cycle: the next occurrence
                value = value.get("next") if value.get("cycles") != 0 else None
            if isinstance(value, str):
                found[str(spiff_task.id)] = TimerEventDefinition.get_datetime(value)
        return found

    def refresh_timers(self) -> None:
        """Let timers that are due fire, and run the process on from them."""
        with _process_errors():
            self.workflow.refresh_waiting_tasks()
            self.workflow.do_engine_steps()

    def is_ready(self, spiff_id: str) -> bool:
        try:
            spiff_task = self.workflow.get_task_from_id(UUID(spiff_id))
        except TaskNotFoundException:
            return False
        return spiff_task is not None and spiff_task.state == TaskState.READY


@contextmanager
def _process_errors():
    """An expression failing on this case's data is the caller's 422, not a crash."""
    try:
        yield
    except (SpiffWorkflowException, SandboxError) as exc:
        element = getattr(getattr(exc, "task_spec", None), "bpmn_id", None) or getattr(
            getattr(getattr(exc, "task", None), "task_spec", None), "bpmn_id", None
        )
        where = f" at {element}" if element else ""
        cause = _root_cause(exc)
        message = str(exc).strip() + (f" ({type(cause).__name__}: {cause})" if cause else "")
        raise ProcessFailed(
            f"the process could not continue{where}: {message}",
            errors={"process": [f"{element or 'process'}: {message}"]},
        ) from None


def _root_cause(exc: BaseException) -> BaseException | None:
    """The innermost error behind SpiffWorkflow's wrapper (e.g. ZeroDivisionError)."""
    cause, seen = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__, set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        inner = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    return cause
