"""Matter packages: matter.yaml + BPMN (+ DMN) + the form's JSON Schema.

    from engine.package import load_package, PackageInvalid, MatterPackage
    package = load_package(source)          # directory, zip bytes, (matter_dir, bpmn_dir)

Validation only: running the process is engine.process's (its parser is the
one that checks the package here, so what deploys is what runs).

`load_package` validates everything and raises `PackageInvalid` whose
`problems` list every `Problem(file, element, message)` at once.
"""

from .loader import load_package, process_diagram_of
from .model import MatterPackage, PackageInvalid, Problem, UserTaskInfo
from .validate import CALENDAR_SOURCES

__all__ = [
    "load_package",
    "process_diagram_of",
    "MatterPackage",
    "PackageInvalid",
    "Problem",
    "UserTaskInfo",
    "CALENDAR_SOURCES",
]
