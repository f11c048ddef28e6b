"""A matter version's process, parsed: what running one of its cases needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .parser import build_specs


@dataclass(frozen=True)
class CompiledProcess:
    spec: object
    subprocess_specs: dict
    # BPMN user-task id -> its (id, name, department), from the package's lanes
    user_tasks: Mapping[str, Any]
    calendar: str  # the working-day helpers of timer expressions count in it
    has_timer_events: bool = False  # False: no case of it can ever wait on a BPMN timer


def compile_process(
    files: dict[str, bytes],
    bpmn_files: list[str],
    dmn_files: list[str],
    process_id: str,
    user_tasks: Mapping[str, Any],
    calendar: str,
) -> CompiledProcess:
    """Parse the process (the most expensive thing SpiffWorkflow does: once per version)."""
    spec, subprocess_specs = build_specs(files, bpmn_files, dmn_files, process_id)
    return CompiledProcess(
        spec, subprocess_specs, user_tasks, calendar, _has_timer_events(spec, subprocess_specs)
    )


def _has_timer_events(spec, subprocess_specs: dict) -> bool:
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            if isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition):
                return True
    return False
