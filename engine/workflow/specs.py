"""Parsed process specs, kept per deployed matter version for the process's life.

Parsing BPMN is the most expensive thing SpiffWorkflow does; a matter
version never changes once deployed, so each process parses it once.
"""
from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.package import MatterPackage, build_specs, load_package


@dataclass(frozen=True)
class CompiledMatter:
    matter_id: int
    package: MatterPackage
    spec: object
    subprocess_specs: dict
    has_timer_events: bool = False  # False: no case of it can ever wait on a BPMN timer


_cache: dict[tuple[int, str], CompiledMatter] = {}
_lock = threading.Lock()


def files_to_zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def compiled(matter) -> CompiledMatter:
    """The parsed package and specs of a stored `Matter` row."""
    key = (matter.id, matter.digest)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            package = load_package(files_to_zip(matter.files))
            spec, subprocess_specs = build_specs(package)
            hit = _cache[key] = CompiledMatter(matter.id, package, spec, subprocess_specs,
                                               _has_timer_events(spec, subprocess_specs))
        return hit


def _has_timer_events(spec, subprocess_specs: dict) -> bool:
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            if isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition):
                return True
    return False
