"""Parsed matter versions, kept per deployed version for the process's life.

Parsing BPMN is the most expensive thing SpiffWorkflow does; a matter
version never changes once deployed, so each process parses it once.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass

from ..domain.matter import MatterSettings
from ..package import MatterPackage, load_package
from ..process.compiled import CompiledProcess, compile_process


@dataclass(frozen=True)
class CompiledMatter:
    matter_id: int
    package: MatterPackage
    process: CompiledProcess

    @property
    def settings(self) -> MatterSettings:
        return self.package.settings


_cache: dict[tuple[int, str], CompiledMatter] = {}
_lock = threading.Lock()


def files_to_zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def compiled(matter) -> CompiledMatter:
    """The parsed package and process of a stored `Matter` row."""
    key = (matter.id, matter.digest)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            package = load_package(files_to_zip(matter.files))
            process = compile_process(
                package.files,
                package.bpmn_files,
                package.dmn_files,
                package.process_id,
                package.user_tasks,
                package.settings.calendar,
            )
            hit = _cache[key] = CompiledMatter(matter.id, package, process)
        return hit


def settings_of(matter) -> MatterSettings:
    """A stored matter version's settings (typed, defaults applied)."""
    return compiled(matter).settings
