"""Matter packages: matter.yaml + BPMN (+ DMN) + the form's JSON Schema.

    from engine.package import load_package, build_specs, PackageInvalid, MatterPackage
    package = load_package(source)          # directory, zip bytes, (matter_dir, bpmn_dir)
    spec, subprocess_specs = build_specs(package)

`load_package` validates everything and raises `PackageInvalid` whose
`problems` list every `Problem(file, element, message)` at once.
"""
from .bpmn import build_specs
from .loader import load_package
from .model import MatterPackage, PackageInvalid, Problem, UserTaskInfo
from .validate import CALENDAR_SOURCES

__all__ = ["load_package", "build_specs", "MatterPackage", "PackageInvalid", "Problem",
           "UserTaskInfo", "CALENDAR_SOURCES"]
